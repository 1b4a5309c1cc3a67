import type { Migration } from '../../alarms/lifecycle/migrations.js';

/**
 * Tables of the CMMS hand-off, in the gateway's one SQLite database (version 7: after the work orders'
 * 5 and planned maintenance's 6). Compose: `migrate(db, [...GATEWAY_MIGRATIONS, ...CMMS_MIGRATIONS])`.
 */
export const CMMS_MIGRATIONS: readonly Migration[] = [
  {
    version: 7,
    description: 'CMMS hand-off: outbound webhook outbox, inbound idempotency keys',
    sql: `
      -- One row per work-order event and target, written by the work-order listener before it returns;
      -- pending until the CMMS took it (sent) or it was given up (failed). A restart resends pending rows.
      CREATE TABLE cmms_outbox (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        target          TEXT NOT NULL,
        order_id        INTEGER NOT NULL,
        event_seq       INTEGER NOT NULL,
        event_kind      TEXT NOT NULL,
        -- <order number>:<event seq>, sent as Idempotency-Key: the CMMS drops what it has seen
        idempotency_key TEXT NOT NULL,
        -- the JSON body, frozen when queued: every attempt sends the same bytes
        body            TEXT NOT NULL,
        status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        last_error      TEXT,
        last_status     INTEGER,
        -- when it was queued (again, after a requeue): maxAgeHours counts from here
        queued_at       INTEGER NOT NULL,
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL,
        UNIQUE (target, idempotency_key)
      ) STRICT;
      -- The head of each order's queue: the pending row with the lowest id per (target, order).
      CREATE INDEX cmms_outbox_order ON cmms_outbox (target, status, order_id, id);
      CREATE INDEX cmms_outbox_done ON cmms_outbox (status, updated_at);

      -- Requests from the CMMS that were answered, by idempotency key: a resent one gets the same answer.
      CREATE TABLE cmms_inbound_request (
        idempotency_key TEXT PRIMARY KEY,
        -- SHA-256 of the order reference and the body: the same key with another request is refused
        request_hash    TEXT NOT NULL,
        order_ref       TEXT NOT NULL,
        status_code     INTEGER NOT NULL,
        response        TEXT NOT NULL,
        received_at     INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX cmms_inbound_request_age ON cmms_inbound_request (received_at);
    `,
  },
];
