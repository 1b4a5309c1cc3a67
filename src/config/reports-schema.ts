import { Type, type Static } from '@sinclair/typebox';
import type { NotificationsConfig } from './notifications-schema.js';
import type { SemanticIssue } from './semantic-checks.js';

/**
 * Reports the gateway sends by itself: the monthly maintenance report (work-order KPIs, SLA, planned
 * maintenance, backlog, repeat faults, alarm-system figures) of the month before, on a given day and time of
 * the site's time zone, by email and/or webhook. Each delivery is recorded, so a restart never sends a month
 * twice and a gateway that was off on the day sends it when it comes back.
 */


export const MonthlyReportSchema = Type.Object(
  {
    day: Type.Integer({ minimum: 1, maximum: 28, default: 1, description: 'Day of the month the report of the month before is sent (1–28, so every month has it)' }),
    time: Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$', default: '08:00', description: 'Local time of the site (site.timezone), HH:MM' }),
    format: Type.Union([Type.Literal('html'), Type.Literal('md'), Type.Literal('csv'), Type.Literal('json')], {
      default: 'html',
      description: 'Format of the report file (email attachment, webhook content); an email body is always HTML',
    }),
    email: Type.Optional(
      Type.Object(
        {
          channel: Type.String({ minLength: 1, description: 'An email channel of notifications.channels (its SMTP server and sender)' }),
          to: Type.Array(Type.String({ minLength: 3 }), { minItems: 1, description: 'Recipients of the report' }),
        },
        { additionalProperties: false },
      ),
    ),
    webhook: Type.Optional(
      Type.Object(
        {
          url: Type.String({ pattern: '^https?://', description: 'Receives the report as JSON (POST)' }),
          secret: Type.Optional(Type.String({ minLength: 16, description: 'Signs each request (X-Signature: sha256=HMAC of "timestamp.body"), as notification webhooks; use ${ENV}' })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, description: 'The monthly report of the month before, sent by email and/or webhook' },
);

export const ReportsSchema = Type.Object(
  {
    monthly: Type.Optional(MonthlyReportSchema),
  },
  { additionalProperties: false, description: 'Reports the gateway sends by itself' },
);

export type ReportsConfig = Static<typeof ReportsSchema>;
export type MonthlyReportConfig = Static<typeof MonthlyReportSchema>;

/** What a schema cannot say: a monthly report goes somewhere, and its email channel exists and is an email channel. */
export function checkReports(reports: ReportsConfig | undefined, notifications: Pick<NotificationsConfig, 'channels'> | undefined): SemanticIssue[] {
  const monthly = reports?.monthly;
  if (monthly === undefined) return [];
  const issues: SemanticIssue[] = [];
  if (monthly.email === undefined && monthly.webhook === undefined) {
    issues.push({ segments: ['reports', 'monthly'], message: 'a monthly report needs email, webhook, or both: nothing would send it' });
  }
  const channelId = monthly.email?.channel;
  if (channelId !== undefined) {
    const channels = notifications?.channels ?? [];
    const channel = channels.find((c) => c.id === channelId);
    const emails = channels.filter((c) => c.type === 'email').map((c) => c.id);
    if (channel === undefined) {
      issues.push({ segments: ['reports', 'monthly', 'email', 'channel'], message: `unknown channel "${channelId}" (email channels in notifications.channels: ${emails.join(', ') || 'none'})` });
    } else if (channel.type !== 'email') {
      issues.push({ segments: ['reports', 'monthly', 'email', 'channel'], message: `channel "${channelId}" is a ${channel.type} channel, not email (email channels: ${emails.join(', ') || 'none'})` });
    }
  }
  return issues;
}
