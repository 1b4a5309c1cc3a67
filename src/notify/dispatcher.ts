import { performance } from 'node:perf_hooks';
import type { Logger } from '../log.js';
import type { Clock } from '../time/clock.js';
import { NotifyError, type Channel } from './channels/channel.js';
import type { Notification } from './message.js';
import { RateBudget, type RateBudgetOptions } from './rate-budget.js';

export interface RetryPolicy {
  /** Attempts in total, first one included. Default 5. */
  maxAttempts: number;
  /** Delay before the first retry; doubles on every further retry. Default 1 000 ms. */
  baseDelayMs: number;
  /** Upper bound of one delay. Default 60 000 ms. */
  maxDelayMs: number;
}

export interface ChannelStats {
  /** Delivered messages (summaries included). */
  sent: number;
  /** Messages given up on (not retryable, or out of attempts). */
  failed: number;
  /** Retries made (attempts after the first). */
  retried: number;
  /** Notifications folded into summaries by the rate budget. */
  folded: number;
  /** Messages waiting in the queue or in flight. */
  queued: number;
}

/** What became of one notification on one channel; `retry` and `held` are not final, the others are. */
export type DeliveryOutcome = 'sent' | 'failed' | 'retry' | 'held' | 'folded';

export interface DeliveryEvent {
  channel: string;
  /** The very object given to `dispatch` (summaries are the dispatcher's own). */
  notification: Notification;
  outcome: DeliveryOutcome;
  /** 1-based attempt of `sent`, `failed` and `retry`; 0 for `held` and `folded`. */
  attempt: number;
  error?: string;
}

export interface DispatcherOptions {
  clock: Clock;
  logger: Logger;
  retry?: Partial<RetryPolicy>;
  /**
   * Told every outcome, synchronously (durable outboxes mark their rows from it). `folded`: the rate budget
   * put the notification into a summary that is now queued. Exceptions are logged, never propagated.
   */
  onDelivery?: (event: DeliveryEvent) => void;
}

export interface ChannelSetup {
  /** Rate budget of this channel; none means unlimited. */
  budget?: RateBudgetOptions;
  /** Overrides the dispatcher's retry policy for this channel. */
  retry?: Partial<RetryPolicy>;
}

const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelayMs: 1_000, maxDelayMs: 60_000 };

class Lane {
  readonly queue: Notification[] = [];
  inFlight = false;
  readonly stats = { sent: 0, failed: 0, retried: 0 };

  constructor(
    readonly channel: Channel,
    readonly retry: RetryPolicy,
    readonly budget: RateBudget | undefined,
  ) {}

  /** Life-safety notifications go ahead of everything else waiting; otherwise first in, first out. */
  enqueue(n: Notification): void {
    if (n.lifeSafety) {
      let i = 0;
      while (i < this.queue.length && this.queue[i]?.lifeSafety === true) i++;
      this.queue.splice(i, 0, n);
    } else {
      this.queue.push(n);
    }
  }
}

/**
 * Fans notifications out to channels. Every channel has its own queue, worked one message at a time,
 * with its own retries and rate budget, so a slow or failing channel never delays another.
 */
export class Dispatcher {
  private readonly lanes = new Map<string, Lane>();
  private readonly retry: RetryPolicy;
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly options: DispatcherOptions) {
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  add(channel: Channel, setup: ChannelSetup = {}): this {
    if (this.lanes.has(channel.name)) throw new Error(`notification channel ${channel.name} added twice`);
    const budget = setup.budget
      ? new RateBudget(channel.name, setup.budget, this.options.clock, (summary, folded) => {
          this.options.logger.warn(
            { channel: channel.name, folded: folded.length, lifeSafety: folded.filter((n) => n.lifeSafety).length },
            'notification rate budget spent: sending summary',
          );
          this.enqueue(lane, summary);
          for (const n of folded) this.report({ channel: channel.name, notification: n, outcome: 'folded', attempt: 0 });
        })
      : undefined;
    const lane = new Lane(channel, { ...this.retry, ...setup.retry }, budget);
    this.lanes.set(channel.name, lane);
    return this;
  }

  /** Hands a notification to every channel (or only to `channels`). Never throws, never waits. */
  dispatch(n: Notification, channels?: readonly string[]): void {
    for (const lane of this.lanes.values()) {
      if (channels && !channels.includes(lane.channel.name)) continue;
      if (lane.budget && !lane.budget.offer(n)) {
        this.options.logger.info({ channel: lane.channel.name, recipient: n.recipient, key: n.key, kind: n.kind, outcome: 'held' }, 'notification held by rate budget');
        this.report({ channel: lane.channel.name, notification: n, outcome: 'held', attempt: 0 });
        continue;
      }
      this.enqueue(lane, n);
    }
  }

  stats(): Record<string, ChannelStats> {
    const out: Record<string, ChannelStats> = {};
    for (const [name, lane] of this.lanes) {
      out[name] = { ...lane.stats, folded: lane.budget?.folded ?? 0, queued: lane.queue.length + (lane.inFlight ? 1 : 0) };
    }
    return out;
  }

  /** Resolves once every queue is empty and nothing is in flight (held notifications do not count). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops the budgets' timers and closes channels; logs what was still held or queued. */
  async close(): Promise<void> {
    for (const lane of this.lanes.values()) {
      const held = lane.budget?.dispose() ?? [];
      if (held.length > 0 || lane.queue.length > 0) {
        this.options.logger.warn(
          { channel: lane.channel.name, held: held.length, queued: lane.queue.length, keys: [...held, ...lane.queue].map((n) => n.key) },
          'notification dispatcher closed with undelivered notifications',
        );
      }
      lane.queue.length = 0;
      await lane.channel.close?.();
    }
  }

  private report(event: DeliveryEvent): void {
    if (!this.options.onDelivery) return;
    try {
      this.options.onDelivery(event);
    } catch (err) {
      this.options.logger.error({ channel: event.channel, key: event.notification.key, err }, 'notification outcome listener failed');
    }
  }

  private isIdle(): boolean {
    for (const lane of this.lanes.values()) if (lane.inFlight || lane.queue.length > 0) return false;
    return true;
  }

  private enqueue(lane: Lane, n: Notification): void {
    lane.enqueue(n);
    if (!lane.inFlight) void this.work(lane);
  }

  private async work(lane: Lane): Promise<void> {
    lane.inFlight = true;
    try {
      for (let next = lane.queue.shift(); next !== undefined; next = lane.queue.shift()) await this.deliver(lane, next);
    } finally {
      lane.inFlight = false;
      if (this.isIdle()) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
    }
  }

  private async deliver(lane: Lane, n: Notification): Promise<void> {
    const { logger, clock } = this.options;
    const channel = lane.channel.name;
    const { maxAttempts, baseDelayMs, maxDelayMs } = lane.retry;
    for (let attempt = 1; ; attempt++) {
      const started = performance.now();
      try {
        await lane.channel.send(n);
        lane.stats.sent++;
        logger.info({ channel, recipient: n.recipient, key: n.key, kind: n.kind, attempt, outcome: 'sent', durationMs: Math.round(performance.now() - started) }, 'notification sent');
        this.report({ channel, notification: n, outcome: 'sent', attempt });
        return;
      } catch (err) {
        const retryable = err instanceof NotifyError && err.retryable;
        const status = err instanceof NotifyError ? err.status : undefined;
        const error = err instanceof Error ? err.message : String(err);
        const durationMs = Math.round(performance.now() - started);
        if (!retryable || attempt >= maxAttempts) {
          lane.stats.failed++;
          logger.error(
            { channel, recipient: n.recipient, key: n.key, kind: n.kind, attempt, outcome: 'failed', retryable, status, error, durationMs },
            retryable ? 'notification failed: out of attempts' : 'notification failed: not retryable',
          );
          this.report({ channel, notification: n, outcome: 'failed', attempt, error });
          return;
        }
        const delayMs = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
        lane.stats.retried++;
        logger.warn({ channel, recipient: n.recipient, key: n.key, kind: n.kind, attempt, outcome: 'retry', status, error, durationMs, delayMs }, 'notification attempt failed: retrying');
        this.report({ channel, notification: n, outcome: 'retry', attempt, error });
        await clock.sleep(delayMs);
      }
    }
  }
}
