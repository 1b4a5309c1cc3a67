import type Database from 'better-sqlite3';

/** An answered request, remembered by its idempotency key. */
export interface StoredAnswer {
  requestHash: string;
  statusCode: number;
  body: unknown;
  receivedAt: number;
}

/** Idempotency keys of the inbound CMMS endpoint, on the gateway's SQLite database. */
export class CmmsInboundStore {
  constructor(private readonly db: Database.Database) {}

  /** Runs `fn` in one IMMEDIATE transaction: looking up a key, applying and remembering it are one step. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  get(key: string): StoredAnswer | undefined {
    const row = this.db.prepare('SELECT request_hash, status_code, response, received_at FROM cmms_inbound_request WHERE idempotency_key = ?').get(key) as
      | { request_hash: string; status_code: number; response: string; received_at: number }
      | undefined;
    if (row === undefined) return undefined;
    return { requestHash: row.request_hash, statusCode: row.status_code, body: JSON.parse(row.response) as unknown, receivedAt: row.received_at };
  }

  remember(key: string, orderRef: string, answer: StoredAnswer): void {
    this.db
      .prepare('INSERT INTO cmms_inbound_request (idempotency_key, request_hash, order_ref, status_code, response, received_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(key, answer.requestHash, orderRef, answer.statusCode, JSON.stringify(answer.body), answer.receivedAt);
  }

  /** Forgets keys received before `before`; returns how many. */
  forgetBefore(before: number): number {
    return this.db.prepare('DELETE FROM cmms_inbound_request WHERE received_at < ?').run(before).changes;
  }
}
