import type { Logger } from '../log.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import type { Lane, LineQueue, SpoolStatus } from './line-buffer.js';
import { ReplayPacer } from './replay-pacer.js';

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
 *
 * With a durable spool as the queue (spool/spool-queue.ts), each batch is acknowledged to the queue once the
 * server took it, and the queue has a second lane: when the server comes back after an outage, everything
 * waiting becomes the backlog, which is replayed at most `replayLinesPerSecond` (ReplayPacer) while lines
 * appended since go out on the usual flush schedule, so dashboards show the present while the past fills in.
 * When both are due the backlog goes first.
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
  /** Most backlog lines sent per second (queues with a backlog lane); unpaced when left out. */
  replayLinesPerSecond?: number;
}

/**
 * One sink's health, for /health. Counters run from start-up; times are ms since the epoch. The spool counts
 * (SpoolStatus) are null for a sink without a spool.
 */
export interface SinkStatus extends SpoolStatus {
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
  /**
   * Lines lost without being sent: the oldest, past the buffer bound; with a spool, those dropped by its size or
   * age bound; and any still held at shutdown that are not in a spool.
   */
  linesDropped: number;
  /** Lines the server refused for good (4xx): sent, but not stored. */
  linesRejected: number;
  /** Lines waiting, in memory or in the spool, including a batch in flight or waiting for its retry. */
  linesBuffered: number;
  /** Of those, lines waiting to be replayed at the paced rate (an outage's backlog, or found in the spool at start). */
  backlogLines: number;
  /** Failed requests, retriable or not. */
  writeErrors: number;
  consecutiveFailures: number;
  /** The last failure, with the server's reason when there was one; while the spool cannot be written, its error. */
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
  /** The batch being sent or waiting for its retry; older than everything in its lane. */
  private inFlight: string[] | undefined;
  /** Arrival time of the oldest live line, or an earlier time; null when the live lane is empty. */
  private pendingSince: number | null = null;
  /** Paces the backlog lane; undefined when unpaced. */
  private readonly pacer: ReplayPacer | undefined;
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
    this.pacer = ctx.replayLinesPerSecond === undefined ? undefined : new ReplayPacer(ctx.replayLinesPerSecond, ctx.batchSize, ctx.clock.now());
    // The spool announces lines it found on disk at start-up.
    this.buffer.onWaiting(() => {
      if (this.running && !this.sending && this.retryAt === null) this.armForNext(this.clock.now());
    });
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
    if (this.running && !this.sending && this.retryAt === null) this.setTimer(this.liveDueAt(now), now);
  }

  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.started = true;
    this.armForNext(this.clock.now());
  }

  /**
   * Stops the timers, then sends what it can of the live lane until `deadlineMs` from now has passed or the
   * server fails once (no back-off at shutdown), and closes the queue. Lines still held afterwards are counted
   * as dropped, except those a spool keeps for the next start. Never rejects.
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
    const lost = await this.buffer.close();
    this.inFlight = undefined;
    this.pendingSince = null;
    this.retryAt = null;
    if (lost > 0) {
      this.linesLost += lost;
      this.logger.warn({ lines: lost, lastError: this.lastError }, 'telemetry lines not delivered before shutdown; dropped');
    }
  }

  status(): SinkStatus {
    const spool = this.buffer.spoolStatus();
    return {
      ...spool,
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
      backlogLines: this.buffer.backlogLength,
      writeErrors: this.writeErrors,
      consecutiveFailures: this.consecutiveFailures,
      lastError: spool.spoolError ?? this.lastError,
      nextRetryAt: this.retryAt,
    };
  }

  private liveLength(): number {
    return this.buffer.length - this.buffer.backlogLength;
  }

  /** When live lines should leave: now for a full batch, else when the oldest has waited long enough. */
  private liveDueAt(now: number): number {
    const live = this.liveLength();
    if (live === 0) return Number.POSITIVE_INFINITY;
    if (live >= this.ctx.batchSize) return now;
    return (this.pendingSince ?? now) + this.ctx.flushIntervalMs;
  }

  /** When the next backlog batch may leave, as the replay pace allows. */
  private backlogDueAt(now: number): number {
    const backlog = this.buffer.backlogLength;
    if (backlog === 0) return Number.POSITIVE_INFINITY;
    return this.pacer ? this.pacer.dueAt(backlog, now) : now;
  }

  /** Which lane has a batch due now, the backlog first. */
  private dueLane(now: number): Lane | undefined {
    if (this.backlogDueAt(now) <= now) return 'backlog';
    if (this.liveDueAt(now) <= now) return 'live';
    return undefined;
  }

  private armForNext(now: number): void {
    const dueAt = Math.min(this.liveDueAt(now), this.backlogDueAt(now));
    if (Number.isFinite(dueAt)) this.setTimer(dueAt, now);
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
        const batch = await this.nextBatch(this.dueLane(this.clock.now()));
        if (batch === undefined) break;
        const outcome = await this.attempt(batch, this.ctx.timeoutMs);
        if (!this.record(outcome, batch)) break;
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
    else this.armForNext(now);
  }

  /** At shutdown: send the live lane until done, out of time, or the first failure. A spool keeps the backlog. */
  private async drain(deadlineAt: number): Promise<void> {
    for (;;) {
      const remainingMs = deadlineAt - this.clock.now();
      if (remainingMs <= 0) return;
      const batch = await this.nextBatch(this.liveLength() > 0 ? 'live' : undefined);
      if (batch === undefined) return;
      const outcome = await this.attempt(batch, Math.min(this.ctx.timeoutMs, remainingMs));
      if (!this.record(outcome, batch)) return;
    }
  }

  /** The batch waiting for a retry, else the oldest lines of `lane` (a backlog batch as the pace allows). */
  private async nextBatch(lane: Lane | undefined): Promise<string[] | undefined> {
    if (this.inFlight !== undefined) return this.inFlight;
    if (lane === undefined) return undefined;
    const max = lane === 'backlog' && this.pacer ? Math.max(1, this.pacer.allowance(this.clock.now())) : this.ctx.batchSize;
    const lines = await this.buffer.take(max, lane);
    if (lines.length === 0) return undefined;
    if (lane === 'backlog') this.pacer?.consume(lines.length, this.clock.now());
    this.inFlight = lines;
    // The live lines left behind arrived after `pendingSince`, so it stays a safe (early) estimate for them.
    if (this.liveLength() === 0) this.pendingSince = null;
    return lines;
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
    if (outcome.kind !== 'retry') {
      this.buffer.ack();
      // The server answers again: what waited through the outage is replayed beside the live lines.
      if (this.consecutiveFailures > 0) this.buffer.moveToBacklog();
      if (this.liveLength() === 0) this.pendingSince = null;
    }
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
