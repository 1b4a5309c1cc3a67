import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { NOTIFY_MIGRATIONS } from '../../../src/alarms/notify/migrations.js';
import { NotifyStore } from '../../../src/alarms/notify/notify-store.js';
import type { PlannedDelivery } from '../../../src/alarms/notify/types.js';
import { MIGRATIONS, migrate } from '../../../src/alarms/lifecycle/migrations.js';
import { alarm, openDb } from './alarm-notify-support.js';

const planned = (deliveryKey: string, lifeSafety = false): PlannedDelivery => ({
  deliveryKey,
  episodeKey: 'pump-1:hot@1',
  alarmId: 'pump-1:hot',
  site: 'hq',
  groupKey: 'hq/pump-1',
  channel: 'phones',
  recipient: { key: 'person:alice', id: 'alice', name: 'Alice', kind: 'person' },
  address: 'alice-topic',
  lifeSafety,
  notification: { key: 'pump-1:hot@1', kind: 'raise', priority: 'high', title: 't', body: 'b', ts: 1, to: 'alice-topic' },
});

describe('notification store', () => {
  it('composes with the alarm store migrations as version 3', () => {
    const db = new Database(':memory:');
    expect(migrate(db, [...MIGRATIONS, ...NOTIFY_MIGRATIONS])).toBe(3);
    expect(NOTIFY_MIGRATIONS.map((m) => m.version)).toEqual([3]);
    expect(() => new NotifyStore(new Database(':memory:'))).toThrow(/run migrate\(db, \[\.\.\.MIGRATIONS, \.\.\.NOTIFY_MIGRATIONS\]\) first/);
  });

  it('records a delivery key once: a push planned again is not stored or sent again', () => {
    const store = new NotifyStore(openDb());
    const [first] = store.addDeliveries([planned('k1')], 10);
    expect(first).toMatchObject({ id: 1, status: 'pending', attempts: 0 });
    store.mark(first?.id ?? 0, 'sent', 1, undefined, 11);
    expect(store.addDeliveries([planned('k1'), planned('k2', true)], 12).map((e) => e.deliveryKey)).toEqual(['k2']);
    expect(store.deliveriesOf('pump-1:hot@1').map((e) => [e.deliveryKey, e.status])).toEqual([
      ['k1', 'sent'],
      ['k2', 'pending'],
    ]);
    expect(store.pending().map((e) => e.deliveryKey)).toEqual(['k2']);
    expect(store.counts()).toEqual({ pending: 1, sent: 1, failed: 0, folded: 0 });
  });

  it('keeps episodes and escalation steps, and prunes resolved ones past retention', () => {
    const store = new NotifyStore(openDb());
    const info = alarm('pump-1:hot');
    store.insertEpisode({ key: 'pump-1:hot@1', alarmId: info.alarmId, site: 'hq', openedAt: 1, cycle: 0, info, route: { policies: ['p'], channels: [] } });
    store.saveEscalation('pump-1:hot@1', { policyId: 'p', level: 1, repeatsDone: 0, status: 'running', nextDueAt: 900 });
    store.addDeliveries([planned('k1')], 2);
    expect(store.openEpisodes()).toEqual([
      { key: 'pump-1:hot@1', alarmId: info.alarmId, site: 'hq', openedAt: 1, cycle: 0, info, route: { policies: ['p'], channels: [] }, escalations: [{ policyId: 'p', level: 1, repeatsDone: 0, status: 'running', nextDueAt: 900 }] },
    ]);
    store.setResolved('pump-1:hot@1', 1000);
    expect(store.openEpisodes()).toEqual([]);
    expect(store.prune(1000)).toBe(0);
    expect(store.prune(1001)).toBe(1);
    expect(store.deliveriesOf('pump-1:hot@1')).toEqual([]);
  });
});
