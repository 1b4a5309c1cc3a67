import type { AlarmEvent } from '../alarms/events.js';
import type { PointValue, Quality, Sample } from '../points/sample.js';
import type { AlarmPriority } from '../profiles/types.js';
import type { Timed, TimerQueue } from './timer-queue.js';

/**
 * A threshold rule: one high or low limit on one point, with deadband, on-delay and off-delay.
 *
 * Semantics (high; low is the mirror image with < and >):
 * - The alarm condition starts when a good value is above the limit (`value > limit`). Once the alarm is
 *   active it holds until the value is below `limit - deadband`, so a value wandering around the limit
 *   raises once and does not chatter.
 * - On-delay: the value must stay above the limit in every good sample for `onDelayMs` before the alarm
 *   raises; one sample at or below the limit cancels the pending raise, and the next crossing starts the
 *   delay again. Off-delay: the value must stay below `limit - deadband` for `offDelayMs` before the alarm
 *   clears; a sample back inside the deadband cancels the pending clear and the alarm stays active.
 * - One raise per episode and one clear: a settled state (normal, active) never emits twice.
 * - Quality: only good samples are judged. A sample that is uncertain, bad or stale neither raises nor
 *   clears; it cancels a pending raise or clear, because a delay means "held continuously" and nobody saw
 *   the value in between. An active alarm stays active while its input is not good: the device's
 *   communication alarm tells the operator why. The same applies when the device goes offline.
 * - Values: booleans count as 1/0; strings (enum labels), null and non-finite numbers are ignored
 *   altogether (no effect on the condition or on timers).
 * - Delays run on the engine's clock from the moment the engine saw the sample; `conditionSince` reports
 *   the sample's own timestamp.
 * - Events carry the latest good value judged by the rule (for a delayed raise, the value when the delay
 *   ran out, which is still beyond the limit), and `limit` is the configured limit for both raise and
 *   clear (the clear point is `limit ∓ deadband`).
 */

/** A threshold as compiled from a profile and a device's config. Immutable; shared by engines. */
export interface CompiledThreshold {
  /** `<deviceId>:<thresholdId>`. */
  alarmId: string;
  device: string;
  /** Point id `<deviceId>.<pointName>`. */
  point: string;
  /** Threshold id within the device. */
  rule: string;
  kind: 'threshold-high' | 'threshold-low';
  priority: AlarmPriority;
  message: string;
  limit: number;
  /** ≥ 0, in the point's unit. */
  deadband: number;
  onDelayMs: number;
  offDelayMs: number;
}

export type ThresholdState = 'normal' | 'pending-raise' | 'active' | 'pending-clear';

/** What a rule needs from the engine: where events go and where delays wait. Shared by all rules. */
export interface RuleContext {
  site: string;
  timers: TimerQueue;
  emit: (event: AlarmEvent) => void;
}

/** The state of one threshold in flat fields: evaluation allocates nothing unless it emits an event. */
export class ThresholdRule implements Timed {
  readonly spec: CompiledThreshold;
  state: ThresholdState = 'normal';
  /** When the current raise (or clear) condition started, from the sample's timestamp. */
  conditionSince = 0;
  /** When the alarm was raised (event ts); meaningful while active or pending-clear. */
  raisedAt = 0;
  /** Latest good value judged, reported in events. */
  lastValue: PointValue | null = null;
  lastQuality: Quality = 'good';

  // Timed: owned by the TimerQueue.
  dueAt = 0;
  seq = 0;
  heapIndex = -1;

  private readonly ctx: RuleContext;
  private readonly isHigh: boolean;
  private readonly limit: number;
  /** Where an active alarm returns to normal: limit − deadband (high) or limit + deadband (low). */
  private readonly clearLimit: number;
  private readonly onDelayMs: number;
  private readonly offDelayMs: number;

  constructor(spec: CompiledThreshold, ctx: RuleContext) {
    this.spec = spec;
    this.ctx = ctx;
    this.isHigh = spec.kind === 'threshold-high';
    this.limit = spec.limit;
    this.clearLimit = this.isHigh ? spec.limit - spec.deadband : spec.limit + spec.deadband;
    this.onDelayMs = spec.onDelayMs;
    this.offDelayMs = spec.offDelayMs;
  }

  /** True while the alarm is raised (including while its clear waits for the off-delay). */
  isActive(): boolean {
    return this.state === 'active' || this.state === 'pending-clear';
  }

  /**
   * Judges one sample of the point. `numeric` is `numericValue(sample.value)`, computed once per sample by
   * the engine for all the rules of the point.
   */
  evaluate(numeric: number | undefined, sample: Sample, now: number): void {
    if (sample.quality !== 'good') {
      this.interrupt();
      return;
    }
    if (numeric === undefined) return;
    this.lastValue = sample.value;
    this.lastQuality = sample.quality;
    switch (this.state) {
      case 'normal':
        if (this.beyondLimit(numeric)) {
          this.conditionSince = sample.ts;
          if (this.onDelayMs > 0) {
            this.state = 'pending-raise';
            this.ctx.timers.schedule(this, now + this.onDelayMs);
          } else {
            this.raise(now);
          }
        }
        return;
      case 'pending-raise':
        if (!this.beyondLimit(numeric)) {
          this.ctx.timers.cancel(this);
          this.state = 'normal';
        }
        return;
      case 'active':
        if (this.backToNormal(numeric)) {
          this.conditionSince = sample.ts;
          if (this.offDelayMs > 0) {
            this.state = 'pending-clear';
            this.ctx.timers.schedule(this, now + this.offDelayMs);
          } else {
            this.clear(now);
          }
        }
        return;
      case 'pending-clear':
        if (!this.backToNormal(numeric)) {
          this.ctx.timers.cancel(this);
          this.state = 'active';
        }
        return;
    }
  }

  /**
   * The input can no longer be observed (a sample that is not good, or the device went offline): a pending
   * raise or clear is cancelled and the rule returns to its settled state. Settled states do not change.
   */
  interrupt(): void {
    switch (this.state) {
      case 'pending-raise':
        this.ctx.timers.cancel(this);
        this.state = 'normal';
        return;
      case 'pending-clear':
        this.ctx.timers.cancel(this);
        this.state = 'active';
        return;
      case 'normal':
      case 'active':
        return;
    }
  }

  /** The on-delay or off-delay ran out with the condition held throughout. */
  fire(now: number): void {
    switch (this.state) {
      case 'pending-raise':
        this.raise(now);
        return;
      case 'pending-clear':
        this.clear(now);
        return;
      case 'normal':
      case 'active':
        // Cancelled timers leave the queue, so this is not expected; nothing to do either way.
        return;
    }
  }

  private beyondLimit(value: number): boolean {
    return this.isHigh ? value > this.limit : value < this.limit;
  }

  private backToNormal(value: number): boolean {
    return this.isHigh ? value < this.clearLimit : value > this.clearLimit;
  }

  private raise(now: number): void {
    this.state = 'active';
    this.raisedAt = now;
    this.ctx.emit(this.event('raise', now));
  }

  private clear(now: number): void {
    this.state = 'normal';
    this.ctx.emit(this.event('clear', now));
  }

  private event(type: AlarmEvent['type'], now: number): AlarmEvent {
    const spec = this.spec;
    return {
      type,
      alarmId: spec.alarmId,
      site: this.ctx.site,
      device: spec.device,
      point: spec.point,
      rule: spec.rule,
      kind: spec.kind,
      priority: spec.priority,
      message: spec.message,
      value: this.lastValue,
      quality: this.lastQuality,
      limit: spec.limit,
      conditionSince: this.conditionSince,
      ts: now,
    };
  }
}
