import { describe, expect, it } from 'vitest';
import { RULE_EVALUATION_BUCKETS_S, RuleTiming } from '../../../src/metrics/rule-timing.js';

describe('RuleTiming', () => {
  it('files each batch under its per-sample average, counted once per sample', () => {
    let nowMs = 100;
    const timing = new RuleTiming({ now: () => nowMs });
    nowMs = 100.002; // 2 µs for 4 samples: 0.5 µs each, in the first bucket
    timing.observeBatch(100, 4);
    nowMs = 200; // 50 ms for 2 samples: 25 ms each, past the largest bound
    timing.observeBatch(150, 2);
    const snap = timing.snapshot();
    expect(snap.bounds).toEqual(RULE_EVALUATION_BUCKETS_S);
    expect(snap.cumulative[0]).toBe(4);
    expect(snap.cumulative.at(-1)).toBe(4);
    expect(snap.count).toBe(6);
    expect(snap.sum).toBeCloseTo(0.050002, 9);
  });

  it('ignores empty batches and a clock that went backwards', () => {
    let nowMs = 10;
    const timing = new RuleTiming({ now: () => nowMs });
    timing.observeBatch(5, 0);
    nowMs = 1;
    timing.observeBatch(5, 3);
    timing.observeBatch(Number.NaN, 3);
    expect(timing.snapshot()).toMatchObject({ count: 0, sum: 0 });
  });

  it('spans 1 µs to 10 ms and measures real elapsed time by default', () => {
    expect(RULE_EVALUATION_BUCKETS_S[0]).toBe(1e-6);
    expect(RULE_EVALUATION_BUCKETS_S.at(-1)).toBe(1e-2);
    const timing = new RuleTiming();
    const startedAt = timing.now();
    timing.observeBatch(startedAt, 1);
    const { count, sum } = timing.snapshot();
    expect(count).toBe(1);
    expect(sum).toBeGreaterThanOrEqual(0);
    expect(sum).toBeLessThan(1);
  });

  it('resets', () => {
    let nowMs = 0;
    const timing = new RuleTiming({ now: () => nowMs });
    nowMs = 1;
    timing.observeBatch(0, 1);
    timing.reset();
    expect(timing.snapshot()).toMatchObject({ count: 0, sum: 0, cumulative: RULE_EVALUATION_BUCKETS_S.map(() => 0) });
  });
});
