import type { Logger } from '../log.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import type { LineQueue } from './line-buffer.js';

/**
 * The flush / retry / back-off policy shared by every telemetry sink, after influxdb-client-js's WriteApiImpl:
 * appending is synchronous and cheap; lines leave in batches, when a batch is full or when the oldest line
 * has waited `flushIntervalMs`; one request is in flight at a time, so lines arrive in order; a batch that
 * failed in a way a retry can fix (network error, timeout, 429, 5xx) is retried after an exponential back-off,
 * while newer lines wait in the bounded queue, which drops the oldest and counts them; a batch the server
 * refuses for good (400 bad data, 401/403 credentials, 404 no such database) is counted, logged with the
 * server's reason and not retried. The sink knows nothing of HTTP: it is given a `send` function.
 *
 * Memory bound: `capacity` lines in the queue plus at most one batch (`batchSize` lines) in flight.
 * Delivery is at least once: a batch whose answer timed out may have been written and is sent again; the
 * explicit timestamps make the second write overwrite the first rather than duplicate it.
 */

/** What became of one attempt to send a batch. */
export type SendOutcome =
  | { kind: 'ok' }
  /** Worth trying again later: no answer, a network error, 408, 429 or a 5xx. */
  | { kind: 'retry'; reason: string; retryAfterMs?: number }
  /** Refused for good: the same request would be refused again, so the batch is dropped and counted. */
  | { kind: 'reject'; reason: string };

/**
 * Sends one batch of lines. Resolves with the outcome; a rejection counts as a retriable failure. Should stop
 * when `signal` aborts (timeout or shutdown); the sink does not wait for it past that anyway.
 */
export type SendBatch = (lines: readonly string[], signal: AbortSignal) => Promise<SendOutcome>;

export interface RetryTiming {
  /** Pause after the first failed attempt, ms; it doubles with each further failure. */
  backoffInitialMs: number;
  /** Longest pause between two attempts, ms. */
  backoffMaxMs: number;
  /**
   * Each pause is shortened by a random part of up to this fraction (0–1), so that gateways that lost the
   * server together do not all retry in the same instant.
   */
  backoffJitter: number;
}

export const DEFAULT_RETRY_TIMING: Readonly<RetryTiming> = { backoffInitialMs: 1000, backoffMaxMs: 60_000, backoffJitter: 0.2 };

export interface BatchingSinkContext {
  id: string;
  /** Sink kind for status output, e.g. `influxdb-v2`. */
  type: string;
  /** Server URL for status output (without credentials). */
  url: string;
  buffer: LineQueue;
  send: SendBatch;
  clock: Clock;
  logger: Logger;
  /** Most lines per request. */
  batchSize: number;
  /** Longest a line waits in the queue before a request is started for it, ms. */
  flushIntervalMs: number;
  /** Longest one request may take before it counts as failed (and is retried), ms. */
  timeoutMs: number;
  retry?: Partial<RetryTiming>;
}

/** One sink's health, for /health. Counters run from start-up; times are ms since the epoch. */
export interface SinkStatus {
  id: string;
  type: string;
  url: string;
  /**
   * Whether the last write attempt succeeded. True before the first attempt (nothing has failed yet; `lastOkAt`
   * stays null until something was written); false after a failure, whether retriable or refused.
   */
  connected: boolean;
  /** When a batch was last accepted. */
  lastOkAt: number | null;
  /** When the last request was started, whatever its outcome. */
  lastWriteAt: number | null;
  linesWritten: number;
  /** Lines lost without being sent: the oldest, past the buffer bound, and any still held at shutdown. */
  linesDropped: number;
  /** Lines the server refused for good (4xx): sent, but not stored. */
  linesRejected: number;
  /** Lines waiting, including a batch in flight or waiting for its retry. */
  linesBuffered: number;
  /** Failed requests, retriable or not. */
  writeErrors: number;
  consecutiveFailures: number;
  /** The last failure, with the server's reason when there was one. */
  lastError: string | null;
  /** While backing off: when the next attempt is due. */
  nextRetryAt: number | null;
}

/** A repeated failure with the same reason is logged at most this often, ms; the rest are counted. */
const FAILURE_LOG_INTERVAL_MS = 60_000;

export class BatchingSink {
  readonly id: string;
  private readonly ctx: BatchingSinkContext;
  private readonly retry: RetryTiming;
  private readonly logger: Logger;
  private readonly buffer: LineQueue;
  private readonly clock: Clock;

  private running = false;
  private started = false;
  private stopped = false;
  /** True while the send loop runs; set and cleared synchronously so no line can fall between two loops. */
  private sending = false;
  /** The latest send loop (possibly finished), for stop() to wait on. */
  private pumping: Promise<void> | undefined;
  private timer: TimerHandle | undefined;
  private timerDueAt = 0;
  /** The batch being sent or waiting for its retry; always older than everything in the buffer. */
  private inFlight: string[] | undefined;
  /** Arrival time of the oldest line in the buffer, or an earlier time; null when the buffer is empty. */
  private pendingSince: number | null = null;
  private retryAt: number | null = null;
  private abortAttempt: (() => void) | undefined;

  private connected = true;
  private lastOkAt: number | null = null;
  private lastWriteAt: number | null = null;
  private linesWritten = 0;
  private linesRejected = 0;
  private linesLost = 0;
  private writeErrors = 0;
  private consecutiveFailures = 0;
  private lastError: string | null = null;
  private lastLoggedReason = '';
  private lastLoggedAt = Number.NEGATIVE_INFINITY;
  private suppressedLogs = 0;

  constructor(ctx: BatchingSinkContext) {
    this.ctx = ctx;
    this.id = ctx.id;
    this.buffer = ctx.buffer;
    this.clock = ctx.clock;
    this.retry = { ...DEFAULT_RETRY_TIMING, ...ctx.retry };
    this.logger = ctx.logger.child({ sink: ctx.id });
  }

  /** Queues one line. Synchronous, O(1) and never throws: this runs on the poll path. */
  append(line: string): void {
    if (this.stopped) {
      this.linesLost++;
      return;
    }
    const now = this.clock.now();
    if (this.pendingSince === null) this.pendingSince = now;
    this.buffer.push(line);
    if (this.running && !this.sending && this.retryAt === null) this.setTimer(this.flushDueAt(now), now);
  }

  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.started = true;
    if (this.buffer.length > 0) this.setTimer(this.flushDueAt(this.clock.now()), this.clock.now());
  }

  /**
   * Stops the timers, then sends what it can until `deadlineMs` from now has passed or the server fails once
   * (no back-off at shutdown). Lines still held afterwards are counted as dropped. Never rejects.
   */
  async stop(deadlineMs: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.running = false;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.retryAt = null;
    const deadlineAt = this.clock.now() + deadlineMs;
    if (this.pumping) {
      const timer = this.clock.setTimeout(() => this.abortAttempt?.(), deadlineAt - this.clock.now());
      await this.pumping;
      this.clock.clearTimeout(timer);
    }
    if (this.started) await this.drain(deadlineAt);
    const lost = this.buffer.clear() + (this.inFlight?.length ?? 0);
    this.inFlight = undefined;
    this.pendingSince = null;
    this.retryAt = null;
    if (lost > 0) {
      this.linesLost += lost;
      this.logger.warn({ lines: lost, lastError: this.lastError }, 'telemetry lines not delivered before shutdown; dropped');
    }
  }

  status(): SinkStatus {
    return {
      id: this.ctx.id,
      type: this.ctx.type,
      url: this.ctx.url,
      connected: this.connected,
      lastOkAt: this.lastOkAt,
      lastWriteAt: this.lastWriteAt,
      linesWritten: this.linesWritten,
      linesDropped: this.buffer.dropped + this.linesLost,
      linesRejected: this.linesRejected,
      linesBuffered: this.buffer.length + (this.inFlight?.length ?? 0),
      writeErrors: this.writeErrors,
      consecutiveFailures: this.consecutiveFailures,
      lastError: this.lastError,
      nextRetryAt: this.retryAt,
    };
  }

  /** When the buffered lines should leave: now for a full batch, else when the oldest has waited long enough. */
  private flushDueAt(now: number): number {
    if (this.buffer.length >= this.ctx.batchSize) return now;
    return (this.pendingSince ?? now) + this.ctx.flushIntervalMs;
  }

  /** Arms the one timer for `dueAt`, unless it is already armed for that time or earlier. */
  private setTimer(dueAt: number, now: number): void {
    if (this.timer !== undefined) {
      if (this.timerDueAt <= dueAt) return;
      this.clock.clearTimeout(this.timer);
    }
    this.timerDueAt = dueAt;
    this.timer = this.clock.setTimeout(() => this.onTimer(), dueAt - now);
  }

  private onTimer(): void {
    this.timer = undefined;
    this.retryAt = null;
    if (!this.running || this.sending) return;
    this.pumping = this.pump();
  }

  /** Sends batches while they are due; arms the timer for whatever comes next. Never rejects. */
  private async pump(): Promise<void> {
    this.sending = true;
    try {
      while (this.running) {
        const batch = this.nextBatch();
        if (batch === undefined) break;
        const outcome = await this.attempt(batch, this.ctx.timeoutMs);
        if (!this.record(outcome, batch)) break;
        if (this.buffer.length === 0 || this.flushDueAt(this.clock.now()) > this.clock.now()) break;
      }
    } catch (error) {
      this.logger.error({ err: error }, 'telemetry send loop failed');
    } finally {
      this.sending = false;
      this.armAfterPump();
    }
  }

  private armAfterPump(): void {
    if (!this.running) return;
    const now = this.clock.now();
    if (this.retryAt !== null) this.setTimer(this.retryAt, now);
    else if (this.buffer.length > 0) this.setTimer(this.flushDueAt(now), now);
  }

  /** At shutdown: send until done, out of time, or the first failure. */
  private async drain(deadlineAt: number): Promise<void> {
    for (;;) {
      const remainingMs = deadlineAt - this.clock.now();
      if (remainingMs <= 0) return;
      const batch = this.nextBatch();
      if (batch === undefined) return;
      const outcome = await this.attempt(batch, Math.min(this.ctx.timeoutMs, remainingMs));
      if (!this.record(outcome, batch)) return;
    }
  }

  /** The batch waiting for a retry, else up to `batchSize` of the oldest buffered lines. */
  private nextBatch(): string[] | undefined {
    if (this.inFlight !== undefined) return this.inFlight;
    if (this.buffer.length === 0) return undefined;
    this.inFlight = this.buffer.take(this.ctx.batchSize);
    // The lines left behind arrived after `pendingSince`, so it stays a safe (early) estimate for them.
    if (this.buffer.length === 0) this.pendingSince = null;
    return this.inFlight;
  }

  /** One request with a deadline; a timeout or shutdown aborts it and counts as a retriable failure. */
  private async attempt(lines: string[], timeoutMs: number): Promise<SendOutcome> {
    const controller = new AbortController();
    let timer: TimerHandle | undefined;
    const cut = new Promise<SendOutcome>((resolve) => {
      const abort = (reason: string): void => {
        controller.abort();
        resolve({ kind: 'retry', reason });
      };
      timer = this.clock.setTimeout(() => abort(`no answer within ${timeoutMs} ms`), timeoutMs);
      this.abortAttempt = () => abort('stopped before the server answered');
    });
    this.lastWriteAt = this.clock.now();
    try {
      const outcome = await Promise.race([this.sendSafely(lines, controller.signal), cut]);
      // A request that failed on its own (e.g. the transport's socket timeout) may still hold a connection.
      if (outcome.kind === 'retry') controller.abort();
      return outcome;
    } finally {
      this.clock.clearTimeout(timer);
      this.abortAttempt = undefined;
    }
  }

  private async sendSafely(lines: readonly string[], signal: AbortSignal): Promise<SendOutcome> {
    try {
      return await this.ctx.send(lines, signal);
    } catch (error) {
      return { kind: 'retry', reason: describeError(error) };
    }
  }

  /** Counts the outcome; returns true when the batch is done with (written or refused for good). */
  private record(outcome: SendOutcome, batch: readonly string[]): boolean {
    const now = this.clock.now();
    switch (outcome.kind) {
      case 'ok':
        if (this.consecutiveFailures > 0) {
          this.logger.info({ failures: this.consecutiveFailures, backlog: this.buffer.length }, 'telemetry sink reachable again');
        }
        this.inFlight = undefined;
        this.linesWritten += batch.length;
        this.connected = true;
        this.lastOkAt = now;
        this.consecutiveFailures = 0;
        return true;
      case 'reject':
        this.inFlight = undefined;
        this.linesRejected += batch.length;
        this.writeErrors++;
        this.connected = false; // refused batches (bad token, missing database) must show in /health too
        this.consecutiveFailures = 0;
        this.lastError = outcome.reason;
        this.logFailure(now, outcome.reason, { lines: batch.length }, 'telemetry batch refused by the server; dropped, not retried');
        return true;
      case 'retry': {
        this.writeErrors++;
        this.consecutiveFailures++;
        this.connected = false;
        this.lastError = outcome.reason;
        const delayMs = this.backoffDelay(outcome.retryAfterMs);
        this.retryAt = now + delayMs;
        this.logFailure(now, outcome.reason, { lines: batch.length, retryInMs: delayMs, backlog: this.buffer.length }, 'telemetry write failed; will retry');
        return false;
      }
    }
  }

  /** Exponential back-off: initial × 2^(failures−1), at most the maximum, shortened by jitter; at least Retry-After. */
  private backoffDelay(retryAfterMs: number | undefined): number {
    const { backoffInitialMs, backoffMaxMs, backoffJitter } = this.retry;
    const base = Math.min(backoffMaxMs, backoffInitialMs * 2 ** Math.min(this.consecutiveFailures - 1, 30));
    const jittered = base * (1 - backoffJitter * Math.random());
    return Math.round(Math.min(backoffMaxMs, Math.max(jittered, retryAfterMs ?? 0)));
  }

  private logFailure(now: number, reason: string, details: Record<string, unknown>, message: string): void {
    if (reason === this.lastLoggedReason && now - this.lastLoggedAt < FAILURE_LOG_INTERVAL_MS) {
      this.suppressedLogs++;
      return;
    }
    this.logger.warn({ reason, ...details, consecutiveFailures: this.consecutiveFailures, similarSinceLastLog: this.suppressedLogs }, message);
    this.lastLoggedReason = reason;
    this.lastLoggedAt = now;
    this.suppressedLogs = 0;
  }
}

/** A one-line description of a thrown value; Node's connection errors may have only a code (AggregateError). */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (error.message) return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
    return code ?? error.name;
  }
  return String(error);
}
