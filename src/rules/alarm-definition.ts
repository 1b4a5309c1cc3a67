import type { AlarmEvent, AlarmKind } from '../alarms/events.js';
import type { AlarmPriority, AlarmRationale } from '../profiles/types.js';

/**
 * What the rule set says about each alarm it can emit, besides the condition: the ISA-18.2 per-alarm
 * settings (AlarmDefSettings in the profile types) as compiled, with defaults filled in. The alarm manager
 * defines its lifecycle from these (`lifecycle.define(alarmId, settings)`), the notifier reads the
 * rationale, and the API shows them. Immutable; one per alarm id.
 */
export interface CompiledAlarmDefinition {
  /** `<deviceId>:<ruleId>`. */
  alarmId: string;
  device: string;
  rule: string;
  kind: Exclude<AlarmKind, 'intrinsic'>;
  priority: AlarmPriority;
  message: string;
  /** Point id `<deviceId>.<pointName>` for alarms on one point (thresholds, states, rates). */
  point?: string;
  /** Fire and life-safety: never delayed (the compiler refused an on-delay), shelved or suppressed. */
  lifeSafety: boolean;
  /** Stays active after the condition clears, until an operator resets it (the lifecycle's job). */
  latched: boolean;
  /** Acknowledged but still active this long: annunciate again. */
  reAlarmMs?: number;
  rationale?: AlarmRationale;
  /** Work-order template an occurrence opens. */
  workOrder?: string;
  /** Suppression by design: the condition text; the engine reports its changes (RuleEngineContext.onSuppression). */
  suppressWhen?: string;
}

/** What every compiled rule carries into the events it emits. */
export interface EventAnnotations {
  lifeSafety: boolean;
  rationale?: AlarmRationale;
}

/** The fields of a compiled rule that every event it emits repeats. */
export interface EventSpec extends EventAnnotations {
  alarmId: string;
  device: string;
  rule: string;
  priority: AlarmPriority;
  message: string;
  /** Rules on one point (thresholds, states, rates) name it. */
  point?: string;
}

/** What a rule saw when it raised or cleared: the value it judged, its quality and the limit. */
export type EventReading = Partial<Pick<AlarmEvent, 'value' | 'quality' | 'limit'>>;

/** The raise or clear event of a rule: one builder for every kind, so their events cannot differ in shape. */
export function ruleEvent(
  type: AlarmEvent['type'],
  spec: EventSpec,
  site: string,
  kind: AlarmKind,
  conditionSince: number,
  now: number,
  reading: EventReading = {},
): AlarmEvent {
  const event: AlarmEvent = {
    type,
    alarmId: spec.alarmId,
    site,
    device: spec.device,
    rule: spec.rule,
    kind,
    priority: spec.priority,
    message: spec.message,
    conditionSince,
    ts: now,
    lifeSafety: spec.lifeSafety,
    ...reading,
  };
  if (spec.point !== undefined) event.point = spec.point;
  if (spec.rationale !== undefined) event.rationale = spec.rationale;
  return event;
}
