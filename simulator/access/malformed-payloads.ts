import type { AccessMessage, DoorTopics } from './wire.js';

/**
 * The malformed-payloads scenario: a controller with broken firmware puts garbage on its door topics at a
 * steady rate, cycling through the ways a payload goes wrong (not JSON, wrong types, missing fields,
 * unknown event types, binary junk, empty), and once per start a 1 MiB payload, which a gateway must
 * refuse before it parses it. The garbage goes out as the firmware's good messages on the same topic do:
 * QoS 1, and retained on a state topic; clearing the scenario republishes the real state over it.
 */

export const MALFORMED_INTERVAL_MS = 2_000;
export const OVERSIZED_PAYLOAD_BYTES = 1024 * 1024;

interface Garbage {
  on: 'state' | 'event';
  payload: string | Buffer;
}

const GARBAGE: readonly Garbage[] = [
  { on: 'state', payload: '{"open": tru' },
  { on: 'event', payload: 'granted badge=100123' },
  { on: 'state', payload: '{"open":"yes","locked":1}' },
  { on: 'event', payload: '{"type":"granted","badge":100123}' },
  { on: 'state', payload: '{"open":true}' },
  { on: 'event', payload: '{"badge":"100123"}' },
  { on: 'event', payload: '{"type":"exploded","badge":"100123"}' },
  { on: 'state', payload: '[true,false]' },
  { on: 'state', payload: 'null' },
  { on: 'event', payload: Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0xc3, 0x28]) },
  // Empty only on the event topic: an empty retained message would delete the retained state instead.
  { on: 'event', payload: '' },
];

/** A grant event padded to exactly OVERSIZED_PAYLOAD_BYTES: valid JSON, just far too big. */
function oversizedEvent(): string {
  const head = '{"type":"granted","badge":"';
  const tail = '"}';
  return head + 'A'.repeat(OVERSIZED_PAYLOAD_BYTES - head.length - tail.length) + tail;
}

export class MalformedPayloadSource {
  private untilNextMs = 0;
  private sent = 0;

  constructor(
    private readonly controller: string,
    private readonly doors: readonly DoorTopics[],
  ) {
    if (doors.length === 0) throw new Error(`${controller}: malformed payloads need at least one door`);
  }

  /** Garbage due within the next `dtMs`; the first call after a reset sends the oversized payload. */
  step(dtMs: number, nowMs: number): AccessMessage[] {
    const out: AccessMessage[] = [];
    this.untilNextMs -= dtMs;
    while (this.untilNextMs <= 0) {
      out.push(this.next(nowMs));
      this.untilNextMs += MALFORMED_INTERVAL_MS;
    }
    return out;
  }

  /** Back to the start: the next step sends the oversized payload again. */
  reset(): void {
    this.untilNextMs = 0;
    this.sent = 0;
  }

  private next(atMs: number): AccessMessage {
    const n = this.sent++;
    const door = this.doors[n % this.doors.length] as DoorTopics;
    if (n === 0) return { atMs, controller: this.controller, kind: 'malformed', topic: door.event, payload: oversizedEvent(), retain: false, qos: 1 };
    const garbage = GARBAGE[(n - 1) % GARBAGE.length] as Garbage;
    const topic = garbage.on === 'state' ? door.state : door.event;
    return { atMs, controller: this.controller, kind: 'malformed', topic, payload: garbage.payload, retain: garbage.on === 'state', qos: 1 };
  }
}
