import type { Logger } from '../../log.js';
import type { CmmsOutboundConfig } from '../../config/cmms-schema.js';
import { webhookSignature } from '../../notify/channels/webhook.js';
import type { Clock, TimerHandle } from '../../time/clock.js';
import { backoffDelayMs } from './backoff.js';
import type { CmmsOutboxStore, OutboxRow } from './outbox-store.js';
import { signedPost } from './signed-post.js';

const HOUR_MS = 3_600_000;

export interface LaneCounters {
  /** Events the CMMS took since start. */
  sent: number;
  /** Events given up since start: refused (4xx), out of attempts or too old. */
  failed: number;
  /** Failed attempts that were scheduled for a retry since start. */
  retried: number;
  lastSentAt?: number;
  lastError?: string;
  lastErrorAt?: number;
}

export interface LaneContext {
  target: CmmsOutboundConfig;
  store: CmmsOutboxStore;
  clock: Clock;
  logger: Logger;
  random: () => number;
  userAgent: string;
}

/**
 * Delivers one target's queue, one request at a time. It always takes the earliest due row that heads its
 * order's queue, so a later event of an order never overtakes an earlier one, while an order waiting out a
 * back-off does not hold up the others. Between deliveries it sleeps on the clock until the next row is
 * due; nothing polls.
 */
export class DeliveryLane {
  readonly counters: LaneCounters = { sent: 0, failed: 0, retried: 0 };
  private busy = false;
  private done: Promise<void> = Promise.resolve();
  /** Set by kick(): the loop looks for due rows once more before it ends. */
  private wanted = false;
  private kickQueued = false;
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(private readonly ctx: LaneContext) {}

  get id(): string {
    return this.ctx.target.id;
  }

  /**
   * Looks for work soon. Deferred to a microtask: a listener may queue inside a caller's transaction, and the
   * request must not leave before that transaction commits.
   */
  kick(): void {
    if (this.stopped) return;
    this.wanted = true;
    if (this.kickQueued || this.busy) return; // a running loop looks again before it ends
    this.kickQueued = true;
    queueMicrotask(() => {
      this.kickQueued = false;
      this.start();
    });
  }

  /** Resolves once no delivery is under way or about to start (tests; shutdown). */
  async idle(): Promise<void> {
    while (this.kickQueued || this.busy) await (this.busy ? this.done : Promise.resolve());
  }

  /** Stops sending; a request in flight finishes and is recorded. Pending rows stay for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.ctx.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.idle();
  }

  private start(): void {
    if (this.stopped || this.busy) return;
    this.busy = true;
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    try {
      while (this.wanted && !this.stopped) {
        this.wanted = false;
        await this.sendDue();
      }
    } finally {
      this.busy = false;
    }
  }

  /** Sends every row that is due, then sleeps until the next one is. Never throws. */
  private async sendDue(): Promise<void> {
    const { store, clock, target, logger } = this.ctx;
    try {
      for (;;) {
        if (this.stopped) return;
        const row = store.nextDue(target.id, clock.now());
        if (row === undefined) break;
        await this.deliver(row);
      }
      this.sleepUntil(store.nextWakeAt(target.id));
    } catch (err) {
      // The store failed (disk full, locked): the rows are still pending; look again after a pause.
      logger.error({ err, target: target.id }, 'CMMS outbox unavailable; trying again later');
      this.sleepUntil(clock.now() + target.baseDelayMs);
    }
  }

  private sleepUntil(at: number | undefined): void {
    const { clock } = this.ctx;
    clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (at === undefined || this.stopped) return;
    this.timer = clock.setTimeout(() => {
      this.timer = undefined;
      this.kick();
    }, at - clock.now());
  }

  private async deliver(row: OutboxRow): Promise<void> {
    const { target, store, clock, logger } = this.ctx;
    const attempt = row.attempts + 1;
    const timestamp = String(clock.now());
    const headers: Record<string, string> = {
      'user-agent': this.ctx.userAgent,
      ...target.headers,
      'content-type': 'application/json',
      'idempotency-key': row.idempotencyKey,
      'x-signature-timestamp': timestamp,
      'x-signature': webhookSignature(target.secret, timestamp, row.body),
      'x-work-order-event': row.eventKind,
      'x-delivery-attempt': String(attempt),
    };
    const outcome = await signedPost({ url: target.url, body: row.body, headers, timeoutMs: target.timeoutMs, now: clock.now() });
    const now = clock.now();
    const log = { target: target.id, key: row.idempotencyKey, event: row.eventKind, attempt };
    switch (outcome.kind) {
      case 'delivered':
        store.markSent(row.id, attempt, outcome.status, now);
        this.counters.sent++;
        this.counters.lastSentAt = now;
        logger.debug({ ...log, status: outcome.status }, 'work-order event delivered to the CMMS');
        return;
      case 'reject':
        this.fail(row, attempt, `refused: ${outcome.reason}`, outcome.status, now);
        return;
      case 'retry': {
        if (attempt >= target.maxAttempts) {
          this.fail(row, attempt, `gave up after ${attempt} attempts: ${outcome.reason}`, outcome.status, now);
          return;
        }
        const delay = Math.max(backoffDelayMs(target, attempt, this.ctx.random), outcome.retryAfterMs ?? 0);
        if (now + delay > row.queuedAt + target.maxAgeHours * HOUR_MS) {
          this.fail(row, attempt, `gave up: not delivered within ${target.maxAgeHours} h of being queued: ${outcome.reason}`, outcome.status, now);
          return;
        }
        store.reschedule(row.id, attempt, now + delay, outcome.reason, outcome.status, now);
        this.counters.retried++;
        this.noteError(outcome.reason, now);
        logger.info({ ...log, status: outcome.status, reason: outcome.reason, retryInMs: delay }, 'CMMS did not take a work-order event; will retry');
        return;
      }
    }
  }

  private fail(row: OutboxRow, attempt: number, reason: string, status: number | undefined, now: number): void {
    this.ctx.store.markFailed(row.id, attempt, reason, status, now);
    this.counters.failed++;
    this.noteError(reason, now);
    this.ctx.logger.warn({ target: this.ctx.target.id, key: row.idempotencyKey, event: row.eventKind, attempt, status, reason }, 'work-order event not delivered to the CMMS; marked failed');
  }

  private noteError(reason: string, now: number): void {
    this.counters.lastError = reason;
    this.counters.lastErrorAt = now;
  }
}
