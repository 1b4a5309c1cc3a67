import type { Database } from 'better-sqlite3';

/**
 * Versioned schema of the alarm store. Each migration runs once, in its own transaction, and records its
 * version in `schema_version`; opening a database runs the ones it has not seen yet. Append new migrations,
 * never edit an applied one.
 */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'alarm state and append-only transition log',
    sql: `
      CREATE TABLE alarm_state (
        alarm_id   TEXT PRIMARY KEY,
        state      TEXT NOT NULL,
        changed_at INTEGER NOT NULL,
        -- seq of the transition that wrote this row (0 when saved without a transition)
        last_seq   INTEGER NOT NULL,
        -- the AlarmSnapshot, JSON
        snapshot   TEXT NOT NULL
      ) STRICT;

      CREATE TABLE alarm_transition (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        alarm_id    TEXT NOT NULL,
        action      TEXT NOT NULL,
        from_state  TEXT NOT NULL,
        to_state    TEXT NOT NULL,
        by          TEXT,
        comment     TEXT,
        ts          INTEGER NOT NULL,
        annunciate  INTEGER NOT NULL,
        flags       TEXT NOT NULL,
        priority    TEXT,
        life_safety INTEGER NOT NULL,
        recorded_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX alarm_transition_alarm ON alarm_transition (alarm_id, seq);

      -- The audit log is append-only.
      CREATE TRIGGER alarm_transition_no_update BEFORE UPDATE ON alarm_transition
        BEGIN SELECT RAISE(ABORT, 'alarm_transition is append-only'); END;
      CREATE TRIGGER alarm_transition_no_delete BEFORE DELETE ON alarm_transition
        BEGIN SELECT RAISE(ABORT, 'alarm_transition is append-only'); END;
    `,
  },
  {
    version: 2,
    description: 'audit log by time; state documents of other parts of the gateway (rule engine)',
    sql: `
      CREATE INDEX alarm_transition_ts ON alarm_transition (ts, seq);

      -- One JSON document per key, replaced whole (e.g. the rule engine's pending delays and windows).
      CREATE TABLE state_document (
        key        TEXT PRIMARY KEY,
        value      TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
];

/**
 * Applies the migrations `db` has not seen; returns the highest version applied. Safe to run again. Each
 * part of the gateway sharing the database brings its own migrations, so a version is applied when it is
 * missing, not only when it is above the highest one seen.
 */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): number {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at INTEGER NOT NULL)');
  const applied = db.prepare('SELECT 1 FROM schema_version WHERE version = ?');
  const record = db.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)');
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    // IMMEDIATE: two processes opening the same file cannot both apply a migration.
    db.transaction(() => {
      if (applied.get(m.version) !== undefined) return;
      db.exec(m.sql);
      record.run(m.version, m.description, Date.now());
    }).immediate();
  }
  return (db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0;
}
