import type { AlarmPriority } from '../profiles/types.js';

export type NotificationKind = 'raise' | 'resolve' | 'escalation' | 'summary';

/** A channel-neutral notification. Channels render it into their own wire format. */
export interface Notification {
  /** Deduplication key of the alarm episode (one key from raise to resolve). */
  key: string;
  kind: NotificationKind;
  priority: AlarmPriority;
  /** Fire and other life-safety signals: first in every summary and every queue decision. */
  lifeSafety?: boolean;
  title: string;
  body: string;
  cause?: string;
  consequence?: string;
  action?: string;
  /**
   * URL of the acknowledge page. Chat apps fetch links to build previews, so this page must only show
   * the alarm on GET and acknowledge on a button (POST); it must never change state on GET.
   */
  link?: string;
  /** Milliseconds since the Unix epoch. */
  ts: number;
  /**
   * The recipient's address on the channel this notification is handed to: an ntfy topic, an email
   * address, a chat user to mention (DingTalk mobile number, WeCom user id, Feishu open id). Absent: the
   * channel's configured default target. Set per channel by the caller, never shared across channels.
   */
  to?: string;
  /** Who this push is for (a person's id, or a group channel), for logs and webhook payloads. */
  recipient?: string;
}

export const PRIORITY_RANK: Record<AlarmPriority, number> = { critical: 0, high: 1, medium: 2, low: 3 };

/** Orders notifications most urgent first: life-safety, then priority, then oldest first. */
export function byUrgency(a: Notification, b: Notification): number {
  return (
    Number(b.lifeSafety === true) - Number(a.lifeSafety === true) ||
    PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] ||
    a.ts - b.ts
  );
}

const KIND_LABEL: Record<NotificationKind, string> = {
  raise: 'ALARM',
  resolve: 'RESOLVED',
  escalation: 'ESCALATION',
  summary: 'SUMMARY',
};

/** A short headline: kind, fire marker, priority and title. */
export function headline(n: Notification): string {
  const fire = n.lifeSafety ? 'FIRE ' : '';
  return `[${fire}${KIND_LABEL[n.kind]}/${n.priority}] ${n.title}`;
}

/** Only http(s) links are passed on; anything else is dropped. */
export function safeLink(link: string | undefined): string | undefined {
  if (!link) return undefined;
  try {
    const url = new URL(link);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : undefined;
  } catch {
    return undefined;
  }
}

/** The labelled detail lines (cause, consequence, action, link), in that order, present ones only. */
export function detailLines(n: Notification): Array<[label: string, value: string]> {
  const lines: Array<[string, string]> = [];
  if (n.cause) lines.push(['Cause', n.cause]);
  if (n.consequence) lines.push(['Consequence', n.consequence]);
  if (n.action) lines.push(['Action', n.action]);
  const link = safeLink(n.link);
  if (link) lines.push(['Acknowledge', link]);
  return lines;
}

/** Plain-text rendering: headline, body, details, time. */
export function renderText(n: Notification): string {
  const parts = [headline(n), '', n.body];
  const details = detailLines(n);
  if (details.length > 0) parts.push('', ...details.map(([k, v]) => `${k}: ${v}`));
  parts.push('', `Time: ${new Date(n.ts).toISOString()}`);
  return parts.join('\n');
}

/** Markdown rendering for chat bots (DingTalk, WeCom). */
export function renderMarkdown(n: Notification): string {
  const parts = [`### ${headline(n)}`, '', n.body];
  const details = detailLines(n);
  for (const [k, v] of details) {
    parts.push('', k === 'Acknowledge' ? `[Open to acknowledge](${v})` : `**${k}:** ${v}`);
  }
  parts.push('', `> ${new Date(n.ts).toISOString()}`);
  return parts.join('\n');
}

/** Cuts `text` so that it takes at most `maxBytes` of UTF-8, appending `note` (which counts). */
export function truncateUtf8(text: string, maxBytes: number, note: string): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const room = Math.max(0, maxBytes - Buffer.byteLength(note, 'utf8'));
  let cut = Buffer.from(text, 'utf8').subarray(0, room).toString('utf8');
  // A multi-byte character cut in half decodes to U+FFFD: drop it.
  while (cut.endsWith('\uFFFD') || Buffer.byteLength(cut, 'utf8') > room) cut = cut.slice(0, -1);
  return cut + note;
}
