import { describe, expect, it } from 'vitest';
import type { AlarmEvent } from '../../../../src/alarms/events.js';
import { AlarmLifecycle, AlarmLifecycleError, type AlarmSettings, type TransitionRecord } from '../../../../src/alarms/lifecycle/index.js';
import { VirtualClock } from '../../../../src/time/clock.js';

const MINUTE_MS = 60_000;
const ID = 'pump-1:motor_temperature_high';
const FIRE = 'panel-1:zone_3_fire';

function event(type: AlarmEvent['type'], clock: VirtualClock, alarmId = ID): AlarmEvent {
  const [device = 'pump-1', rule = 'rule'] = alarmId.split(':');
  return {
    type, alarmId, site: 'hq', device, rule, kind: 'threshold-high', priority: 'critical', message: rule,
    conditionSince: clock.now(), ts: clock.now(),
  };
}

function setup(settings: AlarmSettings = {}, maxOutOfServiceMs?: number) {
  const clock = new VirtualClock();
  const records: TransitionRecord[] = [];
  const lc = new AlarmLifecycle({
    clock, maxShelveMs: 60 * MINUTE_MS, ...(maxOutOfServiceMs !== undefined ? { maxOutOfServiceMs } : {}),
    settingsFor: (e) => (e.alarmId === FIRE ? { lifeSafety: true } : settings),
  });
  lc.subscribe((r) => records.push(r));
  const raise = (id = ID) => lc.onRaise(event('raise', clock, id));
  const clear = (id = ID) => lc.onClear(event('clear', clock, id));
  const state = (id = ID) => lc.get(id)?.state;
  const last = () => records[records.length - 1];
  return { clock, lc, records, raise, clear, state, last };
}

function expectUnchanged(t: ReturnType<typeof setup>, id: string, fn: () => void, code: string): void {
  const before = t.lc.get(id);
  const n = t.records.length;
  const timers = t.lc.pendingTimers();
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(AlarmLifecycleError);
  expect((caught as AlarmLifecycleError).code).toBe(code);
  expect((caught as AlarmLifecycleError).alarmId).toBe(id);
  expect(t.lc.get(id)).toEqual(before);
  expect(t.records).toHaveLength(n);
  expect(t.lc.pendingTimers()).toBe(timers);
}

describe('AlarmLifecycle: shelving', () => {
  it('shelving stops annunciation, the state keeps following the condition, and it expires by itself', async () => {
    const t = setup();
    t.lc.define(ID);
    t.lc.shelve(ID, 'alice', 30 * MINUTE_MS, 'sensor being replaced');
    expect(t.last()).toMatchObject({ action: 'shelve', from: 'normal', to: 'normal', by: 'alice', comment: 'sensor being replaced', annunciate: false, flags: { shelved: true } });
    expect(t.lc.get(ID)).toMatchObject({ annunciated: false, shelved: { by: 'alice', since: t.clock.now(), until: t.clock.now() + 30 * MINUTE_MS } });
    t.raise();
    expect(t.last()).toMatchObject({ action: 'raise', from: 'normal', to: 'unack-active', annunciate: false });
    t.clear();
    t.raise();
    expect(t.state()).toBe('unack-active');
    expect(t.records.some((r) => r.annunciate)).toBe(false);
    await t.clock.advance(30 * MINUTE_MS - 1);
    expect(t.lc.get(ID)?.shelved).toBeDefined();
    await t.clock.advance(1);
    expect(t.last()).toMatchObject({ action: 'shelve-expired', from: 'unack-active', to: 'unack-active', annunciate: true, flags: { shelved: false } });
    expect(t.last()?.by).toBeUndefined();
    expect(t.lc.pendingTimers()).toBe(0);
  });

  it('unshelve announces only an alarm that is active and unacknowledged', () => {
    const t = setup();
    t.raise();
    t.lc.shelve(ID, 'alice', MINUTE_MS);
    t.lc.unshelve(ID, 'alice');
    expect(t.last()).toMatchObject({ action: 'unshelve', from: 'unack-active', to: 'unack-active', annunciate: true, by: 'alice' });
    expect(t.lc.pendingTimers()).toBe(0);
    t.lc.acknowledge(ID, 'alice');
    t.lc.shelve(ID, 'alice', MINUTE_MS);
    t.lc.unshelve(ID, 'alice');
    expect(t.last()).toMatchObject({ action: 'unshelve', to: 'ack-active', annunciate: false });
    t.lc.shelve(ID, 'alice', MINUTE_MS);
    t.clear();
    t.lc.unshelve(ID, 'alice');
    expect(t.last()).toMatchObject({ action: 'unshelve', to: 'normal', annunciate: false });
  });

  it('re-shelving replaces the expiry', async () => {
    const t = setup();
    t.raise();
    t.lc.shelve(ID, 'alice', 10 * MINUTE_MS);
    await t.clock.advance(5 * MINUTE_MS);
    t.lc.shelve(ID, 'bob', 10 * MINUTE_MS);
    await t.clock.advance(6 * MINUTE_MS);
    expect(t.lc.get(ID)?.shelved?.by).toBe('bob');
    await t.clock.advance(4 * MINUTE_MS);
    expect(t.lc.get(ID)?.shelved).toBeUndefined();
    expect(t.lc.pendingTimers()).toBe(0);
  });

  it('refuses shelving beyond the maximum, a per-alarm maximum, a bad duration, and unshelving an unshelved alarm', () => {
    const t = setup({ maxShelveMs: 15 * MINUTE_MS });
    t.raise();
    expectUnchanged(t, ID, () => t.lc.shelve(ID, 'alice', 60 * MINUTE_MS + 1), 'shelve-too-long');
    expectUnchanged(t, ID, () => t.lc.shelve(ID, 'alice', 15 * MINUTE_MS + 1), 'shelve-too-long');
    expectUnchanged(t, ID, () => t.lc.shelve(ID, 'alice', 0), 'invalid-duration');
    expectUnchanged(t, ID, () => t.lc.shelve(ID, 'alice', Number.NaN), 'invalid-duration');
    expectUnchanged(t, ID, () => t.lc.unshelve(ID, 'alice'), 'not-shelved');
    t.lc.shelve(ID, 'alice', 15 * MINUTE_MS);
    expect(t.lc.get(ID)?.shelved).toBeDefined();
  });
});

describe('AlarmLifecycle: fire and life-safety alarms', () => {
  it('can never be shelved or suppressed; they always annunciate', () => {
    const t = setup();
    t.raise(FIRE);
    expect(t.last()).toMatchObject({ alarmId: FIRE, action: 'raise', annunciate: true, lifeSafety: true });
    expectUnchanged(t, FIRE, () => t.lc.shelve(FIRE, 'alice', MINUTE_MS), 'life-safety');
    expectUnchanged(t, FIRE, () => t.lc.setSuppressed(FIRE, true, 'pump off for maintenance'), 'life-safety');
    expect(t.lc.get(FIRE)).toMatchObject({ state: 'unack-active', annunciated: true, lifeSafety: true });
  });

  it('a definition that becomes life-safety drops its shelve and suppression', () => {
    const t = setup();
    t.raise();
    t.lc.shelve(ID, 'alice', MINUTE_MS);
    t.lc.setSuppressed(ID, true, 'maintenance');
    t.lc.define(ID, { lifeSafety: true });
    expect(t.lc.get(ID)).toMatchObject({ annunciated: true, lifeSafety: true });
    expect(t.records.slice(-2).map((r) => [r.action, r.annunciate])).toEqual([['unshelve', false], ['unsuppress', true]]);
    expect(t.lc.pendingTimers()).toBe(0);
  });
});

describe('AlarmLifecycle: suppression by design', () => {
  it('suppressed alarms keep being evaluated without annunciation; unsuppress announces an unacknowledged active one', () => {
    const t = setup();
    t.lc.define(ID);
    t.lc.setSuppressed(ID, true, 'pump-1 off for maintenance');
    expect(t.last()).toMatchObject({ action: 'suppress', from: 'normal', to: 'normal', comment: 'pump-1 off for maintenance', annunciate: false, flags: { suppressed: true } });
    t.raise();
    expect(t.last()).toMatchObject({ action: 'raise', to: 'unack-active', annunciate: false });
    t.clear();
    expect(t.state()).toBe('rtn-unack');
    t.raise();
    expect(t.lc.list({ annunciated: false }).map((a) => a.alarmId)).toEqual([ID]);
    // Setting the same suppression twice is not a transition.
    const n = t.records.length;
    t.lc.setSuppressed(ID, true, 'still off');
    expect(t.records).toHaveLength(n);
    t.lc.setSuppressed(ID, false, 'pump-1 back in operation');
    expect(t.last()).toMatchObject({ action: 'unsuppress', from: 'unack-active', to: 'unack-active', annunciate: true, flags: { suppressed: false } });
    t.lc.setSuppressed(ID, false, 'again');
    expect(t.records).toHaveLength(n + 1);
  });

  it('unsuppress does not announce while another overlay still hides the alarm', () => {
    const t = setup();
    t.raise();
    t.lc.setSuppressed(ID, true, 'maintenance');
    t.lc.shelve(ID, 'alice', MINUTE_MS);
    t.lc.setSuppressed(ID, false, 'done');
    expect(t.last()).toMatchObject({ action: 'unsuppress', annunciate: false, flags: { shelved: true, suppressed: false } });
  });
});

describe('AlarmLifecycle: out of service', () => {
  it('is authorised, time-boxed, keeps evaluating, and returns to service by itself', async () => {
    const t = setup();
    t.lc.define(ID);
    const until = t.clock.now() + 2 * 60 * MINUTE_MS;
    t.lc.removeFromService(ID, 'carol', until, 'sensor replaced, work order 42');
    expect(t.last()).toMatchObject({ action: 'oos', from: 'normal', to: 'normal', by: 'carol', comment: 'sensor replaced, work order 42', annunciate: false, flags: { outOfService: true } });
    expect(t.lc.get(ID)?.outOfService).toEqual({ by: 'carol', since: t.clock.now(), until, comment: 'sensor replaced, work order 42' });
    t.raise();
    expect(t.last()).toMatchObject({ action: 'raise', to: 'unack-active', annunciate: false });
    await t.clock.advanceTo(until);
    expect(t.last()).toMatchObject({ action: 'oos-expired', from: 'unack-active', to: 'unack-active', annunciate: true, flags: { outOfService: false } });
    expect(t.lc.pendingTimers()).toBe(0);
  });

  it('return to service by an operator; an alarm that cleared meanwhile is not announced', () => {
    const t = setup();
    t.raise();
    t.lc.acknowledge(ID, 'alice');
    t.lc.removeFromService(ID, 'carol', t.clock.now() + MINUTE_MS);
    t.clear();
    t.lc.returnToService(ID, 'carol');
    expect(t.last()).toMatchObject({ action: 'return-to-service', from: 'normal', to: 'normal', by: 'carol', annunciate: false });
    expect(t.lc.pendingTimers()).toBe(0);
  });

  it('supersedes a shelve, which is then refused until return to service', () => {
    const t = setup();
    t.raise();
    t.lc.shelve(ID, 'alice', 30 * MINUTE_MS);
    t.lc.removeFromService(ID, 'carol', t.clock.now() + MINUTE_MS);
    expect(t.lc.get(ID)?.shelved).toBeUndefined();
    expect(t.lc.pendingTimers()).toBe(1);
    expectUnchanged(t, ID, () => t.lc.shelve(ID, 'alice', MINUTE_MS), 'out-of-service');
  });

  it('refuses an end in the past, beyond the maximum, and returning an alarm that is in service', () => {
    const t = setup({}, 8 * 60 * MINUTE_MS);
    t.raise();
    expectUnchanged(t, ID, () => t.lc.removeFromService(ID, 'carol', t.clock.now()), 'invalid-duration');
    expectUnchanged(t, ID, () => t.lc.removeFromService(ID, 'carol', t.clock.now() + 8 * 60 * MINUTE_MS + 1), 'invalid-duration');
    expectUnchanged(t, ID, () => t.lc.returnToService(ID, 'carol'), 'not-out-of-service');
    expectUnchanged(t, ID, () => t.lc.removeFromService(ID, '', t.clock.now() + MINUTE_MS), 'missing-operator');
  });

  it('stop() cancels every timer and keeps the state', () => {
    const t = setup({ reAlarmMs: MINUTE_MS });
    t.raise();
    t.lc.shelve(ID, 'alice', MINUTE_MS);
    t.raise('fan-1:x');
    t.lc.acknowledge('fan-1:x', 'alice');
    t.lc.removeFromService('fan-1:x', 'carol', t.clock.now() + MINUTE_MS);
    expect(t.lc.pendingTimers()).toBe(2);
    t.lc.stop();
    expect(t.lc.pendingTimers()).toBe(0);
    expect(t.clock.pending()).toBe(0);
    expect(t.state()).toBe('unack-active');
  });
});
