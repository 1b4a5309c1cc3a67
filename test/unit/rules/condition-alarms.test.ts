import { describe, expect, it } from 'vitest';
import type { ConditionAlarmDef } from '../../../src/profiles/types.js';
import { boosterEngine } from './condition-harness.js';

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;

const dryRun: ConditionAlarmDef = { kind: 'state', id: 'dry_run', point: 'fault_code', states: ['dry_run', 3], priority: 'high', message: 'Pump fault' };
const lowWhileRunning: ConditionAlarmDef = {
  kind: 'expression', id: 'low_while_running', when: 'pressure < 2 and running', onDelayMs: 5 * SECOND_MS, priority: 'high', message: 'Pressure low while running',
};

describe('state alarms', () => {
  it('raises while an enum point is in a listed state (by name or raw number) and clears when it leaves', () => {
    const { sample, summary, events } = boosterEngine([dryRun]);
    sample('fault_code', 'ok');
    sample('fault_code', 'overcurrent'); // raw 3 in the list
    sample('fault_code', 'dry_run');
    sample('fault_code', 'unknown_9'); // a state the profile does not name: not in the list
    expect(summary()).toEqual(['raise dry_run', 'clear dry_run']);
    expect(events[0]).toMatchObject({ kind: 'state', point: 'bp-1.fault_code', value: 'overcurrent', quality: 'good', lifeSafety: false });
    expect(events[0]?.limit).toBeUndefined();
  });

  it('matches a driver that delivers raw numbers, and 0/1 on binary points', () => {
    const running: ConditionAlarmDef = { kind: 'state', id: 'running', point: 'running', states: [true], priority: 'low', message: 'Running' };
    const { sample, summary } = boosterEngine([dryRun, running]);
    sample('fault_code', 7);
    sample('running', 1);
    sample('running', false);
    expect(summary()).toEqual(['raise dry_run', 'raise running', 'clear running']);
  });

  it('honours on- and off-delays; a sample that is not good cancels a pending raise', () => {
    const { clock, sample, summary } = boosterEngine([{ ...dryRun, onDelayMs: 10 * SECOND_MS, offDelayMs: 5 * SECOND_MS }]);
    sample('fault_code', 'dry_run');
    clock.advanceSync(6 * SECOND_MS);
    sample('fault_code', 'dry_run', 'stale');
    clock.advanceSync(10 * SECOND_MS);
    expect(summary()).toEqual([]);
    sample('fault_code', 'dry_run');
    clock.advanceSync(10 * SECOND_MS);
    expect(summary()).toEqual(['raise dry_run']);
    sample('fault_code', 'ok');
    clock.advanceSync(4 * SECOND_MS);
    sample('fault_code', 'ok', 'bad'); // cancels the pending clear; the alarm stays up
    clock.advanceSync(10 * SECOND_MS);
    expect(summary()).toEqual(['raise dry_run']);
    sample('fault_code', 'ok');
    clock.advanceSync(5 * SECOND_MS);
    expect(summary()).toEqual(['raise dry_run', 'clear dry_run']);
  });
});

describe('rate alarms', () => {
  const fastRise: ConditionAlarmDef = { kind: 'rate', id: 'level_rising', point: 'level', risePerMinute: 0.5, fallPerMinute: 1, windowMs: MINUTE_MS, priority: 'medium', message: 'Level changing fast' };

  it('needs a history spanning the window, raises on a fast rise and clears once the level holds still', () => {
    const { clock, sample, summary, events } = boosterEngine([fastRise]);
    let level = 1;
    for (let s = 0; s < 30; s++) {
      sample('level', level);
      level += 0.02; // 1.2 m/min
      clock.advanceSync(SECOND_MS);
    }
    expect(summary()).toEqual([]); // 30 s of history: no slope yet
    for (let s = 0; s < 31; s++) {
      sample('level', level);
      level += 0.02;
      clock.advanceSync(SECOND_MS);
    }
    expect(summary()).toEqual(['raise level_rising']);
    expect(events[0]).toMatchObject({ kind: 'rate', point: 'bp-1.level', limit: 0.5 });
    expect(events[0]?.value).toBeCloseTo(1.2, 1);
    // The level stops: unchanged samples still reach the rate rule, and the slope falls back.
    for (let s = 0; s < 70; s++) {
      sample('level', level);
      clock.advanceSync(SECOND_MS);
    }
    expect(summary()).toEqual(['raise level_rising', 'clear level_rising']);
    expect(events[1]?.value).toBeLessThan(0.5);
  });

  it('raises on a fast fall with the fall as a negative limit, and measures over the window, not between two samples', () => {
    const { clock, sample, summary, events } = boosterEngine([fastRise]);
    for (let s = 0; s <= 60; s++) {
      sample('level', 5 + (s % 2) * 0.3); // jitter of 0.3 m between samples, no trend
      clock.advanceSync(SECOND_MS);
    }
    expect(summary()).toEqual([]);
    let level = 5;
    for (let s = 0; s < 120; s++) {
      level -= 0.05; // 3 m/min
      sample('level', level);
      clock.advanceSync(SECOND_MS);
    }
    expect(summary()).toEqual(['raise level_rising']);
    expect(events[0]?.limit).toBe(-1);
    expect(events[0]?.value).toBeLessThan(-1);
  });

  it('judges good samples only: a bad sample cancels a pending raise and stays out of the history', () => {
    const { clock, sample, summary } = boosterEngine([{ ...fastRise, onDelayMs: 10 * SECOND_MS }]);
    let level = 1;
    const step = (quality: 'good' | 'bad' = 'good'): void => {
      sample('level', quality === 'good' ? level : 999, quality);
      level += 0.05;
      clock.advanceSync(SECOND_MS);
    };
    for (let s = 0; s < 65; s++) step();
    expect(summary()).toEqual([]); // pending
    step('bad');
    for (let s = 0; s < 9; s++) step();
    expect(summary()).toEqual([]); // the delay restarted after the bad sample
    for (let s = 0; s < 3; s++) step();
    expect(summary()).toEqual(['raise level_rising']);
  });
});

describe('expression alarms', () => {
  it('raises when the condition held for the on-delay, evaluated when any input changes, and clears', () => {
    const { clock, sample, summary, events } = boosterEngine([lowWhileRunning]);
    sample('running', true);
    sample('pressure', 1.5);
    const since = clock.now();
    clock.advanceSync(4 * SECOND_MS);
    sample('pressure', 1.4);
    clock.advanceSync(SECOND_MS);
    expect(summary()).toEqual(['raise low_while_running']);
    expect(events[0]).toMatchObject({ kind: 'expression', value: true, conditionSince: since, ts: since + 5 * SECOND_MS });
    sample('running', false); // another input makes it false
    expect(summary()).toEqual(['raise low_while_running', 'clear low_while_running']);
  });

  it('treats an input that is not good, or never seen, as unknown: no raise, no clear, pending delays cancelled', () => {
    const { clock, sample, summary } = boosterEngine([lowWhileRunning]);
    sample('pressure', 1);
    clock.advanceSync(10 * SECOND_MS);
    expect(summary()).toEqual([]); // running never seen
    sample('running', true);
    clock.advanceSync(3 * SECOND_MS);
    sample('pressure', 1, 'stale'); // unknown: the pending raise is cancelled
    sample('pressure', 1);
    clock.advanceSync(3 * SECOND_MS);
    expect(summary()).toEqual([]);
    clock.advanceSync(2 * SECOND_MS);
    expect(summary()).toEqual(['raise low_while_running']);
    sample('pressure', 5, 'bad'); // unknown: stays active
    expect(summary()).toEqual(['raise low_while_running']);
    sample('running', false, 'bad'); // `false and X` would decide, but the value is bad: still unknown
    expect(summary()).toEqual(['raise low_while_running']);
    sample('running', false);
    expect(summary()).toEqual(['raise low_while_running', 'clear low_while_running']);
  });

  it('reads the device points as unknown after the device went offline', () => {
    const { clock, engine, sample, summary } = boosterEngine([{ ...lowWhileRunning, onDelayMs: 0 }]);
    sample('running', true);
    sample('pressure', 3);
    engine.onDeviceStatus({ device: 'bp-1', online: false, ts: clock.now() });
    sample('pressure', 1); // running is no longer known
    expect(summary()).toEqual([]);
    sample('running', true);
    expect(summary()).toEqual(['raise low_while_running']);
  });
});

describe('repeat alarms', () => {
  const frequentStarts: ConditionAlarmDef = { kind: 'repeat', id: 'frequent_starts', when: 'running', count: 3, windowMs: 10 * MINUTE_MS, priority: 'medium', message: 'Jockey pump starts too often' };
  const start = (sample: (p: string, v: boolean) => void): void => {
    sample('running', true);
    sample('running', false);
  };

  it('counts false → true edges in the window, raises at count and clears when the oldest ages out', () => {
    const { clock, sample, summary, events } = boosterEngine([frequentStarts]);
    sample('running', true); // the first known value is not an edge
    sample('running', false);
    const first = clock.now();
    start(sample);
    clock.advanceSync(4 * MINUTE_MS);
    start(sample);
    clock.advanceSync(4 * MINUTE_MS);
    expect(summary()).toEqual([]);
    start(sample);
    expect(summary()).toEqual(['raise frequent_starts']);
    expect(events[0]).toMatchObject({ kind: 'repeat', value: 3, limit: 3, conditionSince: first });
    clock.advanceSync(2 * MINUTE_MS - 1);
    expect(summary()).toEqual(['raise frequent_starts']);
    clock.advanceSync(1);
    expect(summary()).toEqual(['raise frequent_starts', 'clear frequent_starts']);
    expect(events[1]).toMatchObject({ value: 2, conditionSince: first + 10 * MINUTE_MS });
  });

  it('skips unknown results between edges and honours the off-delay', () => {
    const { clock, sample, summary } = boosterEngine([{ ...frequentStarts, count: 2, offDelayMs: MINUTE_MS }]);
    sample('running', false);
    sample('running', true); // edge 1
    sample('running', true, 'stale'); // unknown
    sample('running', false, 'stale');
    sample('running', false); // known false again
    sample('running', true); // edge 2
    expect(summary()).toEqual(['raise frequent_starts']);
    clock.advanceSync(10 * MINUTE_MS);
    expect(summary()).toEqual(['raise frequent_starts']); // the off-delay runs from the window drop
    clock.advanceSync(MINUTE_MS);
    expect(summary()).toEqual(['raise frequent_starts', 'clear frequent_starts']);
  });
});

describe('every event carries lifeSafety and rationale from its definition', () => {
  it('on condition alarms and thresholds alike', () => {
    const rationale = { cause: 'Dry running', consequence: 'Seal damage', action: 'Check suction valve' };
    const { sample, events } = boosterEngine([{ ...dryRun, lifeSafety: true, rationale }], {
      thresholds: [{ id: 'pressure_high', point: 'pressure', high: 8, priority: 'medium', message: 'Pressure high', rationale }],
    });
    sample('fault_code', 'dry_run');
    sample('pressure', 9);
    expect(events.map((e) => [e.rule, e.lifeSafety, e.rationale])).toEqual([
      ['dry_run', true, rationale],
      ['pressure_high', false, rationale],
    ]);
  });
});
