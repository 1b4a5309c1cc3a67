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

/** The annotation fields of an event, without allocating when there is no rationale. */
export function annotate(event: AlarmEvent, spec: EventAnnotations): AlarmEvent {
  event.lifeSafety = spec.lifeSafety;
  if (spec.rationale !== undefined) event.rationale = spec.rationale;
  return event;
}
