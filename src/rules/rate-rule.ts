import type { AlarmEvent } from '../alarms/events.js';
import type { Sample } from '../points/sample.js';
import { ruleEvent } from './alarm-definition.js';
import type { CompiledRateAlarm } from './condition-alarm.js';
import { DelayedAlarm, type RuleContext } from './delayed-alarm.js';

const MINUTE_MS = 60_000;

/**
 * Anchors kept per rule. The slope needs the value about `windowMs` ago, not every sample in between, so the
 * history keeps one anchor per `windowMs / ANCHOR_DIVISIONS` at most: enough anchors always span the window
 * however fast the point is sampled, and the slope is measured over `windowMs` to within
 * `windowMs / ANCHOR_DIVISIONS`. Allocated once per rule: recording a sample allocates nothing.
 */
const ANCHOR_DIVISIONS = 16;
const ANCHOR_CAPACITY = ANCHOR_DIVISIONS + 3;

/**
 * A rate-of-change alarm: active while the point rises faster than `risePerMinute` or falls faster than
 * `fallPerMinute` (unit per minute), the slope measured over `windowMs`.
 *
 * - The slope at a sample is (value − reference) / (ts − reference ts), per minute, where the reference is
 *   the newest anchor at least `windowMs` older than the sample. Until the history spans the window there
 *   is no slope, and nothing is judged.
 * - Only good samples enter the history. A sample that is not good cancels a pending raise or clear, as
 *   for thresholds; a settled state stays. Samples older than the newest seen are ignored.
 * - The engine feeds rate rules unchanged samples too (a level that stops moving must bring the slope back
 *   to zero and clear the alarm, and the engine drops unchanged samples for every other rule).
 * - Events carry `value` = the slope (unit per minute) and `limit` = the rate crossed (−fallPerMinute for a
 *   fall).
 */
export class RateRule extends DelayedAlarm {
  readonly spec: CompiledRateAlarm;
  /** Latest slope judged, unit per minute. */
  lastSlope = Number.NaN;
  private lastLimit = Number.NaN;
  private readonly rise: number;
  private readonly fall: number;
  private readonly spacingMs: number;
  private readonly anchorTimes = new Float64Array(ANCHOR_CAPACITY);
  private readonly anchorValues = new Float64Array(ANCHOR_CAPACITY);
  private anchorStart = 0;
  private anchorCount = 0;
  private newestTs = Number.NEGATIVE_INFINITY;

  constructor(spec: CompiledRateAlarm, ctx: RuleContext) {
    super(ctx, spec.onDelayMs, spec.offDelayMs);
    this.spec = spec;
    this.rise = spec.risePerMinute ?? Number.POSITIVE_INFINITY;
    this.fall = spec.fallPerMinute === undefined ? Number.NEGATIVE_INFINITY : -spec.fallPerMinute;
    this.spacingMs = spec.windowMs / ANCHOR_DIVISIONS;
  }

  get alarmId(): string {
    return this.spec.alarmId;
  }

  /** Samples the history holds as anchors (for tests and debugging). */
  anchors(): number {
    return this.anchorCount;
  }

  /** Judges one sample; `numeric` is `numericValue(sample.value)`. */
  evaluate(numeric: number | undefined, sample: Sample, now: number): void {
    if (sample.quality !== 'good') {
      this.interrupt();
      return;
    }
    const ts = sample.ts;
    if (numeric === undefined || !Number.isFinite(ts) || ts < this.newestTs) return;
    this.newestTs = ts;
    this.record(ts, numeric);
    const slope = this.slopeAt(ts, numeric);
    if (Number.isNaN(slope)) return;
    this.lastSlope = slope;
    const rising = slope > this.rise;
    const falling = slope < this.fall;
    if (rising) this.lastLimit = this.rise;
    else if (falling) this.lastLimit = this.fall;
    this.observe(rising || falling, ts, now);
  }

  /** Forgets the history (after a restart, or when the device was away and the slope would span the gap). */
  resetHistory(): void {
    this.anchorStart = 0;
    this.anchorCount = 0;
    this.newestTs = Number.NEGATIVE_INFINITY;
  }

  private record(ts: number, value: number): void {
    if (this.anchorCount > 0) {
      const newest = (this.anchorStart + this.anchorCount - 1) % ANCHOR_CAPACITY;
      if (ts - (this.anchorTimes[newest] ?? 0) < this.spacingMs) return;
    }
    if (this.anchorCount === ANCHOR_CAPACITY) {
      this.anchorStart = (this.anchorStart + 1) % ANCHOR_CAPACITY;
      this.anchorCount--;
    }
    const index = (this.anchorStart + this.anchorCount) % ANCHOR_CAPACITY;
    this.anchorTimes[index] = ts;
    this.anchorValues[index] = value;
    this.anchorCount++;
  }

  /** Unit per minute between the reference anchor and (ts, value); NaN while the history is too short. */
  private slopeAt(ts: number, value: number): number {
    const windowStart = ts - this.spec.windowMs;
    for (let i = this.anchorCount - 1; i >= 0; i--) {
      const index = (this.anchorStart + i) % ANCHOR_CAPACITY;
      const anchorTs = this.anchorTimes[index] ?? Number.NaN;
      if (anchorTs <= windowStart) return ((value - (this.anchorValues[index] ?? Number.NaN)) / (ts - anchorTs)) * MINUTE_MS;
    }
    return Number.NaN;
  }

  protected event(type: AlarmEvent['type'], now: number): AlarmEvent {
    return ruleEvent(type, this.spec, this.ctx.site, 'rate', this.conditionSince, now, { value: this.lastSlope, quality: 'good', ...(Number.isFinite(this.lastLimit) ? { limit: this.lastLimit } : {}) });
  }
}
