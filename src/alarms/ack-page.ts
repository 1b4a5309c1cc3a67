import type { AlarmPriority, AlarmRationale } from '../profiles/types.js';
import type { AckLinkRefusal } from './ack-links.js';
import type { AlarmState } from './lifecycle/types.js';

/**
 * The pages behind an acknowledge link: one self-contained HTML document each (inline CSS, no scripts, no
 * external assets), readable on a phone. The GET page only shows the alarm; the acknowledgement is a form
 * that POSTs to the same URL, because chat apps fetch links to build previews and a GET must never change
 * state. Every value from the alarm or the link is HTML-escaped.
 *
 * The form posts `application/x-www-form-urlencoded` with one optional field, `comment`.
 */

/** Headers to send with both pages: the token is in the URL, so no caching, no referrer, no indexing. */
export const ACK_PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-robots-tag': 'noindex, nofollow',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
};

export interface AckPageAlarm {
  alarmId: string;
  /** The alarm's message (headline). */
  title: string;
  site?: string;
  device?: string;
  priority?: AlarmPriority;
  state: AlarmState;
  lifeSafety?: boolean;
  raisedAt?: number;
  acknowledgedAt?: number;
  acknowledgedBy?: string;
  rationale?: AlarmRationale;
}

export interface AckPageView {
  alarm: AckPageAlarm;
  /** Who the link was made for (from the verified token). */
  recipientName: string;
  expiresAt: number;
  /** IANA time zone for the times shown (the site's); UTC when absent or unknown. */
  timeZone?: string;
  /** Where the form posts; when absent the form posts to the page's own URL. */
  actionUrl?: string;
}

export type AckOutcome =
  | { kind: 'acknowledged'; alarm: AckPageAlarm; by: string; at: number; timeZone?: string }
  | {
      kind: 'refused';
      /** A link refusal, or the alarm could not be acknowledged (already acknowledged by someone, gone, …). */
      reason: AckLinkRefusal | 'not-acknowledgeable';
      message: string;
      alarm?: AckPageAlarm;
      timeZone?: string;
    };

const STATE_LABEL: Record<AlarmState, string> = {
  'unack-active': 'Active, not acknowledged',
  'ack-active': 'Active, acknowledged',
  'rtn-unack': 'Returned to normal, not acknowledged',
  normal: 'Normal',
};

const PRIORITY_COLOUR: Record<AlarmPriority, string> = {
  critical: '#b00020',
  high: '#d9480f',
  medium: '#b08800',
  low: '#1c6dd0',
};

const STYLE = `
  *{box-sizing:border-box}
  body{margin:0;padding:16px;font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"PingFang SC","Microsoft YaHei",sans-serif;background:#f4f5f7;color:#1d1f23}
  main{max-width:560px;margin:0 auto;background:#fff;border-radius:10px;padding:18px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
  h1{font-size:1.25rem;margin:.2em 0 .6em;overflow-wrap:anywhere}
  .badge{display:inline-block;padding:2px 8px;border-radius:10px;color:#fff;font-size:.8rem;font-weight:600;text-transform:uppercase}
  .fire{display:block;background:#b00020;color:#fff;font-weight:700;padding:8px;border-radius:6px;margin-bottom:10px;text-align:center}
  dl{display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;margin:0 0 12px}
  dt{color:#5f6570}
  dd{margin:0;overflow-wrap:anywhere}
  section{border-top:1px solid #e3e5e8;padding-top:8px;margin-top:8px}
  h2{font-size:.95rem;margin:.4em 0 .2em;color:#5f6570}
  p{margin:.2em 0 .6em;overflow-wrap:anywhere}
  textarea{width:100%;min-height:3.5em;font:inherit;padding:6px;border:1px solid #c4c8cf;border-radius:6px}
  button{width:100%;margin-top:10px;padding:14px;font:inherit;font-weight:600;color:#fff;background:#1f7a3d;border:0;border-radius:8px}
  .ok{color:#1f7a3d;font-weight:600}
  .refused{color:#b00020;font-weight:600}
  .note{color:#5f6570;font-size:.9rem}
`;

/** The GET page: the alarm, and a button that acknowledges it with a POST. */
export function renderAckPage(view: AckPageView): string {
  const { alarm } = view;
  const zone = usableZone(view.timeZone);
  const awaitingAck = alarm.state === 'unack-active' || alarm.state === 'rtn-unack';
  const action = view.actionUrl === undefined ? '' : ` action="${escapeHtml(view.actionUrl)}"`;
  const body = awaitingAck
    ? `<form method="post"${action}>
  <label for="comment" class="note">Comment (optional)</label>
  <textarea id="comment" name="comment" maxlength="500"></textarea>
  <button type="submit">Acknowledge as ${escapeHtml(view.recipientName)}</button>
</form>
<p class="note">This link works once and expires at ${escapeHtml(formatTime(view.expiresAt, zone))}.</p>`
    : `<p class="ok">Already acknowledged${ackedBy(alarm, zone)}. Nothing to do.</p>`;
  return page(`Alarm: ${alarm.title}`, `${alarmDetails(alarm, zone)}\n${body}`);
}

/** The page after the POST: acknowledged, or refused with the reason. */
export function renderAckResult(outcome: AckOutcome): string {
  const zone = usableZone(outcome.timeZone);
  const details = outcome.alarm === undefined ? '' : `\n${alarmDetails(outcome.alarm, zone)}`;
  switch (outcome.kind) {
    case 'acknowledged':
      return page(
        'Alarm acknowledged',
        `<p class="ok">Acknowledged by ${escapeHtml(outcome.by)} at ${escapeHtml(formatTime(outcome.at, zone))}.</p>${details}`,
      );
    case 'refused':
      return page(
        'Not acknowledged',
        `<p class="refused">${escapeHtml(outcome.message)}</p><p class="note">Reason: ${escapeHtml(outcome.reason)}</p>${details}`,
      );
  }
}

function alarmDetails(alarm: AckPageAlarm, zone: string): string {
  const rows: [string, string][] = [['State', STATE_LABEL[alarm.state]]];
  if (alarm.site !== undefined) rows.push(['Site', alarm.site]);
  if (alarm.device !== undefined) rows.push(['Device', alarm.device]);
  if (alarm.raisedAt !== undefined) rows.push(['Raised', formatTime(alarm.raisedAt, zone)]);
  rows.push(['Alarm id', alarm.alarmId]);
  const priority =
    alarm.priority === undefined
      ? ''
      : `<span class="badge" style="background:${PRIORITY_COLOUR[alarm.priority]}">${escapeHtml(alarm.priority)}</span>`;
  const fire = alarm.lifeSafety === true ? '<span class="fire">FIRE / LIFE SAFETY</span>' : '';
  const rationale =
    alarm.rationale === undefined
      ? ''
      : `<section>
  <h2>Cause</h2><p>${escapeHtml(alarm.rationale.cause)}</p>
  <h2>Consequence</h2><p>${escapeHtml(alarm.rationale.consequence)}</p>
  <h2>What to do</h2><p>${escapeHtml(alarm.rationale.action)}</p>
</section>`;
  return `${fire}${priority}
<h1>${escapeHtml(alarm.title)}</h1>
<dl>
${rows.map(([k, v]) => `  <dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('\n')}
</dl>${rationale}`;
}

function ackedBy(alarm: AckPageAlarm, zone: string): string {
  const by = alarm.acknowledgedBy === undefined ? '' : ` by ${escapeHtml(alarm.acknowledgedBy)}`;
  const at = alarm.acknowledgedAt === undefined ? '' : ` at ${escapeHtml(formatTime(alarm.acknowledgedAt, zone))}`;
  return by + at;
}

function page(title: string, content: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${content}
</main>
</body>
</html>
`;
}

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function usableZone(zone: string | undefined): string {
  if (zone === undefined) return 'UTC';
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return zone;
  } catch {
    return 'UTC';
  }
}

/** `2026-01-01 08:00:00 Asia/Shanghai`: unambiguous, and the same on every phone. */
export function formatTime(ms: number, zone = 'UTC'): string {
  if (!Number.isFinite(ms)) return 'unknown';
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: usableZone(zone),
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  }).formatToParts(new Date(ms));
  const get = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '??';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')} ${usableZone(zone)}`;
}
