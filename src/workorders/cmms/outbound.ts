import type Database from 'better-sqlite3';
import { CmmsOutboundSchema, type CmmsOutboundConfig } from '../../config/cmms-schema.js';
import { withDefaults } from '../../config/alarm-management-schema.js';
import type { Logger } from '../../log.js';
import type { Clock, TimerHandle } from '../../time/clock.js';
import type { WorkOrderListener } from '../service.js';
import type { WorkOrder, WorkOrderEvent } from '../types.js';
import { DeliveryLane } from './delivery-lane.js';
import { CmmsOutboxStore } from './outbox-store.js';
import { cmmsActor, idempotencyKey, wants, webhookBody } from './payload.js';

const HOUR_MS = 3_600_000;
/** Delivered rows are kept a week (to look up what the CMMS was sent), failed ones a month (to requeue). */
const KEEP_SENT_MS = 7 * 24 * HOUR_MS;
const KEEP_FAILED_MS = 30 * 24 * HOUR_MS;
const PRUNE_INTERVAL_MS = HOUR_MS;

export interface CmmsOutboundOptions {
  /** The configured targets (`cmms.outbound`); defaults are filled in here. */
  targets: readonly CmmsOutboundConfig[];
  /** The gateway's SQLite database, migrated with CMMS_MIGRATIONS. */
  db: Database.Database;
  clock: Clock;
  logger: Logger;
  /** `cmms.inbound.name`: changes made by that CMMS are not sent back unless a target sets echoInbound. */
  inboundName?: string | undefined;
  /** In [0, 1): the jitter of the retry delays. Default Math.random. */
  random?: () => number;
  /** User-Agent of the requests, e.g. `facility-gw/0.1.0`. */
  userAgent?: string;
}

/** One target, as the API and /metrics show it. */
export interface CmmsTargetStatus {
  id: string;
  /** Scheme, host and path only: a query string may carry a key. */
  url: string;
  /** Rows in the outbox by state (sent and failed ones are kept 7 and 30 days). */
  pending: number;
  sent: number;
  failed: number;
  /** How long the oldest pending event has been waiting, ms; null when none waits. */
  oldestPendingAgeMs: number | null;
  /** Since start. */
  sentSinceStart: number;
  failedSinceStart: number;
  retriedSinceStart: number;
  lastSentAt?: number;
  lastError?: string;
  lastErrorAt?: number;
}

/**
 * Hands every work-order event to the configured CMMS targets as a signed webhook. The listener writes one
 * outbox row per wanted event and target before it returns (the order's change is committed already), so a
 * crash after it resends on start: at least once, with an idempotency key for the CMMS to drop duplicates.
 * Each target has one delivery lane (delivery-lane.ts: order kept per order, back-off with jitter, 4xx not
 * retried, attempts and age bounded).
 *
 * Wiring: `orders.subscribe(outbound.listener)` before anything can change an order, then `start()`.
 */
export class CmmsOutbound {
  private readonly store: CmmsOutboxStore;
  private readonly targets: CmmsOutboundConfig[];
  private readonly lanes = new Map<string, DeliveryLane>();
  private readonly inboundActor: string | undefined;
  private pruneTimer: TimerHandle | undefined;
  private started = false;

  /** Subscribe this to WorkOrderService. */
  readonly listener: WorkOrderListener = (order, event) => {
    this.enqueue(order, event);
  };

  constructor(private readonly options: CmmsOutboundOptions) {
    this.store = new CmmsOutboxStore(options.db);
    this.targets = options.targets.map((t) => withDefaults(CmmsOutboundSchema, t));
    const ids = new Set<string>();
    for (const t of this.targets) {
      if (ids.has(t.id)) throw new Error(`cmms.outbound: duplicate id "${t.id}"`);
      ids.add(t.id);
    }
    this.inboundActor = options.inboundName !== undefined ? cmmsActor(options.inboundName) : undefined;
    for (const target of this.targets) {
      this.lanes.set(
        target.id,
        new DeliveryLane({
          target,
          store: this.store,
          clock: options.clock,
          logger: options.logger,
          random: options.random ?? Math.random,
          userAgent: options.userAgent ?? 'facility-gw',
        }),
      );
    }
  }

  /**
   * Queues the event for every target that wants it; returns how many rows were written. Synchronous: when
   * it returns, the rows are committed (or part of the caller's transaction). Sending starts once started.
   */
  enqueue(order: WorkOrder, event: WorkOrderEvent): number {
    const wanting = this.targets.filter((t) => wants(t, order, event, this.inboundActor));
    if (wanting.length === 0) return 0;
    const body = JSON.stringify(webhookBody(order, event));
    const key = idempotencyKey(order, event);
    const now = this.options.clock.now();
    let queued = 0;
    for (const target of wanting) {
      if (this.store.insert({ target: target.id, orderId: order.id, eventSeq: event.seq, eventKind: event.kind, idempotencyKey: key, body }, now)) queued++;
      if (this.started) this.lanes.get(target.id)?.kick();
    }
    return queued;
  }

  /** Resends what was pending at the last stop or crash, and sends from now on. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const now = this.options.clock.now();
    for (const target of this.store.pendingTargets()) {
      if (this.lanes.has(target)) continue;
      const n = this.store.failPending(target, `target "${target}" is no longer configured (cmms.outbound)`, now);
      this.options.logger.warn({ target, events: n }, 'pending CMMS events of a removed target marked failed');
    }
    for (const lane of this.lanes.values()) lane.kick();
    this.prune();
  }

  /** Stops sending, for good (a new instance sends after a restart); requests in flight finish. Events queued meanwhile stay pending. */
  async stop(): Promise<void> {
    this.started = false;
    this.options.clock.clearTimeout(this.pruneTimer);
    this.pruneTimer = undefined;
    await Promise.all([...this.lanes.values()].map((l) => l.stop()));
  }

  /** Resolves when no delivery is under way or about to start. */
  async idle(): Promise<void> {
    await Promise.all([...this.lanes.values()].map((l) => l.idle()));
  }

  status(): CmmsTargetStatus[] {
    const now = this.options.clock.now();
    return this.targets.map((t) => {
      const counts = this.store.counts(t.id);
      const c = this.lanes.get(t.id)?.counters;
      const s: CmmsTargetStatus = {
        id: t.id,
        url: safeUrl(t.url),
        pending: counts.pending,
        sent: counts.sent,
        failed: counts.failed,
        oldestPendingAgeMs: counts.oldestPendingAt !== undefined ? Math.max(0, now - counts.oldestPendingAt) : null,
        sentSinceStart: c?.sent ?? 0,
        failedSinceStart: c?.failed ?? 0,
        retriedSinceStart: c?.retried ?? 0,
      };
      if (c?.lastSentAt !== undefined) s.lastSentAt = c.lastSentAt;
      if (c?.lastError !== undefined) s.lastError = c.lastError;
      if (c?.lastErrorAt !== undefined) s.lastErrorAt = c.lastErrorAt;
      return s;
    });
  }

  /** Whether `id` is a configured target. */
  hasTarget(id: string): boolean {
    return this.lanes.has(id);
  }

  /** Puts a target's failed events back in its queue with fresh attempts (once the CMMS is fixed); returns how many. */
  requeueFailed(targetId: string): number {
    const lane = this.lanes.get(targetId);
    if (lane === undefined) throw new Error(`no CMMS target "${targetId}"`);
    const n = this.store.requeueFailed(targetId, this.options.clock.now());
    if (n > 0) {
      this.options.logger.info({ target: targetId, events: n }, 'failed CMMS events requeued');
      if (this.started) lane.kick();
    }
    return n;
  }

  /** The outbox rows of a target, newest first (support: what was the CMMS sent, why did it fail). */
  rows(targetId: string, status?: 'pending' | 'sent' | 'failed', limit?: number): ReturnType<CmmsOutboxStore['list']> {
    return this.store.list(targetId, status, limit);
  }

  private prune(): void {
    const { clock, logger } = this.options;
    try {
      const now = clock.now();
      const n = this.store.prune(now - KEEP_SENT_MS, now - KEEP_FAILED_MS);
      if (n > 0) logger.debug({ rows: n }, 'old CMMS outbox rows pruned');
    } catch (err) {
      logger.error({ err }, 'pruning the CMMS outbox failed');
    }
    if (this.started) this.pruneTimer = clock.setTimeout(() => this.prune(), PRUNE_INTERVAL_MS);
  }
}

function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
