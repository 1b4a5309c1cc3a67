import type Database from 'better-sqlite3';
import type { Migration } from '../alarms/lifecycle/migrations.js';

/** Scheduled reports delivered, per period and target: what makes the monthly report idempotent across restarts. */
export const REPORT_MIGRATIONS: readonly Migration[] = [
  {
    version: 21,
    description: 'deliveries of scheduled reports',
    sql: `
      CREATE TABLE report_delivery (
        -- e.g. monthly:2026-11
        period     TEXT NOT NULL,
        -- email:<channel> or webhook
        target     TEXT NOT NULL,
        sent_at    INTEGER,
        attempts   INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (period, target)
      ) STRICT;
      -- When each schedule was first started: send times before it are not caught up (a new install does not
      -- send the report of a month it never watched).
      CREATE TABLE report_schedule (
        name  TEXT PRIMARY KEY,
        since INTEGER NOT NULL
      ) STRICT;
    `,
  },
];

export interface DeliveryRecord {
  period: string;
  target: string;
  sentAt?: number;
  attempts: number;
  lastError?: string;
}

export class DeliveryStore {
  constructor(private readonly db: Database.Database) {}

  /** When the schedule `name` first started; records `now` the first time. */
  since(name: string, now: number): number {
    this.db.prepare('INSERT INTO report_schedule (name, since) VALUES (?, ?) ON CONFLICT (name) DO NOTHING').run(name, now);
    return (this.db.prepare('SELECT since FROM report_schedule WHERE name = ?').get(name) as { since: number }).since;
  }

  sent(period: string, target: string): boolean {
    return this.db.prepare('SELECT 1 FROM report_delivery WHERE period = ? AND target = ? AND sent_at IS NOT NULL').get(period, target) !== undefined;
  }

  markSent(period: string, target: string, at: number): void {
    this.db
      .prepare(
        `INSERT INTO report_delivery (period, target, sent_at, attempts, updated_at) VALUES (?, ?, ?, 1, ?)
         ON CONFLICT (period, target) DO UPDATE SET sent_at = excluded.sent_at, attempts = attempts + 1, last_error = NULL, updated_at = excluded.updated_at`,
      )
      .run(period, target, at, at);
  }

  markFailed(period: string, target: string, error: string, at: number): void {
    this.db
      .prepare(
        `INSERT INTO report_delivery (period, target, attempts, last_error, updated_at) VALUES (?, ?, 1, ?, ?)
         ON CONFLICT (period, target) DO UPDATE SET attempts = attempts + 1, last_error = excluded.last_error, updated_at = excluded.updated_at`,
      )
      .run(period, target, error.slice(0, 1000), at);
  }

  list(): DeliveryRecord[] {
    const rows = this.db.prepare('SELECT * FROM report_delivery ORDER BY period, target').all() as {
      period: string;
      target: string;
      sent_at: number | null;
      attempts: number;
      last_error: string | null;
    }[];
    return rows.map((r) => ({
      period: r.period,
      target: r.target,
      attempts: r.attempts,
      ...(r.sent_at !== null ? { sentAt: r.sent_at } : {}),
      ...(r.last_error !== null ? { lastError: r.last_error } : {}),
    }));
  }
}
