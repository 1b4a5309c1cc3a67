import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../../src/drivers/modbus/backoff.js';
import { VirtualClock } from '../../../src/time/clock.js';

const INITIAL_MS = 1000;
const MAX_MS = 8000;

function breaker(clock = new VirtualClock(), jitterRatio = 0, jitterSeed = 0): CircuitBreaker {
  return new CircuitBreaker({ clock, backoffInitialMs: INITIAL_MS, backoffMaxMs: MAX_MS, jitterRatio, jitterSeed });
}

describe('CircuitBreaker', () => {
  it('starts closed and allows attempts', () => {
    const b = breaker();
    expect(b.state).toBe('closed');
    expect(b.canAttempt()).toBe(true);
    expect(b.nextAttemptAt).toBeNull();
    expect(b.consecutiveFailures).toBe(0);
  });

  it('opens on the first failure and skips attempts until the back-off is over', async () => {
    const clock = new VirtualClock();
    const b = breaker(clock);
    const t0 = clock.now();
    expect(b.recordFailure()).toBe(true);
    expect(b.state).toBe('open');
    expect(b.nextAttemptAt).toBe(t0 + INITIAL_MS);
    expect(b.canAttempt()).toBe(false);
    await clock.advance(INITIAL_MS - 1);
    expect(b.canAttempt()).toBe(false);
    await clock.advance(1);
    expect(b.canAttempt()).toBe(true);
    expect(b.state).toBe('half-open');
    // Only one probe at a time.
    expect(b.canAttempt()).toBe(false);
  });

  it('doubles the wait on each failed probe up to the maximum', async () => {
    const clock = new VirtualClock();
    const b = breaker(clock);
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      const opened = b.recordFailure();
      expect(opened).toBe(i === 0);
      const wait = (b.nextAttemptAt ?? 0) - clock.now();
      waits.push(wait);
      await clock.advance(wait);
      expect(b.canAttempt()).toBe(true);
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 8000, 8000]);
    expect(b.consecutiveFailures).toBe(6);
  });

  it('closes on success and reports the recovery once', () => {
    const b = breaker();
    b.recordFailure();
    b.recordFailure();
    expect(b.recordSuccess()).toBe(true);
    expect(b.state).toBe('closed');
    expect(b.consecutiveFailures).toBe(0);
    expect(b.nextAttemptAt).toBeNull();
    expect(b.recordSuccess()).toBe(false);
    // A new failure starts again from the initial wait.
    b.recordFailure();
    expect(b.delayAfter(b.consecutiveFailures)).toBe(INITIAL_MS);
  });

  it('retryNow() makes an open breaker due at once', () => {
    const clock = new VirtualClock();
    const b = breaker(clock);
    b.recordFailure();
    b.recordFailure();
    expect(b.canAttempt()).toBe(false);
    b.retryNow();
    expect(b.nextAttemptAt).toBe(clock.now());
    expect(b.canAttempt()).toBe(true);
  });

  it('copes with very many failures', () => {
    const b = breaker();
    expect(b.delayAfter(5000)).toBe(MAX_MS);
  });

  it('applies small deterministic jitter when asked', () => {
    const a = breaker(new VirtualClock(), 0.2, 7);
    const same = breaker(new VirtualClock(), 0.2, 7);
    const other = breaker(new VirtualClock(), 0.2, 8);
    const delays = [1, 2, 3, 4, 5].map((n) => a.delayAfter(n));
    expect([1, 2, 3, 4, 5].map((n) => same.delayAfter(n))).toEqual(delays);
    expect([1, 2, 3, 4, 5].map((n) => other.delayAfter(n))).not.toEqual(delays);
    const bases = [1000, 2000, 4000, 8000, 8000];
    delays.forEach((delay, i) => {
      const base = bases[i] ?? 0;
      expect(delay).toBeLessThanOrEqual(base);
      expect(delay).toBeGreaterThanOrEqual(base * 0.8);
    });
  });
});
