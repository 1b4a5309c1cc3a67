import type { PointValue } from '../../src/points/sample.js';
import type { Rng } from '../rng.js';
import { ControllerModel, type ControllerSpec } from './controller-model.js';
import { DoorModel } from './door-model.js';
import { MalformedPayloadSource } from './malformed-payloads.js';
import {
  controllerStateMessage,
  controllerTopics,
  doorEventMessage,
  doorStateMessage,
  doorTopics,
  heartbeatMessage,
  statusMessage,
  type AccessMessage,
  type ControllerTopics,
  type DoorTopics,
} from './wire.js';

/**
 * The building's access control: every controller and door model, stepped together, and what they publish
 * turned into MQTT messages for a sink (the MQTT publisher, or a recorder in tests). How a controller is
 * connected is a scenario's business: a silent controller (hung firmware) keeps its connection but sends
 * nothing; a dropped one loses its connection abruptly; either one catches up with its state once it is
 * back.
 */

/** How a controller talks to the broker now. */
export type AccessComm = 'normal' | 'silent' | 'dropped';

/** Where the messages go. */
export interface AccessSink {
  /** One message of a connected, talking controller, in simulated-time order. */
  send(message: AccessMessage): void;
  /** The controller's connection dies without a goodbye, so the broker publishes its last will. */
  drop(controller: string): void;
  /** The controller connects again; on connecting it publishes `snapshot(controller)`. */
  restore(controller: string): void;
  close(): Promise<void>;
}

export interface AccessSystemOptions {
  controllers: readonly ControllerSpec[];
  rng: Rng;
  startMs: number;
  /** Read at every flush, so a scenario takes effect at once. */
  comm(controller: string): AccessComm;
  /** Read at every step: whether the controller publishes garbage. */
  sendsMalformed(controller: string): boolean;
}

interface ControllerEntry {
  model: ControllerModel;
  topics: ControllerTopics;
  doors: DoorEntry[];
  garbage: MalformedPayloadSource;
  /** What the last flush saw, to act on changes. */
  comm: AccessComm;
  malformed: boolean;
}

interface DoorEntry {
  model: DoorModel;
  topics: DoorTopics;
  controller: ControllerEntry;
}

export class AccessSystem {
  private readonly controllers = new Map<string, ControllerEntry>();
  private readonly doors = new Map<string, DoorEntry>();
  private readonly pending: AccessMessage[] = [];
  private sink: AccessSink | undefined;
  private nowMs: number;

  constructor(private readonly opts: AccessSystemOptions) {
    this.nowMs = opts.startMs;
    for (const spec of opts.controllers) {
      const topics = controllerTopics(spec.controller);
      const doors: DoorEntry[] = [];
      const entry: ControllerEntry = {
        model: new ControllerModel(spec, { rng: opts.rng.fork(spec.id), startMs: opts.startMs }),
        topics,
        doors,
        garbage: new MalformedPayloadSource(spec.id, spec.doors.map((d) => doorTopics(spec.controller, d.door))),
        comm: 'normal',
        malformed: false,
      };
      for (const door of spec.doors) {
        if (this.doors.has(door.id) || this.controllers.has(door.id)) throw new Error(`access device id ${door.id} used twice`);
        const d: DoorEntry = { model: new DoorModel(door, { rng: opts.rng.fork(door.id), startMs: opts.startMs }), topics: doorTopics(spec.controller, door.door), controller: entry };
        doors.push(d);
        this.doors.set(door.id, d);
      }
      if (this.doors.has(spec.id) || this.controllers.has(spec.id)) throw new Error(`access device id ${spec.id} used twice`);
      this.controllers.set(spec.id, entry);
    }
  }

  step(dtMs: number, nowMs: number): void {
    this.nowMs = nowMs;
    for (const c of this.controllers.values()) {
      c.model.step(dtMs, nowMs);
      for (const d of c.doors) d.model.step(dtMs, nowMs);
      if (this.opts.sendsMalformed(c.model.id)) this.pending.push(...c.garbage.step(dtMs, nowMs));
      else c.garbage.reset();
    }
  }

  /**
   * Hands what the models published since the last flush to the sink, oldest first, and acts on changes of
   * each controller's connection. Without a sink the messages are dropped: the snapshot on connecting
   * brings the broker up to date.
   */
  flush(): void {
    const out = this.pending.splice(0);
    for (const c of this.controllers.values()) {
      for (const o of c.model.drain()) {
        out.push(o.kind === 'heartbeat' ? heartbeatMessage(c.model.id, c.topics, o.uptimeS, o.atMs) : controllerStateMessage(c.model.id, c.topics, o.state, o.atMs));
      }
      for (const d of c.doors) {
        for (const o of d.model.drain()) {
          out.push(o.kind === 'state' ? doorStateMessage(c.model.id, d.topics, o.state, o.atMs) : doorEventMessage(c.model.id, d.topics, o.event, o.atMs));
        }
      }
    }
    // Stable: messages of one model keep their order.
    out.sort((a, b) => a.atMs - b.atMs);
    const sink = this.sink;
    // These happened before any scenario change this flush acts on: the connection state of the last flush decides.
    if (sink) for (const m of out) if (this.controllers.get(m.controller)?.comm === 'normal') sink.send(m);
    for (const c of this.controllers.values()) this.followConnection(c, sink);
  }

  /** Starts sending to `sink`: each controller publishes its snapshot as it connects. */
  attach(sink: AccessSink): void {
    // What the models said before there was a broker is gone; the snapshot on connecting replaces it.
    this.flush();
    this.sink = sink;
    // The sink has just connected every controller: scenarios that hold one down act on this flush.
    for (const c of this.controllers.values()) c.comm = 'normal';
    this.flush();
  }

  /** Stops sending; returns the sink so the caller can close it. */
  detach(): AccessSink | undefined {
    const sink = this.sink;
    this.sink = undefined;
    return sink;
  }

  /** What a controller publishes on (re)connecting: online, its state and its doors' states, all retained. */
  snapshot(controller: string): AccessMessage[] {
    const c = this.controllers.get(controller);
    if (!c) throw new Error(`no access controller "${controller}"`);
    const at = this.nowMs;
    const online = statusMessage(c.model.id, c.topics, true, at);
    // A hung controller that reconnects announces itself and then says nothing more.
    if (this.opts.comm(controller) === 'silent') return [online];
    return [online, controllerStateMessage(c.model.id, c.topics, c.model.state(), at), ...c.doors.map((d) => doorStateMessage(c.model.id, d.topics, d.model.state(), at))];
  }

  controllerIds(): string[] {
    return [...this.controllers.keys()];
  }

  statusTopic(controller: string): string {
    const c = this.controllers.get(controller);
    if (!c) throw new Error(`no access controller "${controller}"`);
    return c.topics.status;
  }

  controller(id: string): ControllerModel | undefined {
    return this.controllers.get(id)?.model;
  }

  door(id: string): DoorModel | undefined {
    return this.doors.get(id)?.model;
  }

  has(id: string): boolean {
    return this.controllers.has(id) || this.doors.has(id);
  }

  values(id: string): Record<string, PointValue> | undefined {
    return this.controllers.get(id)?.model.values() ?? this.doors.get(id)?.model.values();
  }

  /** Acts on a change of a controller's connection, or of its firmware, since the last flush. */
  private followConnection(c: ControllerEntry, sink: AccessSink | undefined): void {
    const id = c.model.id;
    const was = { comm: c.comm, malformed: c.malformed };
    c.comm = this.opts.comm(id);
    c.malformed = this.opts.sendsMalformed(id);
    if (!sink) return;
    if (c.comm !== was.comm) {
      if (c.comm === 'dropped') sink.drop(id);
      // Reconnecting publishes the snapshot.
      else if (was.comm === 'dropped') sink.restore(id);
      // A hung controller that comes back to life catches up.
      else if (c.comm === 'normal') for (const m of this.snapshot(id)) sink.send(m);
      return;
    }
    // Garbage retained on the state topics is overwritten by the real state once the firmware is fixed.
    if (c.comm === 'normal' && was.malformed && !c.malformed) for (const m of this.snapshot(id)) sink.send(m);
  }
}
