import { EventState } from '@bacnet-js/client';
import { EVENT } from './codes.js';
import type { AlarmEvent } from '../../alarms/events.js';
import type { AlarmPriority } from '../../profiles/types.js';
import { objectKey, objectLabel, objectTypeName, isLifeSafetyType } from './objects.js';
import type { EventNotification } from './link-client.js';

/**
 * BACnet event notifications (intrinsic and algorithmic reporting) as the gateway's alarm events.
 *
 * - alarmId `<device>:<object-type>_<instance>`, e.g. `fire-panel-1:life-safety-point_12`; rule is the
 *   part after the colon. One alarm per object: a later transition of the same object (fault after
 *   off-normal) raises the same alarm again with the new state, `normal` clears it.
 * - raise on to-state off-normal, fault, high-limit, low-limit and life-safety-alarm; clear on normal.
 *   ACK notifications (someone acknowledged at the panel) are not transitions and are ignored.
 * - priority from the BACnet event priority (0 is the most urgent): 0–63 critical, 64–127 high,
 *   128–191 medium, 192–255 low.
 * - lifeSafety for life-safety objects and change-of-life-safety events.
 * - times: the gateway's clock. A device's own time stamp is not trusted (panel clocks drift and are
 *   rarely synchronised).
 */

export function priorityOf(bacnetPriority: number): AlarmPriority {
  if (bacnetPriority <= 63) return 'critical';
  if (bacnetPriority <= 127) return 'high';
  if (bacnetPriority <= 191) return 'medium';
  return 'low';
}

export function eventStateName(state: number): string {
  const name = (EventState as unknown as Record<number, string | undefined>)[state];
  return name === undefined ? `event-state ${state}` : name.toLowerCase().replace(/_/g, '-');
}

export interface IntrinsicAlarmContext {
  site: string;
  device: string;
  /** Point name and id of the configured point on this object, when there is one. */
  point?: { name: string; id: string };
  now: number;
}

/** Undefined when the notification is not a raise or clear (an ACK notification). */
export function toAlarmEvent(n: EventNotification, context: IntrinsicAlarmContext): AlarmEvent | undefined {
  if (n.notifyType === EVENT.ACK_NOTIFICATION) return undefined;
  const rule = objectKey(n.objectType, n.instance);
  const typeName = objectTypeName(n.objectType);
  const lifeSafety = (typeName !== undefined && isLifeSafetyType(typeName)) || n.eventType === EVENT.CHANGE_OF_LIFE_SAFETY;
  const object = objectLabel(n.objectType, n.instance);
  const subject = context.point ? `${context.point.name} (${object})` : object;
  const state = eventStateName(n.toState);
  const text = n.messageText?.trim();
  const message = `${subject}: ${state}${text ? ` — ${text}` : ''}`;
  return {
    type: n.toState === EVENT.NORMAL ? 'clear' : 'raise',
    alarmId: `${context.device}:${rule}`,
    site: context.site,
    device: context.device,
    ...(context.point ? { point: context.point.id } : {}),
    rule,
    kind: 'intrinsic',
    priority: priorityOf(n.priority),
    message,
    value: state,
    conditionSince: context.now,
    ts: context.now,
    lifeSafety,
  };
}
