import { describe, expect, it } from 'vitest';
import { ActiveAlarms } from '../../../src/alarms/active-alarms.js';
import type { AlarmEvent } from '../../../src/alarms/events.js';
import type { AlarmPriority } from '../../../src/profiles/types.js';

const T0 = Date.UTC(2026, 0, 1);
const SECOND_MS = 1000;

function threshold(type: AlarmEvent['type'], device: string, rule: string, priority: AlarmPriority, ts: number, value = 120): AlarmEvent {
  return {
    type, alarmId: `${device}:${rule}`, site: 'hq', device, point: `${device}.motor_temperature`, rule, kind: 'threshold-high',
    priority, message: rule, value, quality: 'good', limit: 110, conditionSince: ts - 10 * SECOND_MS, ts,
  };
}

function commLoss(type: AlarmEvent['type'], device: string, ts: number): AlarmEvent {
  return { type, alarmId: `${device}:comm_loss`, site: 'hq', device, rule: 'comm_loss', kind: 'comm-loss', priority: 'high', message: 'Communication lost', conditionSince: ts, ts };
}

describe('ActiveAlarms', () => {
  it('adds on raise and removes on clear, keeping raisedAt and the value', () => {
    const alarms = new ActiveAlarms();
    alarms.apply(threshold('raise', 'pump-1', 'motor_temperature_high', 'high', T0));
    expect(alarms.list()).toEqual([
      {
        alarmId: 'pump-1:motor_temperature_high', site: 'hq', device: 'pump-1', point: 'pump-1.motor_temperature', rule: 'motor_temperature_high',
        kind: 'threshold-high', priority: 'high', message: 'motor_temperature_high', value: 120, quality: 'good', limit: 110,
        raisedAt: T0, conditionSince: T0 - 10 * SECOND_MS,
      },
    ]);
    alarms.apply(threshold('clear', 'pump-1', 'motor_temperature_high', 'high', T0 + SECOND_MS, 100));
    expect(alarms.list()).toEqual([]);
    expect(alarms.counts()).toEqual({ active: 0, raises: 1, clears: 1, unmatched: 0 });
  });

  it('carries no point, value or limit for a comm-loss alarm', () => {
    const alarms = new ActiveAlarms();
    alarms.apply(commLoss('raise', 'pump-1', T0));
    const [alarm] = alarms.list();
    expect(alarm).toMatchObject({ alarmId: 'pump-1:comm_loss', kind: 'comm-loss', raisedAt: T0 });
    expect(alarm).not.toHaveProperty('point');
    expect(alarm).not.toHaveProperty('value');
    expect(alarm).not.toHaveProperty('limit');
  });

  it('sorts by priority, critical first, then newest first', () => {
    const alarms = new ActiveAlarms();
    alarms.apply(threshold('raise', 'pump-1', 'a_low', 'low', T0));
    alarms.apply(threshold('raise', 'pump-1', 'b_high_old', 'high', T0 + SECOND_MS));
    alarms.apply(threshold('raise', 'lift-1', 'c_critical', 'critical', T0 + 2 * SECOND_MS));
    alarms.apply(threshold('raise', 'pump-2', 'd_medium', 'medium', T0 + 3 * SECOND_MS));
    alarms.apply(commLoss('raise', 'pump-3', T0 + 4 * SECOND_MS));
    alarms.apply(threshold('raise', 'pump-1', 'e_high_same_time', 'high', T0 + 4 * SECOND_MS));
    expect(alarms.list().map((a) => a.alarmId)).toEqual([
      'lift-1:c_critical',
      'pump-1:e_high_same_time', // same time as the comm loss: by id
      'pump-3:comm_loss',
      'pump-1:b_high_old',
      'pump-2:d_medium',
      'pump-1:a_low',
    ]);
  });

  it('filters by device and by priority', () => {
    const alarms = new ActiveAlarms();
    alarms.apply(threshold('raise', 'pump-1', 'x', 'low', T0));
    alarms.apply(threshold('raise', 'pump-1', 'y', 'high', T0));
    alarms.apply(threshold('raise', 'pump-2', 'z', 'high', T0));
    expect(alarms.list({ device: 'pump-1' }).map((a) => a.alarmId)).toEqual(['pump-1:y', 'pump-1:x']);
    expect(alarms.list({ priority: 'high' }).map((a) => a.alarmId)).toEqual(['pump-1:y', 'pump-2:z']);
    expect(alarms.list({ device: 'pump-2', priority: 'low' })).toEqual([]);
    expect(alarms.list({ device: undefined, priority: undefined })).toHaveLength(3);
  });

  it('counts a repeated raise and a stray clear as unmatched without losing raisedAt', () => {
    const alarms = new ActiveAlarms();
    alarms.apply(threshold('raise', 'pump-1', 'x', 'high', T0, 120));
    alarms.apply(threshold('raise', 'pump-1', 'x', 'high', T0 + SECOND_MS, 130));
    alarms.apply(threshold('clear', 'pump-9', 'x', 'high', T0));
    expect(alarms.get('pump-1:x')).toMatchObject({ raisedAt: T0, value: 130 });
    expect(alarms.counts()).toEqual({ active: 1, raises: 1, clears: 0, unmatched: 2 });
  });

  it('hands out copies', () => {
    const alarms = new ActiveAlarms();
    alarms.apply(threshold('raise', 'pump-1', 'x', 'high', T0));
    const [listed] = alarms.list();
    if (listed === undefined) throw new Error('expected an alarm');
    listed.priority = 'low';
    const got = alarms.get('pump-1:x');
    if (got === undefined) throw new Error('expected an alarm');
    got.value = 0;
    expect(alarms.get('pump-1:x')).toMatchObject({ priority: 'high', value: 120 });
  });
});
