import { describe, expect, it } from 'vitest';
import { AccessSystem, type AccessComm } from '../../../simulator/access/access-system.js';
import { ControllerModel, HEARTBEAT_INTERVAL_MS, type ControllerOutput } from '../../../simulator/access/controller-model.js';
import { DoorModel, type DoorOutput, type DoorSpec } from '../../../simulator/access/door-model.js';
import type { AccessMessage } from '../../../simulator/access/wire.js';
import { demoBuilding, localTime } from '../../../simulator/demo-building.js';
import { Rng } from '../../../simulator/rng.js';
import { VirtualClock } from '../../../src/time/clock.js';

const SECOND_MS = 1000;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** Thursday 1 January 2026, 00:00 in Shanghai. */
const THURSDAY_MIDNIGHT_LOCAL = Date.UTC(2025, 11, 31, 16, 0);
/** Saturday 3 January 2026, 00:00 in Shanghai. */
const SATURDAY_MIDNIGHT_LOCAL = THURSDAY_MIDNIGHT_LOCAL + 2 * 24 * HOUR_MS;

/** Steps `model` every `stepMs` on a virtual clock for `durationMs`. */
function runOnClock(clock: VirtualClock, durationMs: number, stepMs: number, step: (dtMs: number, nowMs: number) => void): void {
  let timer = clock.setTimeout(function tick() {
    step(stepMs, clock.now());
    timer = clock.setTimeout(tick, stepMs);
  }, stepMs);
  clock.advanceSync(durationMs);
  clock.clearTimeout(timer);
}

function door(overrides: Partial<DoorSpec> = {}): DoorSpec {
  return {
    id: 'door-test', door: 'test', name: 'Test door', location: 'L1', deniedShare: 0, badges: { first: 100_000, count: 10 },
    traffic: () => ({ movementsPerMinute: 1, entryShare: 1 }), ...overrides,
  };
}

/** The whole building's access control on a virtual clock, recording what it publishes. */
function building(startMs: number, seed = 1): { system: AccessSystem; clock: VirtualClock; messages: AccessMessage[] } {
  const messages: AccessMessage[] = [];
  const system = new AccessSystem({
    controllers: demoBuilding().access.controllers, rng: new Rng(seed), startMs,
    comm: (): AccessComm => 'normal', sendsMalformed: () => false,
  });
  system.attach({ send: (m) => messages.push(m), drop: () => undefined, restore: () => undefined, close: async () => undefined });
  return { system, clock: new VirtualClock(startMs), messages };
}

function runBuilding(b: ReturnType<typeof building>, durationMs: number, stepMs = SECOND_MS): void {
  runOnClock(b.clock, durationMs, stepMs, (dt, now) => {
    b.system.step(dt, now);
    b.system.flush();
  });
}

function eventsOf(messages: readonly AccessMessage[]): Array<{ atMs: number; topic: string; type: string; badge: string; reason?: string }> {
  return messages
    .filter((m) => m.kind === 'door-event')
    .map((m) => ({ atMs: m.atMs, topic: m.topic, ...(JSON.parse(String(m.payload)) as { type: string; badge: string; reason?: string }) }));
}

function countByLocalHour(items: ReadonlyArray<{ atMs: number }>): number[] {
  const counts = Array<number>(24).fill(0);
  for (const item of items) {
    const hour = Math.floor(localTime(item.atMs).hour);
    counts[hour] = (counts[hour] ?? 0) + 1;
  }
  return counts;
}

describe('door model', () => {
  it('on a grant unlocks, opens for a few seconds, closes and locks again', () => {
    const clock = new VirtualClock();
    const model = new DoorModel(door(), { rng: new Rng(5), startMs: clock.now() });
    const outputs: DoorOutput[] = [];
    runOnClock(clock, 30 * MINUTE_MS, 100, (dt, now) => {
      model.step(dt, now);
      outputs.push(...model.drain());
    });

    const grants = outputs.filter((o) => o.kind === 'event');
    expect(grants.length).toBeGreaterThan(15);
    for (const o of grants) expect(o.kind === 'event' && o.event).toMatchObject({ type: 'granted', badge: expect.stringMatching(/^1000\d\d$/) as string });

    // The first grant's cycle (with this seed nobody follows the first person through).
    const states = outputs.flatMap((o) => (o.kind === 'state' ? [{ atMs: o.atMs, ...o.state }] : []));
    const first = grants[0];
    if (!first) throw new Error('no grant');
    const cycle = states.filter((s) => s.atMs >= first.atMs).slice(0, 4);
    expect(cycle.map(({ open, locked }) => ({ open, locked }))).toEqual([
      { open: false, locked: false },
      { open: true, locked: false },
      { open: false, locked: false },
      { open: false, locked: true },
    ]);
    const [unlocked, opened, closed, locked] = cycle.map((s) => s.atMs) as [number, number, number, number];
    expect(unlocked).toBe(first.atMs);
    expect(opened - unlocked).toBeGreaterThanOrEqual(800);
    expect(opened - unlocked).toBeLessThanOrEqual(2_600);
    expect(closed - opened).toBeGreaterThanOrEqual(2_500);
    expect(closed - opened).toBeLessThanOrEqual(12_000);
    expect(locked - closed).toBe(SECOND_MS);

    // Without a scenario a door is never open and locked at once, and it ends every cycle locked.
    expect(states.some((s) => s.open && s.locked)).toBe(false);
    expect(states.at(-1)).toMatchObject({ open: false, locked: true });
    expect(model.values()).toEqual({ open: false, locked: true });
  });

  it('lets people out by the exit button without an event, and refuses some badges with a reason', () => {
    const clock = new VirtualClock();
    const model = new DoorModel(door({ deniedShare: 0.5, traffic: () => ({ movementsPerMinute: 2, entryShare: 0.5 }) }), { rng: new Rng(9), startMs: clock.now() });
    const outputs: DoorOutput[] = [];
    runOnClock(clock, HOUR_MS, 100, (dt, now) => {
      model.step(dt, now);
      outputs.push(...model.drain());
    });
    const events = outputs.flatMap((o) => (o.kind === 'event' ? [o.event] : []));
    const openings = outputs.filter((o) => o.kind === 'state' && o.state.open).length;
    const denied = events.filter((e) => e.type === 'denied');
    const granted = events.filter((e) => e.type === 'granted');
    expect(denied.length).toBeGreaterThan(10);
    expect(granted.length).toBeGreaterThan(10);
    // Exits open the door as well: more openings than grants.
    expect(openings).toBeGreaterThan(granted.length);
    for (const e of denied) expect(e.reason).toMatch(/^(not-authorised|expired|outside-schedule|unknown-badge|anti-passback)$/);
    for (const e of granted) expect(e).not.toHaveProperty('reason');
  });
});

describe('controller model', () => {
  it('beats every 10 s with its uptime, and publishes its state only when it changes', () => {
    const clock = new VirtualClock();
    const model = new ControllerModel({ id: 'acs-test', controller: 'test', name: 'Test', location: 'L1', doors: [] }, { rng: new Rng(2), startMs: clock.now() });
    const outputs: ControllerOutput[] = [];
    runOnClock(clock, 5 * MINUTE_MS, 100, (dt, now) => {
      model.step(dt, now);
      outputs.push(...model.drain());
    });
    const beats = outputs.flatMap((o) => (o.kind === 'heartbeat' ? [o] : []));
    expect(beats).toHaveLength(30);
    for (let i = 1; i < beats.length; i++) {
      expect((beats[i]?.atMs ?? 0) - (beats[i - 1]?.atMs ?? 0)).toBe(HEARTBEAT_INTERVAL_MS);
      expect((beats[i]?.uptimeS ?? 0) - (beats[i - 1]?.uptimeS ?? 0)).toBe(10);
    }
    expect(beats[0]?.uptimeS).toBeGreaterThan(24 * 3600);
    // On mains with the battery at float voltage nothing changes.
    expect(outputs.filter((o) => o.kind === 'state')).toEqual([]);
    expect(model.values()).toEqual({ mains_ok: true, battery_voltage: 13.6, tamper: false });
  });

  it('sags slowly on battery and recharges on mains', () => {
    const clock = new VirtualClock();
    const model = new ControllerModel({ id: 'acs-test', controller: 'test', name: 'Test', location: 'L1', doors: [] }, { rng: new Rng(2), startMs: clock.now() });
    model.setMains(false);
    expect(model.state()).toEqual({ mains: false, battery_v: 13.1, tamper: false });
    const step = (dt: number, now: number): void => model.step(dt, now);
    runOnClock(clock, HOUR_MS, SECOND_MS, step);
    // 0.25 V an hour from 13.1 V.
    expect(model.state().battery_v).toBeGreaterThanOrEqual(12.8);
    expect(model.state().battery_v).toBeLessThanOrEqual(12.9);
    runOnClock(clock, 10 * HOUR_MS, SECOND_MS, step);
    expect(model.state().battery_v).toBeLessThan(11.5);
    expect(model.state().battery_v).toBeGreaterThanOrEqual(10.5);
    const sagging = model.drain().filter((o) => o.kind === 'state');
    expect(sagging.length).toBeGreaterThan(15);
    model.setMains(true);
    runOnClock(clock, 4 * HOUR_MS, SECOND_MS, step);
    expect(model.state()).toEqual({ mains: true, battery_v: 13.6, tamper: false });
  });
});

describe('access traffic by time of day (Asia/Shanghai)', () => {
  it('is busy in the morning, at lunch and in the evening, and quiet at night', () => {
    const b = building(THURSDAY_MIDNIGHT_LOCAL);
    runBuilding(b, 24 * HOUR_MS);
    const byHour = (pred: (e: { topic: string; type: string }) => boolean): number[] => countByLocalHour(eventsOf(b.messages).filter(pred));
    const lobbyGrants = byHour((e) => e.topic.startsWith('acs/lobby/') && e.type === 'granted');
    const at = (counts: number[], h: number): number => counts[h] ?? 0;
    expect(at(lobbyGrants, 8)).toBeGreaterThan(500);
    expect(at(lobbyGrants, 8)).toBeGreaterThan(20 * (at(lobbyGrants, 2) + at(lobbyGrants, 3)));
    expect(at(lobbyGrants, 12)).toBeGreaterThan(2 * at(lobbyGrants, 15));

    // Evenings people leave by the exit button: many openings, few badges.
    const lobbyOpenings = countByLocalHour(
      b.messages.filter((m) => m.kind === 'door-state' && m.topic.startsWith('acs/lobby/') && (JSON.parse(String(m.payload)) as { open: boolean }).open),
    );
    expect(at(lobbyOpenings, 17)).toBeGreaterThan(2 * at(lobbyGrants, 17));
    expect(at(lobbyOpenings, 17)).toBeGreaterThan(20 * at(lobbyOpenings, 3));

    // Plant rooms: technicians in working hours.
    const plant = byHour((e) => e.topic.startsWith('acs/plant/'));
    const working = plant.slice(8, 18).reduce((a, n) => a + n, 0);
    const night = [...plant.slice(0, 7), ...plant.slice(19)].reduce((a, n) => a + n, 0);
    expect(working).toBeGreaterThan(5 * Math.max(1, night));

    const events = eventsOf(b.messages);
    const denied = events.filter((e) => e.type === 'denied');
    expect(denied.length).toBeGreaterThan(0);
    expect(denied.length).toBeLessThan(0.1 * events.length);
    expect(events.filter((e) => e.type === 'forced')).toEqual([]);
  });

  it('is much quieter on a Saturday morning than on a weekday morning', () => {
    const grantsBetween8And9 = (midnight: number): number => {
      const b = building(midnight + 8 * HOUR_MS);
      runBuilding(b, HOUR_MS);
      return eventsOf(b.messages).filter((e) => e.type === 'granted').length;
    };
    const weekday = grantsBetween8And9(THURSDAY_MIDNIGHT_LOCAL);
    const saturday = grantsBetween8And9(SATURDAY_MIDNIGHT_LOCAL);
    expect(weekday).toBeGreaterThan(500);
    expect(saturday).toBeLessThan(0.2 * weekday);
  });
});

describe('access determinism', () => {
  it('publishes the same messages at the same simulated times for the same seed, other ones for another seed', () => {
    const run = (seed: number): string[] => {
      const b = building(Date.UTC(2026, 0, 1), seed);
      runBuilding(b, 10 * MINUTE_MS, 100);
      return b.messages.map((m) => `${m.atMs} ${m.topic} ${String(m.payload)}`);
    };
    const a = run(7);
    expect(a.length).toBeGreaterThan(100);
    expect(run(7)).toEqual(a);
    expect(run(8)).not.toEqual(a);
  });
});
