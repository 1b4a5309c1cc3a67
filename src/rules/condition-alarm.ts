import type { PointValue } from '../points/sample.js';
import type { AlarmPriority } from '../profiles/types.js';
import type { EventAnnotations } from './alarm-definition.js';
import type { CompiledExpression } from './expr/compile.js';

/**
 * Condition alarms as compiled from `alarms` in a profile and a device's config (profile type
 * ConditionAlarmDef): discrete states, rates of change, expressions and repeats. Immutable; shared by
 * engines. Every kind raises and clears through the shared delay logic (delayed-alarm.ts).
 */

interface CompiledConditionBase extends EventAnnotations {
  /** `<deviceId>:<ruleId>`. */
  alarmId: string;
  device: string;
  /** Rule id within the device. */
  rule: string;
  priority: AlarmPriority;
  message: string;
  onDelayMs: number;
  offDelayMs: number;
}

/** Active while the point's value is one of `states` (as the driver delivers them). */
export interface CompiledStateAlarm extends CompiledConditionBase {
  kind: 'state';
  /** Point id `<deviceId>.<pointName>`. */
  point: string;
  /**
   * Enum points: state names (what drivers deliver) and the raw numbers they stand for; binary points:
   * booleans.
   */
  states: readonly PointValue[];
  /** The point is binary: 0/1 samples count as false/true. */
  binary: boolean;
}

/** Active while the slope over `windowMs` is above `risePerMinute` or below −`fallPerMinute`. */
export interface CompiledRateAlarm extends CompiledConditionBase {
  kind: 'rate';
  point: string;
  /** > 0, in the point's unit per minute. */
  risePerMinute?: number;
  /** > 0 (a fall of this much per minute), in the point's unit per minute. */
  fallPerMinute?: number;
  /** > 0. */
  windowMs: number;
}

/** Active while `condition` is true; evaluated when one of the points it reads changes. */
export interface CompiledExpressionAlarm extends CompiledConditionBase {
  kind: 'expression';
  condition: CompiledExpression;
  /** Point ids the condition reads. */
  inputs: readonly string[];
}

/** Active while `condition` became true at least `count` times within the last `windowMs`. */
export interface CompiledRepeatAlarm extends CompiledConditionBase {
  kind: 'repeat';
  condition: CompiledExpression;
  inputs: readonly string[];
  /** Whole number, 1..MAX_WINDOW_COUNT. */
  count: number;
  windowMs: number;
}

export type CompiledConditionAlarm = CompiledStateAlarm | CompiledRateAlarm | CompiledExpressionAlarm | CompiledRepeatAlarm;

/** Suppression by design of one alarm: `condition` over the device's points, true = suppressed. */
export interface CompiledSuppression {
  alarmId: string;
  device: string;
  condition: CompiledExpression;
  inputs: readonly string[];
}
