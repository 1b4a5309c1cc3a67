import type Database from 'better-sqlite3';

export type OutboxStatus = 'pending' | 'sent' | 'failed';

/** One queued delivery of one work-order event to one target. */
export interface OutboxRow {
  id: number;
  target: string;
  orderId: number;
  eventSeq: number;
  eventKind: string;
  idempotencyKey: string;
  body: string;
  status: OutboxStatus;
  attempts: number;
  nextAttemptAt: number;
  lastError?: string;
  lastStatus?: number;
  queuedAt: number;
  createdAt: number;
  updatedAt: number;
}

export interface NewOutboxRow {
  target: string;
  orderId: number;
  eventSeq: number;
  eventKind: string;
  idempotencyKey: string;
  body: string;
}

export interface OutboxCounts {
  pending: number;
  sent: number;
  failed: number;
  /** queued_at of the oldest pending row, if any. */
  oldestPendingAt?: number;
}

interface Row {
  id: number;
  target: string;
  order_id: number;
  event_seq: number;
  event_kind: string;
  idempotency_key: string;
  body: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  last_status: number | null;
  queued_at: number;
  created_at: number;
  updated_at: number;
}

/** Pending rows that are the head of their order's queue: the lowest pending id per order (one index scan). */
const HEADS = `
  FROM cmms_outbox o
  JOIN (SELECT MIN(id) AS id FROM cmms_outbox WHERE target = @target AND status = 'pending' GROUP BY order_id) h ON h.id = o.id`;

/**
 * The CMMS outbox on the gateway's SQLite database. Plain reads and writes; when to send and what an answer
 * means is the outbound sender's. Each write is one statement, committed when it returns.
 */
export class CmmsOutboxStore {
  private readonly insertRow: Database.Statement;
  private readonly nextDueRow: Database.Statement;
  private readonly nextWakeRow: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.insertRow = db.prepare(
      `INSERT OR IGNORE INTO cmms_outbox (target, order_id, event_seq, event_kind, idempotency_key, body, status, attempts, next_attempt_at, queued_at, created_at, updated_at)
       VALUES (@target, @orderId, @eventSeq, @eventKind, @idempotencyKey, @body, 'pending', 0, @now, @now, @now, @now)`,
    );
    this.nextDueRow = db.prepare(`SELECT o.* ${HEADS} WHERE o.next_attempt_at <= @now ORDER BY o.next_attempt_at, o.id LIMIT 1`);
    this.nextWakeRow = db.prepare(`SELECT MIN(o.next_attempt_at) AS at ${HEADS}`);
  }

  /** Queues a delivery; false when this event was queued for this target already (same idempotency key). */
  insert(row: NewOutboxRow, now: number): boolean {
    return this.insertRow.run({ ...row, now }).changes === 1;
  }

  /** The next row to send to `target` now: due, and the earliest pending one of its order. */
  nextDue(target: string, now: number): OutboxRow | undefined {
    const row = this.nextDueRow.get({ target, now }) as Row | undefined;
    return row === undefined ? undefined : toRow(row);
  }

  /** When the earliest head of an order's queue for `target` falls due; undefined when nothing is pending. */
  nextWakeAt(target: string): number | undefined {
    const row = this.nextWakeRow.get({ target }) as { at: number | null };
    return row.at ?? undefined;
  }

  get(id: number): OutboxRow | undefined {
    const row = this.db.prepare('SELECT * FROM cmms_outbox WHERE id = ?').get(id) as Row | undefined;
    return row === undefined ? undefined : toRow(row);
  }

  /** Rows of a target (newest first), for the API and tests. */
  list(target: string, status?: OutboxStatus, limit = 100): OutboxRow[] {
    const rows = (
      status === undefined
        ? this.db.prepare('SELECT * FROM cmms_outbox WHERE target = ? ORDER BY id DESC LIMIT ?').all(target, limit)
        : this.db.prepare('SELECT * FROM cmms_outbox WHERE target = ? AND status = ? ORDER BY id DESC LIMIT ?').all(target, status, limit)
    ) as Row[];
    return rows.map(toRow);
  }

  markSent(id: number, attempts: number, httpStatus: number, now: number): void {
    this.db
      .prepare("UPDATE cmms_outbox SET status = 'sent', attempts = ?, last_status = ?, last_error = NULL, updated_at = ? WHERE id = ?")
      .run(attempts, httpStatus, now, id);
  }

  markFailed(id: number, attempts: number, error: string, httpStatus: number | undefined, now: number): void {
    this.db
      .prepare("UPDATE cmms_outbox SET status = 'failed', attempts = ?, last_error = ?, last_status = ?, updated_at = ? WHERE id = ?")
      .run(attempts, error, httpStatus ?? null, now, id);
  }

  /** Records a failed attempt that will be retried at `nextAttemptAt`. */
  reschedule(id: number, attempts: number, nextAttemptAt: number, error: string, httpStatus: number | undefined, now: number): void {
    this.db
      .prepare('UPDATE cmms_outbox SET attempts = ?, next_attempt_at = ?, last_error = ?, last_status = ?, updated_at = ? WHERE id = ?')
      .run(attempts, nextAttemptAt, error, httpStatus ?? null, now, id);
  }

  /** Marks every pending row of `target` failed (the target left the config); returns how many. */
  failPending(target: string, error: string, now: number): number {
    return this.db.prepare("UPDATE cmms_outbox SET status = 'failed', last_error = ?, updated_at = ? WHERE target = ? AND status = 'pending'").run(error, now, target).changes;
  }

  /** Puts failed rows of `target` back in the queue with fresh attempts (after the CMMS was fixed); returns how many. */
  requeueFailed(target: string, now: number): number {
    return this.db
      .prepare("UPDATE cmms_outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, queued_at = ?, updated_at = ? WHERE target = ? AND status = 'failed'")
      .run(now, now, now, target).changes;
  }

  /** Targets that have pending rows. */
  pendingTargets(): string[] {
    return (this.db.prepare("SELECT DISTINCT target FROM cmms_outbox WHERE status = 'pending'").all() as Array<{ target: string }>).map((r) => r.target);
  }

  counts(target: string): OutboxCounts {
    const rows = this.db
      .prepare("SELECT status, COUNT(*) AS n, MIN(CASE WHEN status = 'pending' THEN queued_at END) AS oldest FROM cmms_outbox WHERE target = ? GROUP BY status")
      .all(target) as Array<{ status: string; n: number; oldest: number | null }>;
    const counts: OutboxCounts = { pending: 0, sent: 0, failed: 0 };
    for (const r of rows) {
      if (r.status === 'pending' || r.status === 'sent' || r.status === 'failed') counts[r.status] = r.n;
      if (r.oldest !== null) counts.oldestPendingAt = r.oldest;
    }
    return counts;
  }

  /** Deletes sent rows last changed before `sentBefore` and failed ones before `failedBefore`; returns how many. */
  prune(sentBefore: number, failedBefore: number): number {
    return this.db
      .prepare("DELETE FROM cmms_outbox WHERE (status = 'sent' AND updated_at < ?) OR (status = 'failed' AND updated_at < ?)")
      .run(sentBefore, failedBefore).changes;
  }
}

function toRow(r: Row): OutboxRow {
  const row: OutboxRow = {
    id: r.id,
    target: r.target,
    orderId: r.order_id,
    eventSeq: r.event_seq,
    eventKind: r.event_kind,
    idempotencyKey: r.idempotency_key,
    body: r.body,
    status: r.status as OutboxStatus,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    queuedAt: r.queued_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
  if (r.last_error !== null) row.lastError = r.last_error;
  if (r.last_status !== null) row.lastStatus = r.last_status;
  return row;
}
