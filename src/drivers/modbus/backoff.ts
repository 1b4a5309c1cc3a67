import type { Clock } from '../../time/clock.js';

/**
 * Circuit breaker with exponential back-off, on the injected clock. The driver keeps one per device (to
 * skip a dead unit so the rest of the bus keeps its schedule) and one per link (to pace reconnects).
 *
 * - closed:    attempts allowed.
 * - open:      the last attempt failed; no attempt until `nextAttemptAt`.
 * - half-open: `nextAttemptAt` has passed and one probe was let through; its outcome closes or re-opens.
 *
 * The breaker opens on the first recorded failure: callers record a failure only once their own retries
 * are spent, so one failure already means "not answering". After n consecutive failures the wait is
 * backoffInitialMs · 2^(n−1), capped at backoffMaxMs, shortened by up to `jitterRatio` of itself.
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  clock: Clock;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /**
   * 0..1: shortens each wait by a pseudo-random fraction up to this ratio, so units or gateways that failed
   * together do not all retry in the same instant. Deterministic for a given seed. Default 0 (no jitter).
   */
  jitterRatio?: number;
  /** Seed for the jitter, e.g. the unit id. Default 0. */
  jitterSeed?: number;
}

/** One round of a 32-bit integer hash (Murmur3 finaliser): spreads (seed, failure count) over [0, 1). */
function unitFraction(seed: number, n: number): number {
  let h = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(n, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x1_0000_0000;
}

export class CircuitBreaker {
  private readonly clock: Clock;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly jitterRatio: number;
  private readonly jitterSeed: number;
  private current: 'closed' | 'open' | 'half-open' = 'closed';
  private failures = 0;
  private retryAt: number | null = null;

  constructor(options: CircuitBreakerOptions) {
    this.clock = options.clock;
    this.initialMs = Math.max(1, options.backoffInitialMs);
    this.maxMs = Math.max(this.initialMs, options.backoffMaxMs);
    this.jitterRatio = Math.min(1, Math.max(0, options.jitterRatio ?? 0));
    this.jitterSeed = options.jitterSeed ?? 0;
  }

  get state(): BreakerState {
    return this.current;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** While open or half-open: when the next attempt is (or was) due. Null when closed. */
  get nextAttemptAt(): number | null {
    return this.retryAt;
  }

  /**
   * Whether an attempt may start now. An open breaker whose wait is over lets exactly one probe through
   * (turning half-open) until that probe's outcome is recorded.
   */
  canAttempt(): boolean {
    switch (this.current) {
      case 'closed':
        return true;
      case 'open':
        if (this.retryAt !== null && this.clock.now() < this.retryAt) return false;
        this.current = 'half-open';
        return true;
      case 'half-open':
        return false;
    }
  }

  /** Records an answer. Returns true when this ends an open period (the unit or link recovered). */
  recordSuccess(): boolean {
    const recovered = this.current !== 'closed';
    this.current = 'closed';
    this.failures = 0;
    this.retryAt = null;
    return recovered;
  }

  /** Records a failure. Returns true when this opens a closed breaker (the unit or link was just lost). */
  recordFailure(): boolean {
    const opened = this.current === 'closed';
    this.failures++;
    this.current = 'open';
    this.retryAt = this.clock.now() + this.delayAfter(this.failures);
    return opened;
  }

  /** Makes an open breaker's next attempt due now, e.g. once the link under a unit is back. */
  retryNow(): void {
    if (this.current === 'open') this.retryAt = this.clock.now();
  }

  /** The wait after `failures` consecutive failures (≥ 1). */
  delayAfter(failures: number): number {
    const exponent = Math.max(0, failures - 1);
    // 2^exponent overflows to Infinity long after the cap applies; Math.min handles that.
    const base = Math.min(this.maxMs, this.initialMs * 2 ** exponent);
    if (this.jitterRatio === 0) return base;
    return Math.max(1, Math.round(base * (1 - this.jitterRatio * unitFraction(this.jitterSeed, failures))));
  }
}
