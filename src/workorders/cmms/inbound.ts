import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { withDefaults } from '../../config/alarm-management-schema.js';
import { CmmsInboundSchema, type CmmsInboundConfig } from '../../config/cmms-schema.js';
import type { Logger } from '../../log.js';
import type { Clock } from '../../time/clock.js';
import { WorkOrderError, type WorkOrderService } from '../service.js';
import { WorkOrderStore } from '../store.js';
import type { WorkOrder } from '../types.js';
import { setExternalRef } from './external-ref.js';
import { checkEventBody, type CmmsEventBody } from './inbound-schema.js';
import { CmmsInboundStore } from './inbound-store.js';
import { cmmsActor } from './payload.js';
import { verifySignature } from './signature.js';

const HOUR_MS = 3_600_000;
const PRUNE_EVERY_MS = 10 * 60_000;
/** Printable ASCII without spaces, as idempotency keys are in practice (UUIDs, ids with colons). */
const KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;

export interface CmmsInboundOptions {
  /** `cmms.inbound`; defaults are filled in here. */
  config: CmmsInboundConfig;
  orders: WorkOrderService;
  /** The gateway's SQLite database (the one the orders live in), migrated with CMMS_MIGRATIONS. */
  db: Database.Database;
  clock: Clock;
  logger: Logger;
}

/** One request as it came: the raw body, since the signature covers its exact bytes. */
export interface InboundRequest {
  /** The order, as in the path: `WO-000042` or `42`. */
  orderRef: string;
  timestamp: string | undefined;
  signature: string | undefined;
  /** The Idempotency-Key header; without it, the signature stands in (an identical request carries the same one). */
  idempotencyKey: string | undefined;
  body: string;
}

export interface InboundAnswer {
  statusCode: number;
  body: unknown;
  /** The answer was given before to the same key: nothing was applied this time. */
  replayed: boolean;
}

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
  errors?: string[];
}

const STATUS_OF: Readonly<Record<WorkOrderError['code'], number>> = {
  'unknown-order': 404,
  'missing-field': 400,
  'illegal-transition': 409,
  'version-conflict': 409,
};

/**
 * The inbound side of the CMMS hand-off: verifies a request's signature and age, answers a resent request
 * (same idempotency key) with the answer it got the first time, and turns an accepted body into one
 * WorkOrderService call made by `cmms:<name>`. Applying the change and remembering its key happen in one
 * transaction, so a request is applied once even across a crash. Refusals are answered in the
 * {statusCode, error, message} shape of the rest of the API: 401 unsigned or stale (nothing stored), 400 a
 * body that does not fit (naming the path), 404 an unknown order, 409 an illegal transition, 422 a key
 * reused for another request.
 */
export class CmmsInbound {
  readonly config: CmmsInboundConfig;
  /** Who the changes are recorded as: `cmms:<name>`. */
  readonly actor: string;
  private readonly keys: CmmsInboundStore;
  private readonly workOrders: WorkOrderStore;
  private readonly secrets: string[];
  private lastPruneAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: CmmsInboundOptions) {
    this.config = withDefaults(CmmsInboundSchema, options.config);
    this.actor = cmmsActor(this.config.name);
    this.secrets = [this.config.secret, ...(this.config.previousSecret !== undefined ? [this.config.previousSecret] : [])];
    this.keys = new CmmsInboundStore(options.db);
    this.workOrders = new WorkOrderStore(options.db);
  }

  handle(request: InboundRequest): InboundAnswer {
    const { clock, logger } = this.options;
    const now = clock.now();
    const check = verifySignature(request, this.secrets, now, this.config.toleranceSeconds * 1000);
    if (!check.ok) {
      logger.warn({ order: request.orderRef, reason: check.reason }, 'CMMS request refused: not signed as agreed');
      return fresh(refusal(401, 'Unauthorized', check.reason));
    }
    const key = request.idempotencyKey;
    if (key !== undefined && !KEY_PATTERN.test(key)) return fresh(refusal(400, 'Bad Request', 'Idempotency-Key: 1 to 200 printable characters without spaces'));
    // A signature is good for one request: the path (which order) is not signed, so a captured request
    // must not be replayed against another order within the tolerance. It also makes a byte-identical
    // resend without an Idempotency-Key a replay.
    const signatureKey = `signature:${request.signature ?? ''}`;
    const requestHash = createHash('sha256').update(`${request.orderRef}\n${request.body}`).digest('hex');

    return this.keys.transaction((): InboundAnswer => {
      this.pruneKeys(now);
      const bySignature = this.keys.get(signatureKey);
      if (bySignature !== undefined && bySignature.requestHash !== requestHash) {
        logger.warn({ order: request.orderRef }, 'CMMS request refused: its signature was used for another request');
        return fresh(refusal(401, 'Unauthorized', 'this signature was used for another request already'));
      }
      const before = (key !== undefined ? this.keys.get(key) : undefined) ?? bySignature;
      if (before !== undefined) {
        if (before.requestHash !== requestHash) {
          return fresh(refusal(422, 'idempotency-key-reused', `Idempotency-Key "${key ?? ''}" was used for another request at ${new Date(before.receivedAt).toISOString()}`));
        }
        logger.info({ order: request.orderRef, key }, 'CMMS request seen before; answered as then');
        return { statusCode: before.statusCode, body: before.body, replayed: true };
      }
      const answer = this.apply(request.orderRef, request.body, now);
      const stored = { requestHash, statusCode: answer.statusCode, body: answer.body, receivedAt: now };
      if (key !== undefined) this.keys.remember(key, request.orderRef, stored);
      if (bySignature === undefined) this.keys.remember(signatureKey, request.orderRef, stored);
      return { ...answer, replayed: false };
    });
  }

  private apply(orderRef: string, text: string, now: number): { statusCode: number; body: unknown } {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text) as unknown;
    } catch (err) {
      return refusal(400, 'Bad Request', `body: not valid JSON (${(err as Error).message})`);
    }
    const checked = checkEventBody(parsed);
    if (!checked.ok) return refusal(400, 'Bad Request', checked.errors.join('; '), checked.errors);
    const id = orderId(orderRef);
    if (id === undefined || this.options.orders.get(id) === undefined) return refusal(404, 'unknown-order', `no work order "${orderRef}"`);
    const body = checked.body;
    try {
      const order = this.applyBody(id, body, now);
      this.options.logger.info({ order: order.number, action: body.action, by: this.actor, status: order.status }, 'work order updated by the CMMS');
      return { statusCode: 200, body: { action: body.action, order } };
    } catch (err) {
      if (err instanceof WorkOrderError) return refusal(STATUS_OF[err.code], err.code, err.message);
      if (err instanceof BadField) return refusal(400, 'Bad Request', err.message, [err.message]);
      throw err;
    }
  }

  private applyBody(id: number, body: CmmsEventBody, now: number): WorkOrder {
    const { orders, clock } = this.options;
    const by = this.actor;
    switch (body.action) {
      case 'assign':
        return orders.act(id, 'assign', { by, assignee: body.assignee, contractor: body.contractor, comment: body.comment });
      case 'start':
      case 'resume':
        return orders.act(id, body.action, { by, comment: body.comment });
      case 'hold':
        return orders.act(id, 'hold', { by, comment: body.comment });
      case 'complete':
        return orders.act(id, 'complete', { by, resolution: body.resolution, comment: body.comment });
      case 'arrival':
        return orders.recordArrival(id, by, body.at === undefined ? undefined : this.arrivalTime(body.at, now));
      case 'comment':
        return orders.comment(id, by, body.text);
      case 'externalRef':
        return setExternalRef(this.workOrders, clock, id, body.externalRef, by).order;
    }
  }

  private arrivalTime(at: number | string, now: number): number {
    const ms = typeof at === 'number' ? at : /^\d+$/.test(at) ? Number(at) : Date.parse(at);
    if (!Number.isFinite(ms)) throw new BadField(`body.at: "${at}" is neither an ISO 8601 time nor milliseconds since the epoch`);
    if (ms > now + this.config.toleranceSeconds * 1000) throw new BadField(`body.at: ${new Date(ms).toISOString()} is in the future`);
    return ms;
  }

  private pruneKeys(now: number): void {
    if (now - this.lastPruneAt < PRUNE_EVERY_MS) return;
    this.lastPruneAt = now;
    this.keys.forgetBefore(now - this.config.keyRetentionHours * HOUR_MS);
  }
}

class BadField extends Error {}

/** `WO-000042`, `wo-42` or `42` → 42. */
export function orderId(ref: string): number | undefined {
  const match = /^(?:WO-)?(\d{1,12})$/i.exec(ref.trim());
  if (match?.[1] === undefined) return undefined;
  const id = Number(match[1]);
  return id >= 1 ? id : undefined;
}

function refusal(statusCode: number, error: string, message: string, errors?: string[]): { statusCode: number; body: ErrorBody } {
  return { statusCode, body: { statusCode, error, message, ...(errors !== undefined ? { errors } : {}) } };
}

function fresh(answer: { statusCode: number; body: unknown }): InboundAnswer {
  return { ...answer, replayed: false };
}
