import type { Migration } from '../lifecycle/migrations.js';

/**
 * Tables of the alarm notifier, in the alarm store's database (version 3; 2 is the gateway's, 4 the
 * acknowledge links'). Compose: `migrate(db, [...MIGRATIONS, ...NOTIFY_MIGRATIONS])`.
 */
export const NOTIFY_MIGRATIONS: Migration[] = [
  {
    version: 3,
    description: 'notification episodes, escalation steps and the delivery outbox',
    sql: `
      -- One alarm episode: from the first annunciation to the return to normal.
      CREATE TABLE notify_episode (
        episode_key TEXT PRIMARY KEY,
        alarm_id    TEXT NOT NULL,
        site        TEXT NOT NULL,
        opened_at   INTEGER NOT NULL,
        -- re-annunciations after an acknowledgement or a shelve (each one restarts the escalation)
        cycle       INTEGER NOT NULL,
        acked_at    INTEGER,
        resolved_at INTEGER,
        -- AlarmInfo at opening, JSON: lets a restart finish the episode of an alarm since removed
        info        TEXT NOT NULL,
        -- the route's decision, JSON { policies, channels }
        route       TEXT NOT NULL
      ) STRICT;
      CREATE INDEX notify_episode_open ON notify_episode (resolved_at, alarm_id);

      -- Where each escalation policy of an episode stands.
      CREATE TABLE notify_escalation (
        episode_key  TEXT NOT NULL,
        policy_id    TEXT NOT NULL,
        -- 0-based level whose pushes went out last
        level        INTEGER NOT NULL,
        repeats_done INTEGER NOT NULL,
        -- running: next_due_at is when the next level fires; otherwise acknowledged, silenced, exhausted, resolved
        status       TEXT NOT NULL,
        next_due_at  INTEGER,
        PRIMARY KEY (episode_key, policy_id)
      ) STRICT;

      -- Every push, recorded pending before it is handed to its channel.
      CREATE TABLE notify_outbox (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        delivery_key   TEXT NOT NULL UNIQUE,
        episode_key    TEXT NOT NULL,
        alarm_id       TEXT NOT NULL,
        site           TEXT NOT NULL,
        group_key      TEXT NOT NULL,
        channel        TEXT NOT NULL,
        recipient_key  TEXT NOT NULL,
        recipient_id   TEXT NOT NULL,
        recipient_name TEXT NOT NULL,
        recipient_kind TEXT NOT NULL,
        address        TEXT,
        kind           TEXT NOT NULL,
        life_safety    INTEGER NOT NULL,
        notification   TEXT NOT NULL,
        status         TEXT NOT NULL,
        attempts       INTEGER NOT NULL,
        last_error     TEXT,
        created_at     INTEGER NOT NULL,
        updated_at     INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX notify_outbox_pending ON notify_outbox (status, id);
      CREATE INDEX notify_outbox_episode ON notify_outbox (episode_key);
    `,
  },
];
