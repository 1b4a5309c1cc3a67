import Database from 'better-sqlite3';
import type { AlarmLifecycle } from './manager.js';
import { MIGRATIONS, migrate, type Migration } from './migrations.js';
import type { AlarmFlags, AlarmSnapshot, AlarmState, TransitionAction, TransitionRecord } from './types.js';
import type { AlarmPriority } from '../../profiles/types.js';

export interface HistoryQuery {
  /** ms since epoch, inclusive; default: the beginning. */
  from?: number | undefined;
  /** ms since epoch, inclusive; default: the end. */
  to?: number | undefined;
  alarmId?: string | undefined;
  /** Alarms of this device (alarm ids `<device>:<rule>`). */
  device?: string | undefined;
  limit?: number | undefined;
  newestFirst?: boolean | undefined;
}

/** One row of the audit log. */
export interface StoredTransition {
  seq: number;
  alarmId: string;
  action: TransitionAction;
  from: AlarmState;
  to: AlarmState;
  by?: string;
  comment?: string;
  ts: number;
  annunciate: boolean;
  flags: AlarmFlags;
  priority?: AlarmPriority;
  lifeSafety: boolean;
  /** Wall-clock time of the commit (ms since epoch). */
  recordedAt: number;
}

interface TransitionRow {
  seq: number;
  alarm_id: string;
  action: string;
  from_state: string;
  to_state: string;
  by: string | null;
  comment: string | null;
  ts: number;
  annunciate: number;
  flags: string;
  priority: string | null;
  life_safety: number;
  recorded_at: number;
}

/**
 * Durable alarm state on SQLite (better-sqlite3, synchronous).
 *
 * Durability policy: WAL journal with `synchronous = FULL`. Every transition is one transaction (audit row +
 * state row) and the WAL is fsynced at each commit, so once `record` returns the transition survives a
 * process crash (`kill -9`) and a power cut alike; a commit interrupted half-way is rolled back entirely on
 * the next open, never half-applied. A power cut can lose nothing committed, provided the disk honours
 * fsync (a drive or controller with a volatile write cache that ignores flushes can still lose the last
 * commits). With `synchronous = NORMAL` a power cut could lose the transitions committed since the last WAL
 * checkpoint; alarm rates are low enough that FULL costs nothing noticeable, so FULL it is.
 */
export class AlarmStore {
  private readonly insertTransition: Database.Statement;
  private readonly upsertState: Database.Statement;
  private readonly recordTx: (t: TransitionRecord, s: AlarmSnapshot) => number;
  private closed = false;

  private constructor(
    private readonly db: Database.Database,
    /** Schema version after the migrations ran. */
    readonly schemaVersion: number,
  ) {
    this.insertTransition = db.prepare(
      `INSERT INTO alarm_transition (alarm_id, action, from_state, to_state, by, comment, ts, annunciate, flags, priority, life_safety, recorded_at)
       VALUES (@alarmId, @action, @from, @to, @by, @comment, @ts, @annunciate, @flags, @priority, @lifeSafety, @recordedAt)`,
    );
    this.upsertState = db.prepare(
      `INSERT INTO alarm_state (alarm_id, state, changed_at, last_seq, snapshot) VALUES (@alarmId, @state, @changedAt, @seq, @snapshot)
       ON CONFLICT (alarm_id) DO UPDATE SET state = excluded.state, changed_at = excluded.changed_at, last_seq = excluded.last_seq, snapshot = excluded.snapshot`,
    );
    this.recordTx = db.transaction((t: TransitionRecord, s: AlarmSnapshot): number => {
      const info = this.insertTransition.run({
        alarmId: t.alarmId,
        action: t.action,
        from: t.from,
        to: t.to,
        by: t.by ?? null,
        comment: t.comment ?? null,
        ts: t.ts,
        annunciate: t.annunciate ? 1 : 0,
        flags: JSON.stringify(t.flags),
        priority: t.priority ?? null,
        lifeSafety: t.lifeSafety ? 1 : 0,
        recordedAt: Date.now(),
      });
      const seq = Number(info.lastInsertRowid);
      this.writeState(s, seq);
      return seq;
    });
  }

  /** Opens (creating when needed) the database at `path` and brings its schema up to date. */
  static open(path: string, migrations: readonly Migration[] = MIGRATIONS): AlarmStore {
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      return new AlarmStore(db, migrate(db, migrations));
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /**
   * Appends the transition to the audit log and writes the alarm's snapshot after it, in one transaction.
   * Returns the transition's sequence number. When it returns, both are on disk (see the policy above).
   */
  record(transition: TransitionRecord, snapshot: AlarmSnapshot): number {
    if (snapshot.alarmId !== transition.alarmId) throw new Error(`snapshot of ${snapshot.alarmId} given for a transition of ${transition.alarmId}`);
    return this.recordTx(transition, snapshot);
  }

  /** Writes a snapshot without a transition (e.g. an alarm defined but never changed). */
  save(snapshot: AlarmSnapshot): void {
    this.writeState(snapshot, 0);
  }

  /** Every stored alarm snapshot, by alarm id. */
  loadAll(): AlarmSnapshot[] {
    const rows = this.db.prepare('SELECT snapshot FROM alarm_state ORDER BY alarm_id').all() as { snapshot: string }[];
    return rows.map((r) => JSON.parse(r.snapshot) as AlarmSnapshot);
  }

  /** The audit log in commit order, of one alarm or of all. */
  transitions(alarmId?: string): StoredTransition[] {
    const rows = (
      alarmId === undefined
        ? this.db.prepare('SELECT * FROM alarm_transition ORDER BY seq').all()
        : this.db.prepare('SELECT * FROM alarm_transition WHERE alarm_id = ? ORDER BY seq').all(alarmId)
    ) as TransitionRow[];
    return rows.map(toStoredTransition);
  }

  /**
   * The audit log of a period (by transition time `ts`, inclusive), oldest first, optionally of one alarm
   * or of the alarms of one device; at most `limit` rows (the newest when `newestFirst`).
   */
  history(query: HistoryQuery): StoredTransition[] {
    const where = ['ts >= @from', 'ts <= @to'];
    if (query.alarmId !== undefined) where.push('alarm_id = @alarmId');
    if (query.device !== undefined) where.push("substr(alarm_id, 1, length(@device) + 1) = @device || ':'");
    const order = query.newestFirst === true ? 'DESC' : 'ASC';
    const sql = `SELECT * FROM alarm_transition WHERE ${where.join(' AND ')} ORDER BY ts ${order}, seq ${order} LIMIT @limit`;
    const rows = this.db.prepare(sql).all({
      from: query.from ?? 0,
      to: query.to ?? Number.MAX_SAFE_INTEGER,
      alarmId: query.alarmId ?? null,
      device: query.device ?? null,
      limit: query.limit ?? -1,
    }) as TransitionRow[];
    return rows.map(toStoredTransition);
  }

  /** Replaces the JSON document kept under `key` (one transaction; durable when it returns). */
  putDocument(key: string, value: unknown): void {
    this.db
      .prepare('INSERT INTO state_document (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at')
      .run(key, JSON.stringify(value), Date.now());
  }

  /** The JSON document kept under `key`, parsed; undefined when there is none. */
  getDocument(key: string): unknown {
    const row = this.db.prepare('SELECT value FROM state_document WHERE key = ?').get(key) as { value: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.value) as unknown);
  }

  /** The open database, for the stores that share its file (notifications, acknowledge links, work orders). */
  get database(): Database.Database {
    return this.db;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private writeState(s: AlarmSnapshot, seq: number): void {
    this.upsertState.run({ alarmId: s.alarmId, state: s.state, changedAt: s.changedAt, seq, snapshot: JSON.stringify(s) });
  }
}

function toStoredTransition(r: TransitionRow): StoredTransition {
  const t: StoredTransition = {
    seq: r.seq,
    alarmId: r.alarm_id,
    action: r.action as TransitionAction,
    from: r.from_state as AlarmState,
    to: r.to_state as AlarmState,
    ts: r.ts,
    annunciate: r.annunciate === 1,
    flags: JSON.parse(r.flags) as AlarmFlags,
    lifeSafety: r.life_safety === 1,
    recordedAt: r.recorded_at,
  };
  if (r.by !== null) t.by = r.by;
  if (r.comment !== null) t.comment = r.comment;
  if (r.priority !== null) t.priority = r.priority as AlarmPriority;
  return t;
}

/**
 * Writes every transition of `lifecycle` to `store` before the listeners subscribed after it see it.
 *
 * Ordering: the lifecycle calls its listeners synchronously, in the order they subscribed, right after it
 * applied the transition in memory. Call `persistLifecycle` first — right after constructing the lifecycle
 * and before any notifier, API push or audit consumer subscribes — so that the store's commit is done before
 * anything else (and so the operator's call, e.g. `acknowledge`, returns only after the commit). The
 * lifecycle catches a listener's exception and hands it to its `onError`: a failed write does not undo the
 * in-memory transition, so `onError` should treat it as fatal (alarm service unhealthy). Returns the
 * unsubscribe function.
 */
export function persistLifecycle(lifecycle: AlarmLifecycle, store: AlarmStore): () => void {
  return lifecycle.subscribe((t) => {
    const snapshot = lifecycle.get(t.alarmId);
    if (snapshot === undefined) throw new Error(`transition of unknown alarm ${t.alarmId}`);
    store.record(t, snapshot);
  });
}

/**
 * After a restart: subscribes the store (first, see `persistLifecycle`) and rebuilds the lifecycle from the
 * stored snapshots. Deadlines that passed while the gateway was down fire at once and are recorded; pending
 * ones are rescheduled on the lifecycle's Clock. Call `define` for the configured alarms before this.
 */
export function restoreLifecycle(lifecycle: AlarmLifecycle, store: AlarmStore): () => void {
  const unsubscribe = persistLifecycle(lifecycle, store);
  lifecycle.restore(store.loadAll());
  return unsubscribe;
}
