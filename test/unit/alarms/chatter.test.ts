import { describe, expect, it } from 'vitest';
import { ChatterDetector, type ChatterChange } from '../../../src/alarms/chatter.js';
import { VirtualClock } from '../../../src/time/clock.js';

const S = 1000;
const ID = 'pump-1:discharge_pressure_low';

function setup(options: { maxTrackedCycles?: number } = {}) {
  const clock = new VirtualClock();
  const t0 = clock.now();
  const changes: ChatterChange[] = [];
  const errors: unknown[] = [];
  const detector = new ChatterDetector({
    cycles: 3, windowMs: 60 * S, clock, onChange: (c) => changes.push(c), onError: (e) => errors.push(e), ...options,
  });
  /** Moves the clock to t0 + `atMs` and feeds one condition change at that time. */
  const at = async (atMs: number, kind: 'raise' | 'clear', id = ID) => {
    await clock.advanceTo(t0 + atMs);
    detector.record(id, kind, t0 + atMs);
  };
  /** raise at `atMs`, clear 5 s later */
  const cycle = async (atMs: number, id = ID) => {
    await at(atMs, 'raise', id);
    await at(atMs + 5 * S, 'clear', id);
  };
  return { clock, t0, changes, errors, detector, at, cycle };
}

describe('ChatterDetector', () => {
  it('starts at the third raise within a minute and stops by timer when the window no longer holds three', async () => {
    const { clock, t0, changes, detector, cycle } = setup();
    await cycle(0);
    await cycle(20 * S);
    expect(changes).toEqual([]);
    await cycle(40 * S);
    expect(changes).toEqual([{ type: 'start', alarmId: ID, cycles: 3, at: t0 + 40 * S }]);
    expect(detector.chattering()).toEqual([{ alarmId: ID, cycles: 3, since: t0 + 40 * S, peakCycles: 3 }]);

    // The raise at 0 s leaves the window at 60 s: no event is needed for the stop.
    await clock.advanceTo(t0 + 60 * S - 1);
    expect(detector.isChattering(ID)).toBe(true);
    await clock.advanceTo(t0 + 60 * S);
    expect(changes[1]).toEqual({ type: 'stop', alarmId: ID, cycles: 2, at: t0 + 60 * S, since: t0 + 40 * S, peakCycles: 3 });
    expect(detector.chattering()).toEqual([]);
    expect(clock.pending()).toBe(0);
  });

  it('does not count raises exactly a minute apart as within a minute', async () => {
    const { changes, cycle } = setup();
    await cycle(0);
    await cycle(30 * S);
    await cycle(60 * S);
    expect(changes).toEqual([]);
  });

  it('counts a cycle per clear-to-raise, not per repeated raise', async () => {
    const { changes, at } = setup();
    await at(0, 'raise');
    await at(5 * S, 'raise');
    await at(10 * S, 'raise');
    expect(changes).toEqual([]);
    await at(15 * S, 'clear');
    await at(16 * S, 'clear');
    await at(20 * S, 'raise');
    await at(25 * S, 'clear');
    expect(changes).toEqual([]);
    await at(30 * S, 'raise');
    expect(changes.map((c) => [c.type, c.cycles])).toEqual([['start', 3]]);
  });

  it('keeps chattering while raises keep coming and reports the peak when it stops', async () => {
    const { clock, t0, changes, detector, cycle } = setup();
    for (const s of [0, 10, 20, 30, 40]) await cycle(s * S);
    // Window at 45 s holds the raises at 0..40 s.
    expect(detector.chattering()).toEqual([{ alarmId: ID, cycles: 5, since: t0 + 20 * S, peakCycles: 5 }]);
    // The newest three are 20, 30, 40 s: the stop falls at 20 s + 60 s.
    await clock.advanceTo(t0 + 80 * S - 1);
    expect(detector.isChattering(ID)).toBe(true);
    expect(detector.chattering()[0]?.cycles).toBe(3); // 0 s and 10 s have left
    await clock.advanceTo(t0 + 80 * S);
    expect(changes.map((c) => [c.type, c.at - t0, c.peakCycles])).toEqual([
      ['start', 20 * S, undefined],
      ['stop', 80 * S, 5],
    ]);
  });

  it('starts again after a stop, and tracks alarms independently', async () => {
    const { clock, t0, changes, detector, cycle } = setup();
    for (const s of [0, 10, 20]) await cycle(s * S);
    await cycle(15 * S, 'door-3:held_open');
    await clock.advanceTo(t0 + 120 * S);
    for (const s of [200, 210, 220, 230]) await cycle(s * S);
    for (const s of [205, 215, 225]) await cycle(s * S, 'door-3:held_open');
    expect(changes.map((c) => [c.type, c.alarmId, c.at - t0])).toEqual([
      ['start', ID, 20 * S],
      ['stop', ID, 60 * S],
      ['start', ID, 220 * S],
      ['start', 'door-3:held_open', 225 * S],
    ]);
    await clock.advanceTo(t0 + 232 * S);
    expect(detector.chattering().map((c) => [c.alarmId, c.cycles])).toEqual([
      [ID, 4],
      ['door-3:held_open', 3],
    ]);
  });

  it('keeps at most maxTrackedCycles raises per alarm, and forgets a quiet alarm', async () => {
    const { clock, t0, changes, detector, at } = setup({ maxTrackedCycles: 5 });
    for (let k = 0; k < 50; k++) {
      await at(k * S, 'raise');
      await at(k * S + 500, 'clear');
    }
    expect(detector.chattering()[0]?.cycles).toBe(5);
    // Stop is still exact: the newest three raises are 47, 48, 49 s, so it stops at 47 s + 60 s.
    await clock.advanceTo(t0 + 107 * S - 1);
    expect(detector.isChattering(ID)).toBe(true);
    await clock.advanceTo(t0 + 107 * S);
    expect(changes.map((c) => [c.type, c.at - t0])).toEqual([
      ['start', 2 * S],
      ['stop', 107 * S],
    ]);
    // Two raises are still in the window; once they leave, the next event drops the alarm.
    await at(200 * S, 'clear');
    expect(detector.trackedAlarms()).toBe(0);
  });

  it('isolates a failing listener and rejects bad input with a clear error', async () => {
    const clock = new VirtualClock();
    const errors: unknown[] = [];
    const detector = new ChatterDetector({
      cycles: 3, windowMs: 60 * S, clock, onChange: () => { throw new Error('listener broke'); }, onError: (e) => errors.push(e),
    });
    for (const s of [0, 1, 2]) {
      detector.record(ID, 'raise', clock.now() + s * S);
      detector.record(ID, 'clear', clock.now() + s * S + 100);
    }
    expect(detector.isChattering(ID)).toBe(true);
    expect(errors).toHaveLength(1);
    expect(() => detector.record(ID, 'raise', Number.NaN)).toThrow(/ts must be a finite number/);
    expect(() => detector.record('', 'raise', 0)).toThrow(/alarmId/);
    expect(() => detector.record(ID, 'open' as 'raise', 0)).toThrow(/kind must be/);
    expect(() => new ChatterDetector({ cycles: 1, windowMs: 60 * S, clock })).toThrow(/cycles/);
    expect(() => new ChatterDetector({ cycles: 3, windowMs: 0, clock })).toThrow(/windowMs/);
    expect(() => new ChatterDetector({ cycles: 3, windowMs: 1, clock, maxTrackedCycles: 2 })).toThrow(/maxTrackedCycles/);
    detector.stop();
    expect(clock.pending()).toBe(0);
  });

  it('takes an out-of-order timestamp as the latest seen', async () => {
    const { t0, changes, detector } = setup();
    detector.record(ID, 'raise', t0 + 10 * S);
    detector.record(ID, 'clear', t0 + 11 * S);
    detector.record(ID, 'raise', t0 + 5 * S); // late: counted at 11 s
    detector.record(ID, 'clear', t0 + 12 * S);
    detector.record(ID, 'raise', t0 + 13 * S);
    expect(changes).toEqual([{ type: 'start', alarmId: ID, cycles: 3, at: t0 + 13 * S }]);
  });
});
