import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlarmEvent } from '../../../../src/alarms/events.js';
import { AlarmLifecycle, type AlarmSettings, type TransitionRecord } from '../../../../src/alarms/lifecycle/index.js';
import { MIGRATIONS, migrate } from '../../../../src/alarms/lifecycle/migrations.js';
import { AlarmStore, persistLifecycle, restoreLifecycle } from '../../../../src/alarms/lifecycle/sqlite-store.js';
import { VirtualClock } from '../../../../src/time/clock.js';

const MINUTE_MS = 60_000;
const dirs: string[] = [];
const stores: AlarmStore[] = [];

afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'facility-gw-alarms-'));
  dirs.push(dir);
  return join(dir, 'alarms.db');
}

function open(path: string): AlarmStore {
  const s = AlarmStore.open(path);
  stores.push(s);
  return s;
}

function event(type: AlarmEvent['type'], clock: VirtualClock, alarmId: string): AlarmEvent {
  const [device = 'dev', rule = 'rule'] = alarmId.split(':');
  return {
    type, alarmId, site: 'hq', device, rule, kind: 'threshold-high', priority: 'critical', message: `${rule} tripped`,
    conditionSince: clock.now(), ts: clock.now(),
  };
}

function lifecycle(clock: VirtualClock, settingsFor: (id: string) => AlarmSettings = () => ({})) {
  return new AlarmLifecycle({ clock, maxShelveMs: 60 * MINUTE_MS, settingsFor: (e) => settingsFor(e.alarmId) });
}

describe('AlarmStore: schema', () => {
  it('opens in WAL with synchronous FULL and applies migrations once', () => {
    const path = dbPath();
    const a = open(path);
    expect(a.schemaVersion).toBe(MIGRATIONS.length);
    a.close();
    const b = open(path);
    expect(b.schemaVersion).toBe(MIGRATIONS.length);
    b.close();

    const db = new Database(path);
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(migrate(db)).toBe(MIGRATIONS.length); // again: nothing to do, nothing fails
      const rows = db.prepare('SELECT version FROM schema_version ORDER BY version').all();
      expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
    } finally {
      db.close();
    }
    const c = open(path);
    expect((c as unknown as { db: Database.Database }).db.pragma('synchronous', { simple: true })).toBe(2); // FULL
  });

  it('applies a later migration to an existing database, and one another part brings with a lower version', () => {
    const db = new Database(':memory:');
    try {
      const latest = Math.max(...MIGRATIONS.map((m) => m.version));
      expect(migrate(db)).toBe(latest);
      const next = [...MIGRATIONS, { version: latest + 2, description: 'test', sql: 'CREATE TABLE extra (x INTEGER)' }];
      expect(migrate(db, next)).toBe(latest + 2);
      expect(migrate(db, next)).toBe(latest + 2);
      // Another part of the gateway, sharing the file, numbered its migration below one already applied.
      const other = [...next, { version: latest + 1, description: 'other part', sql: 'CREATE TABLE other (y INTEGER)' }];
      expect(migrate(db, other)).toBe(latest + 2);
      expect(db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'other'").get()).toEqual({ n: 1 });
      expect(db.prepare('SELECT COUNT(*) AS n FROM schema_version').get()).toEqual({ n: MIGRATIONS.length + 2 });
    } finally {
      db.close();
    }
  });

  it('keeps the transition log append-only', () => {
    const path = dbPath();
    const store = open(path);
    const clock = new VirtualClock();
    const lc = lifecycle(clock);
    persistLifecycle(lc, store);
    lc.onRaise(event('raise', clock, 'p:a'));
    store.close();
    const db = new Database(path);
    try {
      expect(() => db.prepare('DELETE FROM alarm_transition').run()).toThrow(/append-only/);
      expect(() => db.prepare("UPDATE alarm_transition SET by = 'mallory'").run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
  });
});

describe('AlarmStore: persistence', () => {
  it('round-trips every state and overlay', () => {
    const path = dbPath();
    const clock = new VirtualClock();
    const lc = lifecycle(clock, (id) => (id.startsWith('latch') ? { latched: true, reAlarmMs: 10 * MINUTE_MS } : id.startsWith('fire') ? { lifeSafety: true } : {}));
    const store = open(path);
    persistLifecycle(lc, store);

    lc.onRaise(event('raise', clock, 'p:unack'));
    lc.onRaise(event('raise', clock, 'p:ack'));
    lc.acknowledge('p:ack', 'alice', 'on it');
    lc.onRaise(event('raise', clock, 'p:rtn'));
    lc.onClear(event('clear', clock, 'p:rtn'));
    lc.onRaise(event('raise', clock, 'p:normal'));
    lc.acknowledge('p:normal', 'alice');
    lc.onClear(event('clear', clock, 'p:normal'));
    lc.onRaise(event('raise', clock, 'latch:awaiting'));
    lc.onClear(event('clear', clock, 'latch:awaiting'));
    lc.onRaise(event('raise', clock, 'p:shelved'));
    lc.shelve('p:shelved', 'bob', 20 * MINUTE_MS, 'noisy');
    lc.onRaise(event('raise', clock, 'p:suppressed'));
    lc.setSuppressed('p:suppressed', true, 'pump stopped');
    lc.onRaise(event('raise', clock, 'p:oos'));
    lc.removeFromService('p:oos', 'carol', clock.now() + 45 * MINUTE_MS, 'sensor swap');
    lc.onRaise(event('raise', clock, 'fire:zone1'));
    lc.acknowledge('fire:zone1', 'dave');
    const before = lc.list({ skipQuiet: false });
    expect(new Set(before.map((s) => s.state))).toEqual(new Set(['normal', 'unack-active', 'ack-active', 'rtn-unack']));
    store.close();

    const reopened = open(path);
    expect(reopened.loadAll()).toEqual([...before].sort((a, b) => (a.alarmId < b.alarmId ? -1 : 1)));
    const restored = lifecycle(new VirtualClock(clock.now()));
    restoreLifecycle(restored, reopened);
    expect(restored.list({ skipQuiet: false })).toEqual(before);
  });

  it('writes one audit row per transition, with who, when and comment, in order', () => {
    const clock = new VirtualClock();
    const lc = lifecycle(clock);
    const store = open(dbPath());
    const seen: TransitionRecord[] = [];
    persistLifecycle(lc, store);
    lc.subscribe((r) => seen.push(r));

    lc.onRaise(event('raise', clock, 'p:a'));
    clock.advanceSync(1000);
    lc.acknowledge('p:a', 'alice', 'checking the pump');
    lc.shelve('p:a', 'bob', MINUTE_MS, 'maintenance');
    lc.unshelve('p:a', 'bob');
    lc.onClear(event('clear', clock, 'p:a'));

    const log = store.transitions();
    expect(log).toHaveLength(seen.length);
    expect(log.map((t) => t.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(log.map(({ seq: _s, recordedAt: _r, ...t }) => t)).toEqual(seen);
    expect(log[1]).toMatchObject({ action: 'ack', by: 'alice', comment: 'checking the pump', from: 'unack-active', to: 'ack-active', ts: clock.now() });
    expect(store.transitions('p:a')).toHaveLength(5);
    expect(store.transitions('p:other')).toEqual([]);
  });

  it('commits before later subscribers run', () => {
    const path = dbPath();
    const clock = new VirtualClock();
    const lc = lifecycle(clock);
    const store = open(path);
    persistLifecycle(lc, store);
    const countsSeen: number[] = [];
    const reader = new Database(path, { readonly: true });
    try {
      lc.subscribe(() => countsSeen.push((reader.prepare('SELECT COUNT(*) AS n FROM alarm_transition').get() as { n: number }).n));
      lc.onRaise(event('raise', clock, 'p:a'));
      lc.acknowledge('p:a', 'alice');
    } finally {
      reader.close();
    }
    expect(countsSeen).toEqual([1, 2]);
  });

  it('save stores a snapshot without an audit row', () => {
    const clock = new VirtualClock();
    const lc = lifecycle(clock);
    lc.define('p:quiet');
    const store = open(dbPath());
    const snap = lc.get('p:quiet') ?? expect.fail('not defined');
    store.save(snap);
    expect(store.loadAll()).toEqual([snap]);
    expect(store.transitions()).toEqual([]);
  });
});

describe('AlarmStore: restore reschedules timers', () => {
  it('a pending shelve expires at its time after restore, an expired one at once, and both are recorded', async () => {
    const path = dbPath();
    const clock = new VirtualClock();
    const lc = lifecycle(clock);
    const store = open(path);
    persistLifecycle(lc, store);
    lc.onRaise(event('raise', clock, 'p:long'));
    lc.onRaise(event('raise', clock, 'p:short'));
    lc.shelve('p:long', 'alice', 30 * MINUTE_MS);
    lc.shelve('p:short', 'alice', 5 * MINUTE_MS);
    const shelvedAt = clock.now();
    lc.stop();
    store.close();

    const later = new VirtualClock(shelvedAt + 10 * MINUTE_MS);
    const store2 = open(path);
    const lc2 = lifecycle(later);
    const annunciations: string[] = [];
    restoreLifecycle(lc2, store2);
    lc2.subscribe((r) => {
      if (r.annunciate) annunciations.push(r.alarmId);
    });
    expect(store2.transitions().map((t) => [t.alarmId, t.action])).toContainEqual(['p:short', 'shelve-expired']);
    expect(lc2.get('p:short')?.annunciated).toBe(true);
    expect(lc2.get('p:long')?.shelved?.until).toBe(shelvedAt + 30 * MINUTE_MS);

    await later.advanceTo(shelvedAt + 30 * MINUTE_MS - 1);
    expect(lc2.get('p:long')?.shelved).toBeDefined();
    await later.advance(1);
    expect(lc2.get('p:long')?.shelved).toBeUndefined();
    expect(annunciations).toEqual(['p:long']);
    const last = store2.transitions().at(-1);
    expect(last).toMatchObject({ alarmId: 'p:long', action: 'shelve-expired', ts: shelvedAt + 30 * MINUTE_MS });
    expect(store2.loadAll().find((s) => s.alarmId === 'p:long')?.shelved).toBeUndefined();
  });

  it('out-of-service expiry and re-alarm deadlines survive a restart', async () => {
    const path = dbPath();
    const clock = new VirtualClock();
    const settings = { reAlarmMs: 20 * MINUTE_MS };
    const lc = lifecycle(clock, () => settings);
    const store = open(path);
    persistLifecycle(lc, store);
    lc.onRaise(event('raise', clock, 'p:re'));
    lc.acknowledge('p:re', 'alice');
    lc.define('p:oos');
    lc.removeFromService('p:oos', 'bob', clock.now() + 5 * MINUTE_MS);
    const t0 = clock.now();
    lc.stop();
    store.close();

    // Back after 8 min: the out-of-service end passed (fires at once), the re-alarm is 12 min away.
    const later = new VirtualClock(t0 + 8 * MINUTE_MS);
    const store2 = open(path);
    const lc2 = lifecycle(later, () => settings);
    restoreLifecycle(lc2, store2);
    expect(store2.transitions().at(-1)).toMatchObject({ alarmId: 'p:oos', action: 'oos-expired' });
    expect(lc2.pendingTimers()).toBe(1);
    await later.advanceTo(t0 + 20 * MINUTE_MS);
    expect(lc2.get('p:re')?.state).toBe('unack-active');
    expect(store2.transitions().at(-1)).toMatchObject({ alarmId: 'p:re', action: 're-alarm', annunciate: true });
    store2.close();
    expect(open(path).loadAll().find((s) => s.alarmId === 'p:re')?.state).toBe('unack-active');
  });
});
