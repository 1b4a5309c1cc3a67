import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { migrate, type Migration } from './lifecycle/migrations.js';

/**
 * Schema of the acknowledge links, in the alarm database. The gateway composes it after the alarm store's
 * own migrations (`[...MIGRATIONS, ...ACK_LINK_MIGRATIONS]`); versions 2 and 3 belong to other modules.
 *
 * - `ack_link_used`: one row per consumed link, keyed by the link's random nonce. The primary key is what
 *   makes a link single-use, also across processes sharing the file: of two concurrent consumers exactly one
 *   INSERT succeeds. Rows of links past their expiry can be pruned (an expired link is refused anyway).
 * - `ack_link_secret`: the generated signing secret, one row, kept when the config gives none so that links
 *   pushed before a restart still verify after it.
 */
export const ACK_LINK_MIGRATIONS: readonly Migration[] = [
  {
    version: 4,
    description: 'single-use acknowledge links and their generated signing secret',
    sql: `
      CREATE TABLE ack_link_used (
        nonce        TEXT PRIMARY KEY,
        alarm_id     TEXT NOT NULL,
        episode_key  TEXT NOT NULL,
        recipient_id TEXT NOT NULL,
        used_by      TEXT NOT NULL,
        used_at      INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX ack_link_used_expiry ON ack_link_used (expires_at);

      CREATE TABLE ack_link_secret (
        id         INTEGER PRIMARY KEY CHECK (id = 1),
        secret     BLOB NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
];

/** Length of a generated secret in bytes (the HMAC-SHA256 block of security). */
export const GENERATED_SECRET_BYTES = 32;

export interface LinkUse {
  nonce: string;
  alarmId: string;
  episodeKey: string;
  recipientId: string;
  /** Who or what consumed it (the route's description of the request). */
  usedBy: string;
  usedAt: number;
  expiresAt: number;
}

interface UseRow {
  nonce: string;
  alarm_id: string;
  episode_key: string;
  recipient_id: string;
  used_by: string;
  used_at: number;
  expires_at: number;
}

/**
 * The durable half of the acknowledge links: which links were used, and the generated secret. Synchronous
 * (better-sqlite3), like the alarm store; every method is one statement or one transaction.
 */
export class AckLinkStore {
  private readonly insertUse: Database.Statement;
  private readonly selectUse: Database.Statement;
  private readonly deleteExpired: Database.Statement;
  private readonly ownsDb: boolean;
  private closed = false;

  /**
   * Uses an open database (e.g. the alarm store's file opened by the gateway) that already ran
   * `ACK_LINK_MIGRATIONS`. Throws when the tables are missing, naming the migration to run.
   */
  constructor(private readonly db: Database.Database, options: { ownsDb?: boolean } = {}) {
    this.ownsDb = options.ownsDb ?? false;
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('ack_link_used', 'ack_link_secret')")
      .all() as { name: string }[];
    if (tables.length !== 2) {
      throw new Error(
        `AckLinkStore: database ${db.name} lacks the ack_link tables; run ACK_LINK_MIGRATIONS (schema version ${ACK_LINK_MIGRATIONS[0]?.version ?? '?'}) first`,
      );
    }
    this.insertUse = db.prepare(
      `INSERT INTO ack_link_used (nonce, alarm_id, episode_key, recipient_id, used_by, used_at, expires_at)
       VALUES (@nonce, @alarmId, @episodeKey, @recipientId, @usedBy, @usedAt, @expiresAt)
       ON CONFLICT (nonce) DO NOTHING`,
    );
    this.selectUse = db.prepare('SELECT * FROM ack_link_used WHERE nonce = ?');
    this.deleteExpired = db.prepare('DELETE FROM ack_link_used WHERE expires_at <= ?');
  }

  /**
   * Opens the database at `path` with the alarm store's settings (WAL, synchronous FULL, busy timeout) and
   * applies `migrations`, which must be the gateway's full composed list and include `ACK_LINK_MIGRATIONS`:
   * the schema version is one number for the whole file, so running a partial list first would make the
   * missing lower versions look applied.
   */
  static open(path: string, migrations: readonly Migration[]): AckLinkStore {
    const ours = ACK_LINK_MIGRATIONS.map((m) => m.version);
    if (!ours.every((v) => migrations.some((m) => m.version === v))) {
      throw new Error(`AckLinkStore.open(${path}): the migrations must include ACK_LINK_MIGRATIONS (version ${ours.join(', ')})`);
    }
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      migrate(db, migrations);
      return new AckLinkStore(db, { ownsDb: true });
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /**
   * Marks a link used. Returns true when this call used it, false when it had been used before (by this or
   * another process). Atomic: the nonce is the primary key.
   */
  markUsed(use: LinkUse): boolean {
    return this.insertUse.run(use).changes === 1;
  }

  /** The recorded use of a link, if it was used. */
  useOf(nonce: string): LinkUse | undefined {
    const row = this.selectUse.get(nonce) as UseRow | undefined;
    if (row === undefined) return undefined;
    return {
      nonce: row.nonce,
      alarmId: row.alarm_id,
      episodeKey: row.episode_key,
      recipientId: row.recipient_id,
      usedBy: row.used_by,
      usedAt: row.used_at,
      expiresAt: row.expires_at,
    };
  }

  /** Deletes the records of links expired at `nowMs` (they are refused as expired anyway). Returns the count. */
  pruneExpired(nowMs: number): number {
    return this.deleteExpired.run(nowMs).changes;
  }

  /**
   * The generated signing secret, created on first call and kept in the database. Two processes calling it
   * at once get the same secret: the insert is conditional and both read back the one row.
   */
  loadOrCreateSecret(nowMs: number): Buffer {
    const tx = this.db.transaction(() => {
      this.db.prepare('INSERT INTO ack_link_secret (id, secret, created_at) VALUES (1, ?, ?) ON CONFLICT (id) DO NOTHING').run(randomBytes(GENERATED_SECRET_BYTES), nowMs);
      return this.db.prepare('SELECT secret FROM ack_link_secret WHERE id = 1').get() as { secret: Buffer };
    });
    return Buffer.from(tx.immediate().secret);
  }

  /** Closes the database when this store opened it (`open`); a shared connection stays open. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsDb) this.db.close();
  }
}
