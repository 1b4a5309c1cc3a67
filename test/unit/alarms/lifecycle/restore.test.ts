import { describe, expect, it } from 'vitest';
import type { AlarmEvent } from '../../../../src/alarms/events.js';
import { AlarmLifecycle, type AlarmSettings, type TransitionRecord } from '../../../../src/alarms/lifecycle/index.js';
import { VirtualClock } from '../../../../src/time/clock.js';

const MINUTE_MS = 60_000;
const ID = 'pump-1:motor_temperature_high';

function event(type: AlarmEvent['type'], clock: VirtualClock, alarmId = ID): AlarmEvent {
  const [device = 'pump-1', rule = 'rule'] = alarmId.split(':');
  return {
    type, alarmId, site: 'hq', device, rule, kind: 'threshold-high', priority: 'high', message: `${rule} high`,
    conditionSince: clock.now(), ts: clock.now(),
  };
}

function lifecycle(clock: VirtualClock, settings: AlarmSettings = {}) {
  const records: TransitionRecord[] = [];
  const lc = new AlarmLifecycle({ clock, maxShelveMs: 60 * MINUTE_MS, settingsFor: () => settings });
  lc.subscribe((r) => records.push(r));
  return { lc, records };
}

describe('AlarmLifecycle.restore', () => {
  it('rebuilds states, overlays and raise details without emitting transitions', () => {
    const clock = new VirtualClock();
    const a = lifecycle(clock, { latched: true });
    a.lc.onRaise(event('raise', clock, 'p:a'));
    a.lc.onRaise(event('raise', clock, 'p:b'));
    a.lc.acknowledge('p:b', 'alice', 'seen');
    a.lc.onRaise(event('raise', clock, 'p:c'));
    a.lc.onClear(event('clear', clock, 'p:c'));
    a.lc.setSuppressed('p:a', true, 'pump off');
    a.lc.define('p:d');
    a.lc.removeFromService('p:d', 'bob', clock.now() + 10 * MINUTE_MS, 'sensor swap');
    const before = a.lc.list({ skipQuiet: false });

    const b = lifecycle(clock);
    b.lc.restore(before);
    expect(b.records).toEqual([]);
    expect(b.lc.list({ skipQuiet: false })).toEqual(before);
    expect(b.lc.get('p:c')).toMatchObject({ state: 'unack-active', awaitingReset: true, latched: true });
    // The restored alarms behave: the latched one can be reset after acknowledgement.
    b.lc.acknowledge('p:c', 'carol');
    b.lc.reset('p:c', 'carol');
    expect(b.lc.get('p:c')?.state).toBe('normal');
  });

  it('keeps the settings of an alarm defined before restore', () => {
    const clock = new VirtualClock();
    const a = lifecycle(clock);
    a.lc.onRaise(event('raise', clock));
    const b = lifecycle(clock);
    b.lc.define(ID, { latched: true });
    b.lc.restore(a.lc.list());
    expect(b.lc.get(ID)?.latched).toBe(true);
  });

  it('reschedules a pending shelve expiry and fires a past one at once', async () => {
    const clock = new VirtualClock();
    const a = lifecycle(clock);
    a.lc.onRaise(event('raise', clock, 'p:a'));
    a.lc.onRaise(event('raise', clock, 'p:b'));
    a.lc.shelve('p:a', 'alice', 30 * MINUTE_MS);
    a.lc.shelve('p:b', 'alice', 5 * MINUTE_MS);
    const saved = a.lc.list({ skipQuiet: false });
    a.lc.stop();

    await clock.advance(10 * MINUTE_MS); // "down" for ten minutes
    const b = lifecycle(clock);
    b.lc.restore(saved);
    expect(b.records.map((r) => [r.alarmId, r.action, r.annunciate])).toEqual([['p:b', 'shelve-expired', true]]);
    expect(b.lc.pendingTimers()).toBe(1);
    await clock.advance(20 * MINUTE_MS - 1);
    expect(b.lc.get('p:a')?.shelved).toBeDefined();
    await clock.advance(1);
    expect(b.records.map((r) => [r.alarmId, r.action])).toEqual([['p:b', 'shelve-expired'], ['p:a', 'shelve-expired']]);
    expect(b.lc.get('p:a')?.annunciated).toBe(true);
  });

  it('reschedules out-of-service expiry and re-alarm deadlines', async () => {
    const clock = new VirtualClock();
    const a = lifecycle(clock, { reAlarmMs: 15 * MINUTE_MS });
    a.lc.onRaise(event('raise', clock, 'p:a'));
    a.lc.acknowledge('p:a', 'alice'); // re-alarm due at +15 min
    a.lc.define('p:o');
    a.lc.removeFromService('p:o', 'bob', clock.now() + 20 * MINUTE_MS);
    const saved = a.lc.list({ skipQuiet: false });
    a.lc.stop();

    await clock.advance(5 * MINUTE_MS);
    const b = lifecycle(clock);
    b.lc.restore(saved);
    expect(b.records).toEqual([]);
    expect(b.lc.pendingTimers()).toBe(2);
    await clock.advance(10 * MINUTE_MS - 1);
    expect(b.records).toEqual([]);
    await clock.advance(1);
    expect(b.records.map((r) => [r.alarmId, r.action, r.to])).toEqual([['p:a', 're-alarm', 'unack-active']]);
    await clock.advance(5 * MINUTE_MS);
    expect(b.records.map((r) => r.action)).toEqual(['re-alarm', 'oos-expired']);
  });

  it('fires past deadlines at once, oldest first', async () => {
    const clock = new VirtualClock();
    const a = lifecycle(clock, { reAlarmMs: 15 * MINUTE_MS });
    a.lc.onRaise(event('raise', clock, 'p:a'));
    a.lc.acknowledge('p:a', 'alice'); // re-alarm due at +15 min
    a.lc.define('p:o');
    a.lc.removeFromService('p:o', 'bob', clock.now() + 10 * MINUTE_MS);
    const saved = a.lc.list({ skipQuiet: false });
    a.lc.stop();

    await clock.advance(60 * MINUTE_MS);
    const b = lifecycle(clock);
    b.lc.restore(saved);
    expect(b.records.map((r) => [r.alarmId, r.action, r.ts])).toEqual([
      ['p:o', 'oos-expired', clock.now()],
      ['p:a', 're-alarm', clock.now()],
    ]);
  });
});
