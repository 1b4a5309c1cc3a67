import type { AlarmPriority } from '../../profiles/types.js';

/**
 * The ISA-18.2 / IEC 62682 alarm states. The state is derived from two facts: is the alarm active (its
 * condition is true, or it is latched and not reset yet) and has the operator acknowledged it.
 *
 * | active | acknowledged | state        |
 * |--------|--------------|--------------|
 * | no     | yes          | normal       |
 * | yes    | no           | unack-active |
 * | yes    | yes          | ack-active   |
 * | no     | no           | rtn-unack    |
 */
export type AlarmState = 'normal' | 'unack-active' | 'ack-active' | 'rtn-unack';

export type TransitionAction =
  | 'raise'
  | 'clear'
  | 'ack'
  | 'shelve'
  | 'unshelve'
  | 'shelve-expired'
  | 'oos'
  | 'oos-expired'
  | 'return-to-service'
  | 'reset'
  | 'suppress'
  | 'unsuppress'
  | 're-alarm'
  /** An operator's note; changes nothing but the audit log. */
  | 'comment';

/** Per-alarm settings (from the alarm's definition / rationalisation). */
export interface AlarmSettings {
  /** Stays active after the condition clears, until an operator resets it. */
  latched?: boolean;
  /** An alarm acknowledged but still active for this long returns to unacknowledged and annunciates again. */
  reAlarmMs?: number;
  /** Fire and life-safety signals: never shelved, never suppressed. */
  lifeSafety?: boolean;
  /** A shorter maximum shelve time for this alarm; the manager's maximum always applies. */
  maxShelveMs?: number;
}

/** The overlays of an alarm; each one stops annunciation, none stops evaluation. */
export interface AlarmFlags {
  /** Latched alarm whose condition has cleared, waiting for an operator reset. */
  awaitingReset: boolean;
  shelved: boolean;
  suppressed: boolean;
  outOfService: boolean;
}

/**
 * One transition, emitted to every listener (notifier, audit log, persistence). Overlay actions (shelve,
 * suppress, out of service) and condition changes on a latched alarm have `from === to`; `flags` tells what
 * changed.
 */
export interface TransitionRecord {
  alarmId: string;
  from: AlarmState;
  to: AlarmState;
  action: TransitionAction;
  /** The operator (or the caller's logic) behind the action; absent for rule events and timers. */
  by?: string;
  /** Operator comment; for suppress/unsuppress, the caller's reason. */
  comment?: string;
  /** ms since epoch: the rule event's `ts` for raise/clear, the Clock's time otherwise. */
  ts: number;
  /** True exactly when a new annunciation should go out (notify, sound, push). */
  annunciate: boolean;
  /** The overlays after the transition. */
  flags: AlarmFlags;
  /** Copied from the alarm's latest raise event, when there has been one. */
  priority?: AlarmPriority;
  lifeSafety: boolean;
}

export type TransitionListener = (record: TransitionRecord) => void;

export interface ShelveInfo {
  by: string;
  since: number;
  until: number;
  comment?: string;
}

export interface OutOfServiceInfo {
  by: string;
  since: number;
  until: number;
  comment?: string;
}

export interface SuppressionInfo {
  reason: string;
  since: number;
}

/** What the API serves for one alarm. Plain data; a copy. */
export interface AlarmSnapshot {
  alarmId: string;
  state: AlarmState;
  /** The rule's condition right now (differs from the state for a latched alarm waiting for reset). */
  conditionActive: boolean;
  latched: boolean;
  lifeSafety: boolean;
  reAlarmMs?: number;
  awaitingReset: boolean;
  /** Not shelved, suppressed or out of service: the operator sees and hears it. */
  annunciated: boolean;
  shelved?: ShelveInfo;
  suppressed?: SuppressionInfo;
  outOfService?: OutOfServiceInfo;
  site?: string;
  device?: string;
  priority?: AlarmPriority;
  message?: string;
  /** `ts` of the latest raise that made the alarm active. */
  raisedAt?: number;
  acknowledgedAt?: number;
  acknowledgedBy?: string;
  /** When the state or an overlay last changed. */
  changedAt: number;
}

export interface AlarmListFilter {
  state?: AlarmState | undefined;
  device?: string | undefined;
  priority?: AlarmPriority | undefined;
  /** true: only annunciated alarms; false: only shelved, suppressed or out-of-service ones. */
  annunciated?: boolean | undefined;
  /** Leave out alarms in `normal` with no overlay (default true). */
  skipQuiet?: boolean | undefined;
}
