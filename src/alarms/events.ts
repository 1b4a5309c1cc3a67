import type { AlarmPriority, AlarmRationale } from '../profiles/types.js';
import type { PointValue, Quality } from '../points/sample.js';

/**
 * What the rules emit when a condition starts or stops. The alarm lifecycle (acknowledge, shelve,
 * notify) is built on these events; their shape is stable.
 */
export type AlarmKind =
  | 'threshold-high'
  | 'threshold-low'
  | 'comm-loss'
  | 'event-count'
  | 'state'
  | 'rate'
  | 'expression'
  | 'repeat'
  /** Raised by the device itself (a BACnet event notification), with the device's own state. */
  | 'intrinsic'
  /** A work order missed its SLA target (response or resolution); raised by the SLA monitor. */
  | 'sla-breach';

export interface AlarmEvent {
  type: 'raise' | 'clear';
  /** Stable id of the alarm: `<deviceId>:<ruleId>`, e.g. `pump-1:motor_temperature_high`. */
  alarmId: string;
  site: string;
  device: string;
  /** Point id the rule watches; absent for communication loss and event counts. */
  point?: string;
  rule: string;
  kind: AlarmKind;
  priority: AlarmPriority;
  message: string;
  /**
   * Thresholds: the value that crossed (or re-crossed) the limit, and its quality.
   * Event counts: the number of events in the window, and the count that raises.
   */
  value?: PointValue | null;
  quality?: Quality;
  limit?: number;
  /** When the condition became true (raise) or false (clear), ms since epoch. Delays are not included. */
  conditionSince: number;
  /** When the event was emitted, ms since epoch. */
  ts: number;
  /** Fire and life-safety signals: never delayed, grouped, shelved or suppressed. */
  lifeSafety?: boolean;
  /** Why the alarm exists and what to do; travels into every push. */
  rationale?: AlarmRationale;
}
