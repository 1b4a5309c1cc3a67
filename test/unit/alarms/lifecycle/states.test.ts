import { describe, expect, it } from 'vitest';
import type { AlarmEvent } from '../../../../src/alarms/events.js';
import { AlarmLifecycle, AlarmLifecycleError, type AlarmSettings, type TransitionRecord } from '../../../../src/alarms/lifecycle/index.js';
import { VirtualClock } from '../../../../src/time/clock.js';

const MINUTE_MS = 60_000;
const ID = 'pump-1:motor_temperature_high';

function event(type: AlarmEvent['type'], clock: VirtualClock, alarmId = ID): AlarmEvent {
  const [device = 'pump-1', rule = 'rule'] = alarmId.split(':');
  return {
    type, alarmId, site: 'hq', device, rule, kind: 'threshold-high', priority: 'high', message: rule,
    conditionSince: clock.now(), ts: clock.now(),
  };
}

function setup(settings: AlarmSettings = {}) {
  const clock = new VirtualClock();
  const records: TransitionRecord[] = [];
  const lc = new AlarmLifecycle({ clock, maxShelveMs: 60 * MINUTE_MS, settingsFor: () => settings });
  lc.subscribe((r) => records.push(r));
  const raise = (id = ID) => lc.onRaise(event('raise', clock, id));
  const clear = (id = ID) => lc.onClear(event('clear', clock, id));
  const state = (id = ID) => lc.get(id)?.state;
  const last = () => records[records.length - 1];
  return { clock, lc, records, raise, clear, state, last };
}

function expectError(fn: () => void, code: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(AlarmLifecycleError);
  expect((caught as AlarmLifecycleError).code).toBe(code);
  expect((caught as AlarmLifecycleError).message.length).toBeGreaterThan(0);
}

describe('AlarmLifecycle: the ISA-18.2 state diagram', () => {
  it('normal → unack-active on raise, annunciated', () => {
    const t = setup();
    t.raise();
    expect(t.state()).toBe('unack-active');
    expect(t.last()).toMatchObject({ alarmId: ID, from: 'normal', to: 'unack-active', action: 'raise', annunciate: true, priority: 'high', ts: t.clock.now() });
    expect(t.last()?.by).toBeUndefined();
  });

  it('unack-active → ack-active on acknowledge, then ack-active → normal on clear', async () => {
    const t = setup();
    t.raise();
    await t.clock.advance(MINUTE_MS);
    t.lc.acknowledge(ID, 'alice', 'looking at it');
    expect(t.last()).toMatchObject({ from: 'unack-active', to: 'ack-active', action: 'ack', by: 'alice', comment: 'looking at it', annunciate: false });
    expect(t.lc.get(ID)).toMatchObject({ acknowledgedBy: 'alice', acknowledgedAt: t.clock.now() });
    t.clear();
    expect(t.last()).toMatchObject({ from: 'ack-active', to: 'normal', action: 'clear', annunciate: false });
  });

  it('unack-active → rtn-unack on clear, then rtn-unack → normal on acknowledge', () => {
    const t = setup();
    t.raise();
    t.clear();
    expect(t.last()).toMatchObject({ from: 'unack-active', to: 'rtn-unack', action: 'clear', annunciate: false });
    t.lc.acknowledge(ID, 'bob');
    expect(t.last()).toMatchObject({ from: 'rtn-unack', to: 'normal', action: 'ack', by: 'bob' });
  });

  it('rtn-unack → unack-active when the condition returns, annunciated again', () => {
    const t = setup();
    t.raise();
    t.clear();
    t.raise();
    expect(t.last()).toMatchObject({ from: 'rtn-unack', to: 'unack-active', action: 'raise', annunciate: true });
  });

  it('counts duplicate raises and unmatched clears without transitions', () => {
    const t = setup();
    t.clear();
    t.raise();
    t.raise();
    expect(t.records).toHaveLength(1);
    expect(t.lc.unmatched()).toBe(2);
  });

  it('refuses to acknowledge a normal or an already acknowledged alarm, state unchanged', () => {
    const t = setup();
    t.lc.define(ID);
    expectError(() => t.lc.acknowledge(ID, 'alice'), 'not-unacknowledged');
    t.raise();
    t.lc.acknowledge(ID, 'alice');
    const before = t.lc.get(ID);
    const n = t.records.length;
    expectError(() => t.lc.acknowledge(ID, 'alice'), 'not-unacknowledged');
    expect(t.lc.get(ID)).toEqual(before);
    expect(t.records).toHaveLength(n);
  });

  it('refuses actions on an unknown alarm and actions without an operator', () => {
    const t = setup();
    expectError(() => t.lc.acknowledge('nope', 'alice'), 'unknown-alarm');
    expectError(() => t.lc.shelve('nope', 'alice', MINUTE_MS), 'unknown-alarm');
    expectError(() => t.lc.unshelve('nope', 'alice'), 'unknown-alarm');
    expectError(() => t.lc.removeFromService('nope', 'alice', t.clock.now() + MINUTE_MS), 'unknown-alarm');
    expectError(() => t.lc.returnToService('nope', 'alice'), 'unknown-alarm');
    expectError(() => t.lc.reset('nope', 'alice'), 'unknown-alarm');
    expectError(() => t.lc.setSuppressed('nope', true, 'maintenance'), 'unknown-alarm');
    t.raise();
    expectError(() => t.lc.acknowledge(ID, '  '), 'missing-operator');
    expect(t.state()).toBe('unack-active');
    expect(t.records).toHaveLength(1);
  });
});

describe('AlarmLifecycle: latching and reset', () => {
  it('a latched alarm stays active after the condition clears until reset', () => {
    const t = setup({ latched: true });
    t.raise();
    t.clear();
    expect(t.last()).toMatchObject({ from: 'unack-active', to: 'unack-active', action: 'clear', annunciate: false, flags: { awaitingReset: true } });
    expect(t.lc.get(ID)).toMatchObject({ state: 'unack-active', conditionActive: false, awaitingReset: true, latched: true });
    t.lc.acknowledge(ID, 'alice');
    expect(t.state()).toBe('ack-active');
    t.lc.reset(ID, 'alice');
    expect(t.last()).toMatchObject({ from: 'ack-active', to: 'normal', action: 'reset', by: 'alice', annunciate: false, flags: { awaitingReset: false } });
  });

  it('reset of an unacknowledged latched alarm acknowledges it too', () => {
    const t = setup({ latched: true });
    t.raise();
    t.clear();
    t.lc.reset(ID, 'alice');
    expect(t.last()).toMatchObject({ from: 'unack-active', to: 'normal', action: 'reset' });
    expect(t.lc.get(ID)).toMatchObject({ acknowledgedBy: 'alice' });
  });

  it('refuses a reset while the condition is active, of a non-latched alarm, or with nothing to reset', () => {
    const t = setup({ latched: true });
    t.raise();
    expectError(() => t.lc.reset(ID, 'alice'), 'condition-active');
    expect(t.state()).toBe('unack-active');
    t.clear();
    t.lc.reset(ID, 'alice');
    expectError(() => t.lc.reset(ID, 'alice'), 'not-awaiting-reset');
    const u = setup();
    u.raise();
    u.clear();
    expectError(() => u.lc.reset(ID, 'alice'), 'not-latched');
    expect(u.state()).toBe('rtn-unack');
  });

  it('a condition returning while latched causes no new annunciation', () => {
    const t = setup({ latched: true });
    t.raise();
    t.lc.acknowledge(ID, 'alice');
    t.clear();
    t.raise();
    expect(t.last()).toMatchObject({ from: 'ack-active', to: 'ack-active', action: 'raise', annunciate: false, flags: { awaitingReset: false } });
    expectError(() => t.lc.reset(ID, 'alice'), 'condition-active');
  });
});

describe('AlarmLifecycle: re-alarm', () => {
  it('an acknowledged alarm still active after reAlarmMs goes back to unacknowledged and annunciates', async () => {
    const t = setup({ reAlarmMs: 30 * MINUTE_MS });
    t.raise();
    await t.clock.advance(5 * MINUTE_MS);
    t.lc.acknowledge(ID, 'alice');
    await t.clock.advance(30 * MINUTE_MS - 1);
    expect(t.state()).toBe('ack-active');
    await t.clock.advance(1);
    expect(t.state()).toBe('unack-active');
    expect(t.last()).toMatchObject({ from: 'ack-active', to: 'unack-active', action: 're-alarm', annunciate: true, ts: t.clock.now() });
    expect(t.lc.get(ID)?.acknowledgedBy).toBeUndefined();
    // Acknowledged again, it re-alarms again after another reAlarmMs.
    t.lc.acknowledge(ID, 'bob');
    await t.clock.advance(30 * MINUTE_MS);
    expect(t.records.filter((r) => r.action === 're-alarm')).toHaveLength(2);
  });

  it('no re-alarm once the condition cleared, and no timer left behind', async () => {
    const t = setup({ reAlarmMs: 10 * MINUTE_MS });
    t.raise();
    t.lc.acknowledge(ID, 'alice');
    expect(t.lc.pendingTimers()).toBe(1);
    await t.clock.advance(5 * MINUTE_MS);
    t.clear();
    expect(t.lc.pendingTimers()).toBe(0);
    await t.clock.advance(60 * MINUTE_MS);
    expect(t.state()).toBe('normal');
    expect(t.records.some((r) => r.action === 're-alarm')).toBe(false);
  });

  it('no re-alarm without the setting', async () => {
    const t = setup();
    t.raise();
    t.lc.acknowledge(ID, 'alice');
    await t.clock.advance(24 * 60 * MINUTE_MS);
    expect(t.state()).toBe('ack-active');
    expect(t.lc.pendingTimers()).toBe(0);
  });

  it('no re-alarm while shelved; the re-alarm time restarts on unshelve', async () => {
    const t = setup({ reAlarmMs: 10 * MINUTE_MS });
    t.raise();
    t.lc.acknowledge(ID, 'alice');
    await t.clock.advance(5 * MINUTE_MS);
    t.lc.shelve(ID, 'alice', 20 * MINUTE_MS);
    await t.clock.advance(20 * MINUTE_MS);
    expect(t.last()).toMatchObject({ action: 'shelve-expired', from: 'ack-active', to: 'ack-active', annunciate: false });
    await t.clock.advance(10 * MINUTE_MS - 1);
    expect(t.state()).toBe('ack-active');
    await t.clock.advance(1);
    expect(t.last()).toMatchObject({ action: 're-alarm', annunciate: true });
  });
});

describe('AlarmLifecycle: listeners and snapshots', () => {
  it('a throwing listener does not break the state or other listeners', () => {
    const clock = new VirtualClock();
    const errors: unknown[] = [];
    const lc = new AlarmLifecycle({ clock, maxShelveMs: MINUTE_MS, onError: (err) => errors.push(err) });
    const seen: string[] = [];
    lc.subscribe(() => {
      throw new Error('boom');
    });
    const unsubscribe = lc.subscribe((r) => seen.push(r.action));
    lc.onRaise(event('raise', clock));
    unsubscribe();
    lc.onClear(event('clear', clock));
    expect(seen).toEqual(['raise']);
    expect(errors).toHaveLength(2);
    expect(lc.get(ID)?.state).toBe('rtn-unack');
  });

  it('lists non-quiet alarms, unacknowledged first, then by priority', () => {
    const clock = new VirtualClock();
    const lc = new AlarmLifecycle({ clock, maxShelveMs: MINUTE_MS });
    const low = { ...event('raise', clock, 'fan-1:a'), priority: 'low' as const };
    const high = { ...event('raise', clock, 'fan-2:b'), priority: 'high' as const };
    lc.onRaise(low);
    lc.onRaise(high);
    lc.onRaise(event('raise', clock, 'fan-3:c'));
    lc.acknowledge('fan-3:c', 'alice');
    lc.define('fan-4:quiet');
    expect(lc.list().map((a) => a.alarmId)).toEqual(['fan-2:b', 'fan-1:a', 'fan-3:c']);
    expect(lc.list({ skipQuiet: false })).toHaveLength(4);
    expect(lc.list({ state: 'ack-active' }).map((a) => a.alarmId)).toEqual(['fan-3:c']);
    expect(lc.list({ device: 'fan-1' }).map((a) => a.alarmId)).toEqual(['fan-1:a']);
    expect(lc.get('fan-2:b')).toMatchObject({
      alarmId: 'fan-2:b', state: 'unack-active', conditionActive: true, latched: false, lifeSafety: false, annunciated: true,
      site: 'hq', device: 'fan-2', priority: 'high', raisedAt: clock.now(),
    });
  });
});
