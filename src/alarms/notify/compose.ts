import { headline, PRIORITY_RANK, type Notification, type NotificationKind } from '../../notify/message.js';
import type { AlarmInfo } from './types.js';

/** Why this push goes out now. */
export type PushReason =
  | { kind: 'raise' }
  | { kind: 'escalation'; level: number; levels: number; policy: string; repeat: number; repeats: number; reannunciation: boolean; waitedMinutes?: number }
  | { kind: 'resolve'; openedAt: number };

function place(info: AlarmInfo): string {
  const parts = [`Site ${info.site}`, `${info.deviceType} ${info.deviceName ?? info.device}`];
  if (info.location) parts.push(info.location);
  return parts.join(' · ');
}

function reasonLine(reason: PushReason, now: number): string | undefined {
  switch (reason.kind) {
    case 'raise':
      return undefined;
    case 'escalation': {
      if (reason.reannunciation && reason.level === 0 && reason.repeat === 0) return 'Alarm annunciated again and not acknowledged.';
      const waited = reason.waitedMinutes === undefined ? '' : ` after ${reason.waitedMinutes} min`;
      const repeat = reason.repeat > 0 ? `, round ${reason.repeat + 1} of ${reason.repeats + 1}` : '';
      return `Not acknowledged${waited}: escalation level ${reason.level + 1} of ${reason.levels} (policy ${reason.policy}${repeat}).`;
    }
    case 'resolve':
      return `Returned to normal after ${Math.max(0, Math.round((now - reason.openedAt) / 60_000))} min.`;
  }
}

/** The push for one alarm: headline from device and message, place, reason, rationale, acknowledge link. */
export function composePush(info: AlarmInfo, episodeKey: string, reason: PushReason, now: number, link: string | undefined): Notification {
  const lines = [place(info)];
  if (info.point) lines.push(`Point: ${info.point}`);
  const why = reasonLine(reason, now);
  if (why) lines.unshift(why, '');
  const n: Notification = {
    key: episodeKey,
    kind: reason.kind,
    priority: info.priority,
    lifeSafety: info.lifeSafety,
    title: `${info.deviceName ?? info.device}: ${info.message}`,
    body: lines.join('\n'),
    ts: now,
  };
  if (info.rationale) {
    n.cause = info.rationale.cause;
    n.consequence = info.rationale.consequence;
    n.action = info.rationale.action;
  }
  if (link !== undefined) n.link = link;
  return n;
}

const KIND_WEIGHT: Record<NotificationKind, number> = { raise: 0, escalation: 1, summary: 2, resolve: 3 };

/**
 * One push standing for several pushes of related alarms during a flood: every alarm listed with its
 * kind, rationale and acknowledge link, most urgent first.
 */
export function composeGroup(groupLabel: string, pushes: readonly Notification[], now: number): Notification {
  const sorted = [...pushes].sort((a, b) => PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] || KIND_WEIGHT[a.kind] - KIND_WEIGHT[b.kind] || a.ts - b.ts);
  const top = sorted[0];
  const kind = sorted.reduce<NotificationKind>((k, n) => (KIND_WEIGHT[n.kind] < KIND_WEIGHT[k] ? n.kind : k), 'resolve');
  const lines = [`Alarm flood: ${pushes.length} related notifications collected into this one.`, ''];
  for (const n of sorted) {
    lines.push(`- ${headline(n)}`);
    if (n.cause) lines.push(`  Cause: ${n.cause}`);
    if (n.action) lines.push(`  Action: ${n.action}`);
    if (n.link) lines.push(`  Acknowledge: ${n.link}`);
  }
  const group: Notification = {
    key: `flood:${groupLabel}:${now}`,
    kind,
    priority: top?.priority ?? 'low',
    title: `${pushes.length} alarms: ${groupLabel}`,
    body: lines.join('\n'),
    ts: now,
  };
  if (top?.to !== undefined) group.to = top.to;
  if (top?.recipient !== undefined) group.recipient = top.recipient;
  return group;
}
