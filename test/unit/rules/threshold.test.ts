import { describe, expect, it } from 'vitest';
import type { AlarmEvent } from '../../../src/alarms/events.js';
import { numericValue, type PointValue, type Quality } from '../../../src/points/sample.js';
import { ThresholdRule, type CompiledThreshold } from '../../../src/rules/threshold.js';
import { TimerQueue } from '../../../src/rules/timer-queue.js';
import { VirtualClock } from '../../../src/time/clock.js';

const SECOND_MS = 1000;
const ON_DELAY_MS = 10 * SECOND_MS;
const OFF_DELAY_MS = 5 * SECOND_MS;

/** One threshold rule on a virtual clock; `feed` hands it a sample stamped with the clock's time. */
function harness(overrides: Partial<CompiledThreshold> = {}) {
  const clock = new VirtualClock();
  const events: AlarmEvent[] = [];
  const timers = new TimerQueue({
    clock,
    onFireError: (err) => {
      throw err;
    },
  });
  const spec: CompiledThreshold = {
    alarmId: 'pump-1:motor_temperature_high',
    device: 'pump-1',
    point: 'pump-1.motor_temperature',
    rule: 'motor_temperature_high',
    kind: 'threshold-high',
    priority: 'high',
    message: 'Motor winding temperature high',
    limit: 100,
    deadband: 0,
    onDelayMs: 0,
    offDelayMs: 0,
    lifeSafety: false,
    ...overrides,
  };
  const rule = new ThresholdRule(spec, { site: 'hq', timers, emit: (e) => events.push(e) });
  const feed = (value: PointValue | null, quality: Quality = 'good'): void => {
    const sample = { point: spec.point, value, ts: clock.now(), quality };
    rule.evaluate(numericValue(value), sample, clock.now());
  };
  const types = (): string[] => events.map((e) => e.type);
  return { clock, events, rule, feed, types, timers };
}

describe('threshold: high limit and deadband', () => {
  it('raises once when the value goes above the limit, with the full event shape', () => {
    const { clock, events, feed } = harness({ deadband: 5 });
    feed(99);
    feed(100); // at the limit is not above it
    expect(events).toEqual([]);
    const crossedAt = clock.now();
    feed(101.5);
    feed(103);
    feed(120);
    expect(events).toEqual([
      {
        type: 'raise',
        alarmId: 'pump-1:motor_temperature_high',
        site: 'hq',
        device: 'pump-1',
        point: 'pump-1.motor_temperature',
        rule: 'motor_temperature_high',
        kind: 'threshold-high',
        priority: 'high',
        message: 'Motor winding temperature high',
        value: 101.5,
        quality: 'good',
        limit: 100,
        conditionSince: crossedAt,
        ts: crossedAt,
        lifeSafety: false,
      },
    ]);
  });

  it('does not chatter around the limit: clears only below limit − deadband', () => {
    const { feed, types, events } = harness({ deadband: 5 });
    for (const v of [100.1, 99.9, 100.2, 99.5, 100.4, 96, 101, 95]) feed(v); // 95 is not below 95
    expect(types()).toEqual(['raise']);
    feed(94.9);
    expect(types()).toEqual(['raise', 'clear']);
    expect(events[1]?.value).toBe(94.9);
    for (const v of [96, 99, 100]) feed(v);
    expect(types()).toEqual(['raise', 'clear']);
    feed(100.01);
    expect(types()).toEqual(['raise', 'clear', 'raise']);
  });

  it('with no deadband, a value exactly at the limit neither raises nor clears', () => {
    const { feed, types } = harness();
    feed(100);
    expect(types()).toEqual([]);
    feed(100.5);
    feed(100);
    expect(types()).toEqual(['raise']);
    feed(99.99);
    expect(types()).toEqual(['raise', 'clear']);
  });
});

describe('threshold: on-delay', () => {
  it('raises after the condition held for onDelayMs, reporting when it started', () => {
    const { clock, events, feed } = harness({ onDelayMs: ON_DELAY_MS });
    const crossedAt = clock.now();
    feed(105);
    clock.advanceSync(ON_DELAY_MS - 1);
    feed(107);
    expect(events).toEqual([]);
    clock.advanceSync(1);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'raise', conditionSince: crossedAt, ts: crossedAt + ON_DELAY_MS, value: 107 });
  });

  it('a value that dips back cancels the pending raise; the next crossing starts the delay again', () => {
    const { clock, types, feed, events } = harness({ onDelayMs: ON_DELAY_MS, deadband: 5 });
    feed(105);
    clock.advanceSync(ON_DELAY_MS / 2);
    feed(99); // back at or below the limit (inside the deadband still cancels: the raise needs > limit)
    expect(clock.pending()).toBe(0);
    clock.advanceSync(ON_DELAY_MS * 2);
    expect(types()).toEqual([]);

    const secondCrossing = clock.now();
    feed(106);
    clock.advanceSync(ON_DELAY_MS);
    expect(types()).toEqual(['raise']);
    expect(events[0]?.conditionSince).toBe(secondCrossing);
  });

  it('transients shorter than the on-delay never raise', () => {
    const { clock, types, feed } = harness({ onDelayMs: ON_DELAY_MS });
    for (let i = 0; i < 20; i++) {
      feed(150);
      clock.advanceSync(SECOND_MS);
      feed(50);
      clock.advanceSync(SECOND_MS);
    }
    expect(types()).toEqual([]);
  });
});

describe('threshold: off-delay', () => {
  it('clears after the value stayed back to normal for offDelayMs', () => {
    const { clock, events, feed, types } = harness({ deadband: 5, offDelayMs: OFF_DELAY_MS });
    feed(110);
    clock.advanceSync(SECOND_MS);
    const returnedAt = clock.now();
    feed(90);
    clock.advanceSync(OFF_DELAY_MS - 1);
    expect(types()).toEqual(['raise']);
    clock.advanceSync(1);
    expect(types()).toEqual(['raise', 'clear']);
    expect(events[1]).toMatchObject({ type: 'clear', conditionSince: returnedAt, ts: returnedAt + OFF_DELAY_MS, value: 90 });
  });

  it('a value back inside the deadband cancels the pending clear; the alarm stays active', () => {
    const { clock, feed, types, rule } = harness({ deadband: 5, offDelayMs: OFF_DELAY_MS });
    feed(110);
    feed(90);
    clock.advanceSync(OFF_DELAY_MS / 2);
    feed(97); // not below 95: the condition is back
    expect(rule.state).toBe('active');
    clock.advanceSync(OFF_DELAY_MS * 3);
    expect(types()).toEqual(['raise']);
    feed(94);
    clock.advanceSync(OFF_DELAY_MS);
    expect(types()).toEqual(['raise', 'clear']);
  });

  it('combines on-delay and off-delay into one raise and one clear per episode', () => {
    const { clock, feed, types } = harness({ deadband: 2, onDelayMs: ON_DELAY_MS, offDelayMs: OFF_DELAY_MS });
    for (let t = 0; t < 30; t++) {
      feed(101 + (t % 3)); // 101..103, above the limit throughout
      clock.advanceSync(SECOND_MS);
    }
    for (let t = 0; t < 30; t++) {
      feed(90 + (t % 5)); // 90..94, below 98 throughout
      clock.advanceSync(SECOND_MS);
    }
    expect(types()).toEqual(['raise', 'clear']);
  });
});

describe('threshold: low limit', () => {
  it('mirrors the high limit: raises below low, clears above low + deadband', () => {
    const { feed, types, events } = harness({ kind: 'threshold-low', limit: 1.5, deadband: 0.3 });
    feed(1.6);
    feed(1.5);
    expect(types()).toEqual([]);
    feed(1.49);
    expect(events[0]).toMatchObject({ type: 'raise', kind: 'threshold-low', limit: 1.5, value: 1.49 });
    for (const v of [1.55, 1.7, 1.8, 1.4, 1.8]) feed(v); // 1.8 is not above 1.8
    expect(types()).toEqual(['raise']);
    feed(1.81);
    expect(types()).toEqual(['raise', 'clear']);
  });

  it('applies delays to a low limit too', () => {
    const { clock, feed, types } = harness({ kind: 'threshold-low', limit: 10, deadband: 1, onDelayMs: ON_DELAY_MS, offDelayMs: OFF_DELAY_MS });
    feed(9);
    clock.advanceSync(ON_DELAY_MS - 1);
    feed(10.5); // dips back: cancels
    clock.advanceSync(ON_DELAY_MS);
    expect(types()).toEqual([]);
    feed(8);
    clock.advanceSync(ON_DELAY_MS);
    expect(types()).toEqual(['raise']);
    feed(12);
    clock.advanceSync(OFF_DELAY_MS);
    expect(types()).toEqual(['raise', 'clear']);
  });
});

describe('threshold: quality and value types', () => {
  it.each<Quality>(['bad', 'stale', 'uncertain'])('a %s value beyond the limit does not raise', (quality) => {
    const { feed, types } = harness();
    feed(150, quality);
    feed(200, quality);
    expect(types()).toEqual([]);
  });

  it.each<Quality>(['bad', 'stale', 'uncertain'])('a %s value back to normal does not clear an active alarm', (quality) => {
    const { feed, types, rule } = harness({ deadband: 5 });
    feed(120);
    feed(20, quality);
    feed(null, quality);
    expect(types()).toEqual(['raise']);
    expect(rule.state).toBe('active');
    feed(20);
    expect(types()).toEqual(['raise', 'clear']);
  });

  it('a sample that is not good cancels a pending raise: the condition was not seen to hold', () => {
    const { clock, feed, types } = harness({ onDelayMs: ON_DELAY_MS });
    feed(120);
    clock.advanceSync(ON_DELAY_MS / 2);
    feed(120, 'stale');
    expect(clock.pending()).toBe(0);
    clock.advanceSync(ON_DELAY_MS);
    expect(types()).toEqual([]);
    // Good again: the delay starts over.
    feed(120);
    clock.advanceSync(ON_DELAY_MS - 1);
    expect(types()).toEqual([]);
    clock.advanceSync(1);
    expect(types()).toEqual(['raise']);
  });

  it('a sample that is not good cancels a pending clear: the alarm stays active', () => {
    const { clock, feed, types, rule } = harness({ offDelayMs: OFF_DELAY_MS });
    feed(120);
    feed(50);
    clock.advanceSync(OFF_DELAY_MS / 2);
    feed(50, 'bad');
    expect(rule.state).toBe('active');
    clock.advanceSync(OFF_DELAY_MS * 2);
    expect(types()).toEqual(['raise']);
  });

  it('counts booleans as 1 and 0', () => {
    const { feed, types, events } = harness({ limit: 0.5 });
    feed(false);
    feed(true);
    feed(false);
    expect(types()).toEqual(['raise', 'clear']);
    expect(events.map((e) => e.value)).toEqual([true, false]);
  });

  it('ignores strings, null and non-finite numbers altogether, pending delays included', () => {
    const { clock, feed, types } = harness({ onDelayMs: ON_DELAY_MS });
    feed('overcurrent');
    feed(null);
    feed(Number.NaN);
    feed(Number.POSITIVE_INFINITY);
    expect(types()).toEqual([]);
    feed(120);
    clock.advanceSync(SECOND_MS);
    feed('open');
    clock.advanceSync(ON_DELAY_MS);
    expect(types()).toEqual(['raise']);
  });
});
