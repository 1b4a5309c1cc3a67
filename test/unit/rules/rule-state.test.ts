import { describe, expect, it } from 'vitest';
import type { ConditionAlarmDef } from '../../../src/profiles/types.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { boosterEngine } from './condition-harness.js';

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;

const inMaintenance = 'mode == "maintenance"';
const dryRun: ConditionAlarmDef = { kind: 'state', id: 'dry_run', point: 'fault_code', states: ['dry_run'], priority: 'high', message: 'Pump fault', suppressWhen: inMaintenance };
const lowWhileRunning: ConditionAlarmDef = {
  kind: 'expression', id: 'low_while_running', when: 'pressure < 2 and running', onDelayMs: 30 * SECOND_MS, priority: 'high', message: 'Pressure low while running',
};
const frequentStarts: ConditionAlarmDef = { kind: 'repeat', id: 'frequent_starts', when: 'running', count: 3, windowMs: 10 * MINUTE_MS, priority: 'medium', message: 'Starts' };

describe('suppression by design', () => {
  it('reports changes of suppressWhen; unknown keeps the state; the alarm is still evaluated', () => {
    const { sample, suppressions, summary, engine } = boosterEngine([dryRun]);
    sample('mode', 'auto');
    expect(suppressions).toEqual([]); // starts unsuppressed; only changes are reported
    sample('mode', 'maintenance');
    sample('fault_code', 'dry_run');
    sample('mode', 'maintenance', 'stale'); // unknown: keeps suppressed
    expect(engine.suppressedAlarms()).toEqual([{ alarmId: 'bp-1:dry_run', reason: inMaintenance }]);
    sample('fault_code', 'ok');
    sample('mode', 'auto');
    expect(suppressions).toEqual([
      ['bp-1:dry_run', true, inMaintenance],
      ['bp-1:dry_run', false, inMaintenance],
    ]);
    expect(summary()).toEqual(['raise dry_run', 'clear dry_run']);
  });
});

describe('rule-state snapshots', () => {
  it('reports state changes, not every sample', () => {
    const { sample, stateChanges } = boosterEngine([lowWhileRunning]);
    sample('running', true);
    for (let p = 5; p > 2; p -= 0.5) sample('pressure', p);
    expect(stateChanges()).toBe(0);
    sample('pressure', 1.5); // pending raise starts
    sample('pressure', 1.4);
    sample('pressure', 1.3);
    expect(stateChanges()).toBe(1);
    sample('pressure', 3); // cancelled
    expect(stateChanges()).toBe(2);
  });

  it('resumes a pending on-delay with its remaining time and a repeat window, and emits nothing on restore', () => {
    const clock = new VirtualClock(1_000_000);
    const before = boosterEngine([lowWhileRunning, frequentStarts, dryRun], {}, clock);
    before.sample('running', false);
    before.sample('running', true); // start 1
    before.sample('pressure', 1); // low while running: pending, 30 s
    clock.advanceSync(MINUTE_MS);
    expect(before.summary()).toEqual(['raise low_while_running']);
    before.sample('pressure', 3); // clear
    before.sample('running', false);
    clock.advanceSync(MINUTE_MS);
    before.sample('running', true); // start 2
    before.sample('pressure', 1); // pending again
    before.sample('mode', 'maintenance');
    clock.advanceSync(20 * SECOND_MS); // 10 s of the on-delay left
    const snapshot = JSON.parse(JSON.stringify(before.engine.snapshotState())) as unknown;
    before.engine.stop();

    // The process dies; the next one starts 4 s later with a new engine on the same clock.
    clock.advanceSync(4 * SECOND_MS);
    const after = boosterEngine([lowWhileRunning, frequentStarts, dryRun], {}, clock);
    const report = after.engine.restoreState(snapshot);
    expect(report.unknownAlarmIds).toEqual([]);
    expect(report.rejected).toEqual([]);
    expect(report.restored.sort()).toEqual(['bp-1:dry_run', 'bp-1:frequent_starts', 'bp-1:low_while_running']);
    expect(after.events).toEqual([]);
    expect(after.engine.suppressedAlarms()).toEqual([{ alarmId: 'bp-1:dry_run', reason: inMaintenance }]);
    clock.advanceSync(6 * SECOND_MS - 1);
    expect(after.summary()).toEqual([]);
    clock.advanceSync(1);
    expect(after.summary()).toEqual(['raise low_while_running']);
    // The repeat window kept the two starts: one more raises.
    after.sample('running', false);
    after.sample('running', true);
    expect(after.summary()).toEqual(['raise low_while_running', 'clear low_while_running', 'raise frequent_starts']);
  });

  it('fires deadlines already past at once and ignores alarm ids that no rule has any more', () => {
    const clock = new VirtualClock(5_000_000);
    const before = boosterEngine([lowWhileRunning], {}, clock);
    before.sample('running', true);
    before.sample('pressure', 1);
    const snapshot = before.engine.snapshotState();
    clock.advanceSync(MINUTE_MS); // the gateway was down longer than the delay
    const after = boosterEngine([], {}, clock);
    expect(after.engine.restoreState(snapshot).unknownAlarmIds).toEqual(['bp-1:low_while_running']);
    const again = boosterEngine([lowWhileRunning], {}, clock);
    again.engine.restoreState(snapshot);
    expect(again.summary()).toEqual(['raise low_while_running']);
    expect(again.events[0]?.ts).toBe(clock.now());
  });

  it('keeps an active alarm active without raising it again, and rejects malformed entries', () => {
    const clock = new VirtualClock();
    const before = boosterEngine([{ ...dryRun, suppressWhen: undefined }], {}, clock);
    before.sample('fault_code', 'dry_run');
    before.engine.onDeviceStatus({ device: 'bp-1', online: false, ts: clock.now() });
    clock.advanceSync(10 * SECOND_MS); // the communication alarm raises
    expect(before.summary()).toEqual(['raise dry_run', 'raise comm_loss']);
    const snapshot = before.engine.snapshotState();
    expect(Object.keys(snapshot.alarms).sort()).toEqual(['bp-1:comm_loss', 'bp-1:dry_run']);
    const after = boosterEngine([{ ...dryRun, suppressWhen: undefined }], {}, clock);
    const report = after.engine.restoreState({ ...snapshot, alarms: { ...snapshot.alarms, 'bp-1:pressure_high': { kind: 'threshold-high', rule: 'delayed', state: 'sideways' } } });
    expect(report.rejected).toEqual([{ alarmId: 'bp-1:pressure_high', reason: 'unknown state "sideways"' }]);
    expect(after.engine.activeAlarms().map((a) => a.alarmId).sort()).toEqual(['bp-1:comm_loss', 'bp-1:dry_run']);
    after.sample('fault_code', 'ok');
    after.engine.onDeviceStatus({ device: 'bp-1', online: true, ts: clock.now() });
    expect(after.summary()).toEqual(['clear dry_run', 'clear comm_loss']);
    expect(after.engine.restoreState({ version: 99 }).rejected).toHaveLength(1);
  });
});
