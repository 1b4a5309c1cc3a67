import type { AlarmEvent } from '../alarms/events.js';
import type { PointValue, Quality, Sample } from '../points/sample.js';
import type { AlarmPriority } from '../profiles/types.js';
import { ruleEvent, type EventAnnotations } from './alarm-definition.js';
import { DelayedAlarm, type EpisodeState, type RuleContext } from './delayed-alarm.js';

export type { RuleContext } from './delayed-alarm.js';

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
 * - One raise per episode and one clear: a settled state (normal, active) never emits twice. The delays
 *   and episodes are the shared logic of every condition alarm (delayed-alarm.ts).
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
export interface CompiledThreshold extends EventAnnotations {
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

export type ThresholdState = EpisodeState;

/** The state of one threshold in flat fields: evaluation allocates nothing unless it emits an event. */
export class ThresholdRule extends DelayedAlarm {
  readonly spec: CompiledThreshold;
  /** Latest good value judged, reported in events. */
  lastValue: PointValue | null = null;
  lastQuality: Quality = 'good';

  private readonly isHigh: boolean;
  private readonly limit: number;
  /** Where an active alarm returns to normal: limit − deadband (high) or limit + deadband (low). */
  private readonly clearLimit: number;

  constructor(spec: CompiledThreshold, ctx: RuleContext) {
    super(ctx, spec.onDelayMs, spec.offDelayMs);
    this.spec = spec;
    this.isHigh = spec.kind === 'threshold-high';
    this.limit = spec.limit;
    this.clearLimit = this.isHigh ? spec.limit - spec.deadband : spec.limit + spec.deadband;
  }

  get alarmId(): string {
    return this.spec.alarmId;
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
    // While the alarm is up the deadband applies: the condition holds until the value is back past it.
    const state = this.state;
    const holds = state === 'active' || state === 'pending-clear' ? !this.backToNormal(numeric) : this.beyondLimit(numeric);
    // Hot path: a settled state that the judgement confirms changes nothing (most samples).
    if ((state === 'normal' && !holds) || (state === 'active' && holds)) return;
    this.observe(holds, sample.ts, now);
  }

  private beyondLimit(value: number): boolean {
    return this.isHigh ? value > this.limit : value < this.limit;
  }

  private backToNormal(value: number): boolean {
    return this.isHigh ? value < this.clearLimit : value > this.clearLimit;
  }

  protected event(type: AlarmEvent['type'], now: number): AlarmEvent {
    const spec = this.spec;
    return ruleEvent(type, spec, this.ctx.site, spec.kind, this.conditionSince, now, { value: this.lastValue, quality: this.lastQuality, limit: spec.limit });
  }
}
