import { afterEach, describe, expect, it } from 'vitest';
import type { AccessSink } from '../../../simulator/access/access-system.js';
import { OVERSIZED_PAYLOAD_BYTES } from '../../../simulator/access/malformed-payloads.js';
import type { AccessMessage } from '../../../simulator/access/wire.js';
import { startSimulator, type SimulatorHandle } from '../../../simulator/simulator.js';
import { VirtualClock } from '../../../src/time/clock.js';

const SECOND_MS = 1000;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

/** Stands in for the broker: records what the controllers publish and what happens to their connections. */
class RecordingSink implements AccessSink {
  readonly messages: AccessMessage[] = [];
  readonly connections: string[] = [];
  send(message: AccessMessage): void {
    this.messages.push(message);
  }
  drop(controller: string): void {
    this.connections.push(`drop ${controller}`);
  }
  restore(controller: string): void {
    this.connections.push(`restore ${controller}`);
  }
  async close(): Promise<void> {}

  /** Messages on topics under `prefix` sent at or after `sinceMs`. */
  on(prefix: string, sinceMs = 0): AccessMessage[] {
    return this.messages.filter((m) => m.topic.startsWith(prefix) && m.atMs >= sinceMs);
  }
}

interface Harness {
  sim: SimulatorHandle;
  clock: VirtualClock;
  sink: RecordingSink;
  /** Advances the virtual clock; the simulator steps on its own timer. */
  run(ms: number): void;
}

let started: SimulatorHandle | undefined;

async function start(scenarios: Array<{ name: string; device?: string }> = []): Promise<Harness> {
  const clock = new VirtualClock();
  const sink = new RecordingSink();
  const sim = await startSimulator({ clock, seed: 4, controlPort: null, accessSink: sink, scenarios });
  started = sim;
  return { sim, clock, sink, run: (ms) => clock.advanceSync(ms) };
}

function json(m: AccessMessage | undefined): unknown {
  return m === undefined ? undefined : JSON.parse(String(m.payload));
}

function eventTypes(messages: readonly AccessMessage[]): string[] {
  return messages.filter((m) => m.kind === 'door-event').map((m) => (json(m) as { type: string }).type);
}

afterEach(async () => {
  await started?.stop();
  started = undefined;
});

describe('access scenarios', () => {
  it('door-forced: a forced event and the door open while locked for a while; then closed; again after a restart', async () => {
    const h = await start();
    const t0 = h.sim.nowMs();
    h.sim.startScenario('door-forced');
    h.run(10 * SECOND_MS);
    const door = 'acs/carpark/door/bike-room/';
    expect(eventTypes(h.sink.on(door, t0))).toEqual(['forced']);
    expect(json(h.sink.on(`${door}event`, t0)[0])).toEqual({ type: 'forced', badge: '' });
    expect(h.sim.values('door-carpark-bike-room')).toEqual({ open: true, locked: true });
    h.run(20 * SECOND_MS);
    expect(h.sim.values('door-carpark-bike-room')).toEqual({ open: false, locked: true });
    expect(json(h.sink.on(`${door}state`, t0).at(-1))).toEqual({ open: false, locked: true });

    expect(h.sim.clearScenario('door-forced')).toBe(1);
    h.sim.startScenario('door-forced');
    h.run(2 * SECOND_MS);
    expect(eventTypes(h.sink.on(door, t0)).filter((t) => t === 'forced')).toHaveLength(2);
    h.sim.clearScenario('door-forced');
    h.run(2 * SECOND_MS);
    expect(h.sim.values('door-carpark-bike-room')).toEqual({ open: false, locked: true });
  });

  it('door-held-open: open after a grant and still open long past 10 s; cleared: closes and locks', async () => {
    const h = await start();
    const t0 = h.sim.nowMs();
    h.sim.startScenario('door-held-open');
    h.run(5 * SECOND_MS);
    const door = 'acs/lobby/door/mailroom/';
    expect(eventTypes(h.sink.on(door, t0))[0]).toBe('granted');
    const openedAt = h.sink.on(`${door}state`, t0).find((m) => (json(m) as { open: boolean }).open)?.atMs;
    expect(openedAt).toBeDefined();
    h.run(2 * MINUTE_MS);
    expect(h.sim.values('door-lobby-mailroom')).toEqual({ open: true, locked: false });
    expect(h.sink.on(`${door}state`, (openedAt ?? 0) + 1)).toEqual([]);

    h.sim.clearScenario('door-held-open');
    h.run(3 * SECOND_MS);
    expect(h.sim.values('door-lobby-mailroom')).toEqual({ open: false, locked: true });
  });

  it('badge-denials: at least 5 refused reads of one badge at one door within a minute, then it stops', async () => {
    const h = await start();
    const t0 = h.sim.nowMs();
    h.sim.startScenario('badge-denials');
    h.run(MINUTE_MS);
    const denied = h.sink.on('acs/plant/door/switch-room/event', t0).map((m) => ({ atMs: m.atMs, ...(json(m) as { type: string; badge: string; reason: string }) }));
    const burst = denied.filter((d) => d.badge === denied[0]?.badge);
    expect(burst.length).toBeGreaterThanOrEqual(5);
    for (const d of burst) expect(d).toMatchObject({ type: 'denied', reason: 'unknown-badge' });
    expect((burst.at(-1)?.atMs ?? 0) - (burst[0]?.atMs ?? 0)).toBeLessThan(MINUTE_MS);
    h.run(10 * MINUTE_MS);
    const later = h.sink.on('acs/plant/door/switch-room/event', t0).filter((m) => (json(m) as { badge: string }).badge === burst[0]?.badge);
    expect(later).toHaveLength(burst.length);
  });

  it('tamper: the controller state says tamper at once; cleared: it does not', async () => {
    const h = await start();
    const t0 = h.sim.nowMs();
    h.sim.startScenario('tamper');
    expect(json(h.sink.on('acs/carpark/state', t0).at(-1))).toEqual({ mains: true, battery_v: 13.6, tamper: true });
    expect(h.sim.values('acs-carpark')).toMatchObject({ tamper: true });
    h.sim.clearScenario('tamper');
    expect(json(h.sink.on('acs/carpark/state', t0).at(-1))).toEqual({ mains: true, battery_v: 13.6, tamper: false });
  });

  it('mains-failure: on battery the voltage sags slowly and is published as it changes; cleared: it recharges', async () => {
    const h = await start();
    const t0 = h.sim.nowMs();
    h.sim.startScenario('mains-failure');
    expect(h.sim.values('acs-lobby')).toEqual({ mains_ok: false, battery_voltage: 13.1, tamper: false });
    h.sim.step(HOUR_MS);
    const states = h.sink.on('acs/lobby/state', t0).map((m) => json(m) as { mains: boolean; battery_v: number });
    // 0.5 V at once without the charger, then 0.25 V an hour, published in steps of 0.1 V.
    expect(states.map((s) => s.battery_v).slice(0, 3)).toEqual([13.1, 13.0, 12.9]);
    expect(states.at(-1)?.battery_v).toBeGreaterThanOrEqual(12.8);
    expect(states.every((s) => !s.mains)).toBe(true);
    h.sim.clearScenario('mains-failure');
    expect(h.sim.values('acs-lobby')).toMatchObject({ mains_ok: true });
    h.sim.step(HOUR_MS);
    expect(h.sim.values('acs-lobby')).toEqual({ mains_ok: true, battery_voltage: 13.6, tamper: false });
  });

  it('controller-offline: no heartbeats and no state while connected; cleared: its state at once and heartbeats again', async () => {
    const h = await start();
    h.run(MINUTE_MS);
    const t0 = h.sim.nowMs();
    h.sim.startScenario('controller-offline');
    h.run(2 * MINUTE_MS);
    expect(h.sink.on('acs/stairs/', t0)).toEqual([]);
    expect(h.sink.on('acs/lobby/heartbeat', t0)).toHaveLength(12);
    expect(h.sink.connections).toEqual([]);

    const t1 = h.sim.nowMs();
    h.sim.clearScenario('controller-offline');
    const snapshot = h.sink.on('acs/stairs/', t1);
    expect(snapshot.map((m) => m.kind)).toEqual(['status', 'controller-state', ...Array<string>(8).fill('door-state')]);
    expect(snapshot.every((m) => m.retain)).toBe(true);
    expect(String(snapshot[0]?.payload)).toBe('online');
    h.run(10 * SECOND_MS);
    expect(h.sink.on('acs/stairs/heartbeat', t1)).toHaveLength(1);
  });

  it('controller-dropped: the connection is cut (last will) and nothing is sent; cleared: it reconnects', async () => {
    const h = await start();
    const t0 = h.sim.nowMs();
    h.sim.startScenario('controller-dropped');
    expect(h.sink.connections).toEqual(['drop acs-roof']);
    h.run(MINUTE_MS);
    expect(h.sink.on('acs/roof/', t0)).toEqual([]);
    h.sim.clearScenario('controller-dropped');
    expect(h.sink.connections).toEqual(['drop acs-roof', 'restore acs-roof']);
    const t1 = h.sim.nowMs();
    h.run(10 * SECOND_MS);
    expect(h.sink.on('acs/roof/heartbeat', t1)).toHaveLength(1);
  });

  it('controller-dropped wins over controller-offline, and one given at start-up drops the controller as soon as it is connected', async () => {
    const h = await start([{ name: 'controller-dropped', device: 'acs-stairs' }]);
    expect(h.sink.connections).toEqual(['drop acs-stairs']);
    h.sim.startScenario('controller-offline', 'acs-stairs');
    h.sim.clearScenario('controller-dropped');
    // Back on the broker but still hung: it announces itself and says nothing else.
    expect(h.sink.connections).toEqual(['drop acs-stairs', 'restore acs-stairs']);
    const t1 = h.sim.nowMs();
    h.run(MINUTE_MS);
    expect(h.sink.on('acs/stairs/', t1)).toEqual([]);
  });

  it('malformed-payloads: garbage on the door topics every 2 s, the first one 1 MiB; cleared: the real state over it', async () => {
    const h = await start();
    const t0 = h.sim.nowMs();
    h.sim.startScenario('malformed-payloads');
    h.run(30 * SECOND_MS);
    const garbage = h.sink.messages.filter((m) => m.kind === 'malformed');
    expect(garbage.length).toBeGreaterThanOrEqual(15);
    expect(garbage.length).toBeLessThanOrEqual(16);
    for (const m of garbage) expect(m.topic).toMatch(/^acs\/plant\/door\/[a-z-]+\/(state|event)$/);
    expect(Buffer.byteLength(garbage[0]?.payload ?? '')).toBe(OVERSIZED_PAYLOAD_BYTES);
    const parses = (m: AccessMessage): boolean => {
      try {
        JSON.parse(String(m.payload));
        return true;
      } catch {
        return false;
      }
    };
    expect(garbage.filter((m) => !parses(m)).length).toBeGreaterThanOrEqual(3);
    expect(garbage.some((m) => m.topic.endsWith('/state') && m.retain)).toBe(true);
    expect(garbage.map((m) => String(m.payload))).toContain('{"open":"yes","locked":1}');

    const t1 = h.sim.nowMs();
    h.sim.clearScenario('malformed-payloads');
    const repaired = h.sink.on('acs/plant/', t1).filter((m) => m.kind === 'door-state');
    expect(repaired).toHaveLength(6);
    h.run(MINUTE_MS);
    expect(h.sink.messages.filter((m) => m.kind === 'malformed' && m.atMs > t1)).toEqual([]);
    expect(h.sink.on('acs/plant/', t0).some((m) => m.kind === 'heartbeat')).toBe(true);
  });

  it('applies access scenarios to the right kind of device only', async () => {
    const h = await start();
    expect(() => h.sim.startScenario('tamper', 'door-lobby-mailroom')).toThrow(expect.objectContaining({ kind: 'wrong-device' }));
    expect(() => h.sim.startScenario('door-forced', 'acs-lobby')).toThrow(expect.objectContaining({ kind: 'wrong-device' }));
    expect(() => h.sim.startScenario('controller-dropped', 'booster-1')).toThrow(expect.objectContaining({ kind: 'wrong-device' }));
    expect(() => h.sim.startScenario('no-answer', 'acs-lobby')).toThrow(expect.objectContaining({ kind: 'wrong-device' }));
    expect(h.sim.scenarios().active).toEqual([]);
  });
});

describe('access control in the simulator', () => {
  it('sends heartbeats every 10 s per controller and door events as they happen', async () => {
    const h = await start();
    h.run(MINUTE_MS);
    for (const c of ['lobby', 'carpark', 'plant', 'stairs', 'roof']) {
      const beats = h.sink.on(`acs/${c}/heartbeat`);
      expect(beats, c).toHaveLength(6);
      expect(beats.every((m) => /^\d+$/.test(String(m.payload)) && !m.retain && m.qos === 1)).toBe(true);
    }
    const events = h.sink.messages.filter((m) => m.kind === 'door-event');
    expect(events.length).toBeGreaterThan(10);
    expect(events.every((m) => m.qos === 1 && !m.retain)).toBe(true);
    expect(h.sink.messages.filter((m) => m.kind === 'door-state').every((m) => m.qos === 1 && m.retain)).toBe(true);
  });

  it('shows controllers and doors by their points', async () => {
    const h = await start();
    expect(h.sim.values('acs-roof')).toEqual({ mains_ok: true, battery_voltage: 13.6, tamper: false });
    expect(h.sim.values('door-roof-roof-plant')).toEqual({ open: false, locked: true });
  });

  it('gives the same messages for the same seed, whether the clock or step() moves it', async () => {
    const a = await start();
    const bSink = new RecordingSink();
    const b = await startSimulator({ clock: new VirtualClock(), seed: 4, controlPort: null, accessSink: bSink });
    try {
      a.run(5 * MINUTE_MS);
      b.step(5 * MINUTE_MS);
      const lines = (messages: AccessMessage[]): string[] => messages.map((m) => `${m.atMs} ${m.topic} ${String(m.payload)}`);
      expect(lines(bSink.messages)).toEqual(lines(a.sink.messages));
    } finally {
      await b.stop();
    }
  });
});
