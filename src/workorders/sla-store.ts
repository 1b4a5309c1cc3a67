import type Database from 'better-sqlite3';
import type { Migration } from '../alarms/lifecycle/migrations.js';
import type { SlaKind } from './sla-targets.js';

/**
 * The SLA clocks of work orders, one row per order and kind, in the gateway's database. The deadline is fixed
 * when the clock starts, so a later change of the SLA table does not rewrite history, and the outcome is
 * kept for the KPIs and the monthly report.
 */
export const SLA_MIGRATIONS: readonly Migration[] = [
  {
    version: 20,
    description: 'SLA clocks of work orders: deadlines, outcomes, breach alarms',
    sql: `
      CREATE TABLE sla_clock (
        order_id         INTEGER NOT NULL REFERENCES work_order (id),
        kind             TEXT NOT NULL CHECK (kind IN ('response', 'resolution')),
        started_at       INTEGER NOT NULL,
        deadline         INTEGER NOT NULL,
        target_minutes   INTEGER NOT NULL,
        source           TEXT NOT NULL,
        -- running → met | breached | void (cancelled before its deadline)
        status           TEXT NOT NULL CHECK (status IN ('running', 'met', 'breached', 'void')),
        -- met: when the technician arrived / the work was completed; breached: the deadline; void: the cancel
        settled_at       INTEGER,
        -- arrival / completion, also when it came late
        done_at          INTEGER,
        -- 1: the breach is escalated as an alarm (0: recorded only, e.g. met late while the gateway was down)
        escalate         INTEGER NOT NULL DEFAULT 0,
        -- the breach alarm: raised and cleared (met late, cancelled, closed)
        alarm_raised_at  INTEGER,
        alarm_cleared_at INTEGER,
        PRIMARY KEY (order_id, kind)
      ) STRICT;
      CREATE INDEX sla_clock_status ON sla_clock (status, deadline);
      CREATE INDEX sla_clock_settled ON sla_clock (settled_at);
    `,
  },
];

export type SlaStatus = 'running' | 'met' | 'breached' | 'void';

export interface SlaClockRecord {
  orderId: number;
  kind: SlaKind;
  startedAt: number;
  deadline: number;
  targetMinutes: number;
  source: string;
  status: SlaStatus;
  settledAt?: number;
  doneAt?: number;
  /** The breach is escalated as an alarm (set with the breach; the alarm is owed until raised). */
  escalate: boolean;
  alarmRaisedAt?: number;
  alarmClearedAt?: number;
}

interface Row {
  order_id: number;
  kind: string;
  started_at: number;
  deadline: number;
  target_minutes: number;
  source: string;
  status: string;
  settled_at: number | null;
  done_at: number | null;
  escalate: number;
  alarm_raised_at: number | null;
  alarm_cleared_at: number | null;
}

const COLUMNS = {
  status: 'status',
  settledAt: 'settled_at',
  doneAt: 'done_at',
  escalate: 'escalate',
  alarmRaisedAt: 'alarm_raised_at',
  alarmClearedAt: 'alarm_cleared_at',
} as const;

export type SlaClockChanges = Partial<Pick<SlaClockRecord, keyof typeof COLUMNS>>;

export class SlaStore {
  constructor(private readonly db: Database.Database) {}

  /** Whether the database has the table (a store written by a gateway without SLA clocks has not). */
  static available(db: Database.Database): boolean {
    return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sla_clock'").get() !== undefined;
  }

  /** Runs `fn` in one IMMEDIATE transaction (nested calls become savepoints). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** Starts a clock; false when the order has that clock already (it keeps its deadline). */
  insert(r: Pick<SlaClockRecord, 'orderId' | 'kind' | 'startedAt' | 'deadline' | 'targetMinutes' | 'source'>): boolean {
    const info = this.db
      .prepare(
        `INSERT INTO sla_clock (order_id, kind, started_at, deadline, target_minutes, source, status) VALUES (?, ?, ?, ?, ?, ?, 'running')
         ON CONFLICT (order_id, kind) DO NOTHING`,
      )
      .run(r.orderId, r.kind, r.startedAt, r.deadline, r.targetMinutes, r.source);
    return info.changes === 1;
  }

  /** Applies `changes` when the clock is still in `expected` status; false otherwise (someone settled it). */
  update(orderId: number, kind: SlaKind, expected: SlaStatus, changes: SlaClockChanges): boolean {
    const sets: string[] = [];
    const params: Record<string, unknown> = { orderId, kind, expected };
    for (const [key, value] of Object.entries(changes)) {
      sets.push(`${COLUMNS[key as keyof typeof COLUMNS]} = @${key}`);
      params[key] = typeof value === 'boolean' ? Number(value) : (value ?? null);
    }
    if (sets.length === 0) return true;
    return this.db.prepare(`UPDATE sla_clock SET ${sets.join(', ')} WHERE order_id = @orderId AND kind = @kind AND status = @expected`).run(params).changes === 1;
  }

  forOrder(orderId: number): SlaClockRecord[] {
    return (this.db.prepare('SELECT * FROM sla_clock WHERE order_id = ? ORDER BY kind DESC').all(orderId) as Row[]).map(toRecord);
  }

  /** Clocks that may still need the monitor: running ones, and escalated breaches whose alarm is not cleared yet. */
  unsettled(): SlaClockRecord[] {
    return (
      this.db
        .prepare("SELECT * FROM sla_clock WHERE status = 'running' OR (status = 'breached' AND escalate = 1 AND alarm_cleared_at IS NULL) ORDER BY deadline, order_id")
        .all() as Row[]
    ).map(toRecord);
  }

  /** Every clock of the orders given (reports); all clocks when `orderIds` is undefined. */
  list(orderIds?: readonly number[]): SlaClockRecord[] {
    if (orderIds === undefined) return (this.db.prepare('SELECT * FROM sla_clock ORDER BY order_id, kind DESC').all() as Row[]).map(toRecord);
    const out: SlaClockRecord[] = [];
    const stmt = this.db.prepare('SELECT * FROM sla_clock WHERE order_id = ? ORDER BY kind DESC');
    for (const id of orderIds) out.push(...(stmt.all(id) as Row[]).map(toRecord));
    return out;
  }
}

function toRecord(r: Row): SlaClockRecord {
  const rec: SlaClockRecord = {
    orderId: r.order_id,
    kind: r.kind as SlaKind,
    startedAt: r.started_at,
    deadline: r.deadline,
    targetMinutes: r.target_minutes,
    source: r.source,
    status: r.status as SlaStatus,
    escalate: r.escalate === 1,
  };
  if (r.settled_at !== null) rec.settledAt = r.settled_at;
  if (r.done_at !== null) rec.doneAt = r.done_at;
  if (r.alarm_raised_at !== null) rec.alarmRaisedAt = r.alarm_raised_at;
  if (r.alarm_cleared_at !== null) rec.alarmClearedAt = r.alarm_cleared_at;
  return rec;
}
