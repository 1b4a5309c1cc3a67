import type { Migration } from '../alarms/lifecycle/migrations.js';

/** Work-order tables, in the gateway's one SQLite database (version 5: after alarms, notifications, links). */
export const WORK_ORDER_MIGRATIONS: readonly Migration[] = [
  {
    version: 5,
    description: 'work orders, their append-only event history',
    sql: `
      CREATE TABLE work_order (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,
        site         TEXT NOT NULL,
        asset        TEXT NOT NULL,
        location     TEXT,
        type         TEXT NOT NULL,
        priority     TEXT NOT NULL,
        title        TEXT NOT NULL,
        description  TEXT,
        cause        TEXT,
        fault_key    TEXT,
        source_kind  TEXT NOT NULL,
        source_ref   TEXT,
        status       TEXT NOT NULL,
        assignee     TEXT,
        contractor   TEXT,
        due_at       INTEGER,
        arrived_at   INTEGER,
        created_at   INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL,
        started_at   INTEGER,
        completed_at INTEGER,
        closed_at    INTEGER,
        resolution   TEXT,
        external_ref TEXT,
        occurrences  INTEGER NOT NULL DEFAULT 1,
        version      INTEGER NOT NULL DEFAULT 1
      ) STRICT;
      -- Deduplication, enforced by the database itself: one unfinished order per asset and fault kind.
      CREATE UNIQUE INDEX work_order_unfinished_fault ON work_order (asset, fault_key)
        WHERE fault_key IS NOT NULL AND status IN ('open', 'assigned', 'in-progress', 'on-hold');
      CREATE INDEX work_order_status ON work_order (status, due_at);
      CREATE INDEX work_order_asset ON work_order (asset, created_at);

      CREATE TABLE work_order_event (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        order_id   INTEGER NOT NULL REFERENCES work_order (id),
        kind       TEXT NOT NULL,
        from_status TEXT,
        to_status  TEXT,
        by         TEXT NOT NULL,
        comment    TEXT,
        ts         INTEGER NOT NULL,
        data       TEXT
      ) STRICT;
      CREATE INDEX work_order_event_order ON work_order_event (order_id, seq);
      CREATE INDEX work_order_event_ts ON work_order_event (ts);
      CREATE TRIGGER work_order_event_no_update BEFORE UPDATE ON work_order_event
        BEGIN SELECT RAISE(ABORT, 'work_order_event is append-only'); END;
      CREATE TRIGGER work_order_event_no_delete BEFORE DELETE ON work_order_event
        BEGIN SELECT RAISE(ABORT, 'work_order_event is append-only'); END;
    `,
  },
];
