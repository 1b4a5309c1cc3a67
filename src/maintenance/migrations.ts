import type { Migration } from '../alarms/lifecycle/migrations.js';

/** Planned-maintenance tables, in the gateway's one SQLite database (version 6: after work orders). */
export const MAINTENANCE_MIGRATIONS: readonly Migration[] = [
  {
    version: 6,
    description: 'planned maintenance: schedule state per asset, orders per period, meter counters, evidence runs',
    sql: `
      -- Where each schedule stands for each asset; survives restarts so no period is opened twice or skipped.
      CREATE TABLE maintenance_plan (
        schedule_id  TEXT NOT NULL,
        asset        TEXT NOT NULL,
        -- calendar: the last period handled (opened, or the time the schedule was first seen)
        last_due_at  INTEGER,
        -- floating calendar and meter from completion: when the last order was completed (or cancelled)
        completed_at INTEGER,
        -- meter: the counter total the next due counts from
        baseline     REAL,
        -- the schedule's unfinished order for this asset, if any
        open_order   INTEGER,
        updated_at   INTEGER NOT NULL,
        PRIMARY KEY (schedule_id, asset)
      ) STRICT;

      -- One row per order a schedule opened: one order per schedule, asset and period, enforced here. The
      -- scheduled time and interval are what planned-maintenance compliance ("done within 10% of the
      -- interval") is measured against.
      CREATE TABLE maintenance_order (
        order_id     INTEGER PRIMARY KEY REFERENCES work_order (id),
        schedule_id  TEXT NOT NULL,
        asset        TEXT NOT NULL,
        trigger      TEXT NOT NULL,
        due_at       INTEGER NOT NULL,
        interval_ms  INTEGER,
        meter_point  TEXT,
        meter_every  REAL,
        meter_due    REAL,
        opened_at    INTEGER NOT NULL,
        late_ms      INTEGER NOT NULL DEFAULT 0,
        UNIQUE (schedule_id, asset, due_at)
      ) STRICT;
      CREATE INDEX maintenance_order_due ON maintenance_order (due_at);

      -- Meter counters kept by the gateway: total units counted since it started watching the point, and
      -- the device's last raw reading, so a restart resumes from the device's own counter.
      CREATE TABLE maintenance_counter (
        point        TEXT NOT NULL,
        mode         TEXT NOT NULL,
        total        REAL NOT NULL,
        last_raw     REAL,
        last_change_ts INTEGER,
        resets       INTEGER NOT NULL DEFAULT 0,
        updated_at   INTEGER NOT NULL,
        PRIMARY KEY (point, mode)
      ) STRICT;

      -- Test runs seen in telemetry (the weekly fire-pump start) and the order they were attached to.
      CREATE TABLE maintenance_evidence (
        schedule_id  TEXT NOT NULL,
        asset        TEXT NOT NULL,
        run_start    INTEGER NOT NULL,
        duration_ms  INTEGER NOT NULL,
        peak         REAL,
        order_id     INTEGER,
        recorded_at  INTEGER NOT NULL,
        PRIMARY KEY (schedule_id, asset, run_start)
      ) STRICT;
    `,
  },
];
