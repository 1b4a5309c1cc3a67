import nodemailer, { type Transporter } from 'nodemailer';
import type { MonthlyReportConfig } from '../config/reports-schema.js';
import type { NotifyChannelConfig } from '../config/notifications-schema.js';
import { httpPost, NotifyError } from '../notify/channels/channel.js';
import { webhookSignature } from '../notify/channels/webhook.js';
import type { Clock } from '../time/clock.js';
import type { PeriodReport } from './report-data.js';
import { renderHtml, renderMarkdown, reportTitle, type RenderedReport } from './render.js';

/** Where a scheduled report goes. `id` is what its delivery is recorded under (`email:<channel>`, `webhook`). */
export interface ReportTarget {
  readonly id: string;
  /** Delivers the report; throws NotifyError (retryable or not) like the notification channels. */
  send(report: PeriodReport, file: RenderedReport & { filename: string }, key: string): Promise<void>;
  close?(): Promise<void>;
}

type EmailChannelConfig = Extract<NotifyChannelConfig, { type: 'email' }>;

/**
 * The report by email, through the SMTP server and sender of an email notification channel: the HTML report as
 * the body (Markdown as the text part) and the report file attached.
 */
export class EmailReportTarget implements ReportTarget {
  readonly id: string;
  private readonly transport: Transporter;

  constructor(
    private readonly channel: EmailChannelConfig,
    private readonly to: readonly string[],
  ) {
    this.id = `email:${channel.id}`;
    // The same transport settings as the channel's (src/notify/channels/email.ts).
    this.transport = nodemailer.createTransport({
      host: channel.host,
      port: channel.port,
      secure: channel.secure,
      requireTLS: channel.requireTLS,
      auth: channel.user !== undefined ? { user: channel.user, pass: channel.password ?? '' } : undefined,
      connectionTimeout: channel.timeoutMs,
      greetingTimeout: channel.timeoutMs,
      socketTimeout: channel.timeoutMs,
    });
  }

  async send(report: PeriodReport, file: RenderedReport & { filename: string }, key: string): Promise<void> {
    try {
      await this.transport.sendMail({
        from: this.channel.from,
        to: [...this.to],
        subject: reportTitle(report).replace(/[\r\n]+/g, ' '),
        text: renderMarkdown(report),
        html: renderHtml(report),
        attachments: [{ filename: file.filename, content: file.content, contentType: file.contentType }],
        headers: { 'X-Report-Key': key },
      });
    } catch (err) {
      // As the email channel: an SMTP 5xx is permanent, 4xx or no answer at all may pass.
      const code = (err as { responseCode?: unknown }).responseCode;
      const status = typeof code === 'number' ? code : undefined;
      throw new NotifyError(`${this.id}: ${err instanceof Error ? err.message : String(err)}`, this.id, status === undefined || status < 500, status, { cause: err });
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

/**
 * The report by webhook: one JSON POST with the headline figures and the report file, signed like the
 * notification webhooks (X-Signature-Timestamp, X-Signature: sha256=HMAC over "timestamp.body") and carrying an
 * Idempotency-Key, so a receiver can drop a repeat after a retry.
 */
export class WebhookReportTarget implements ReportTarget {
  readonly id = 'webhook';

  constructor(
    private readonly options: { url: string; secret?: string | undefined; clock: Clock; timeoutMs?: number },
  ) {}

  async send(report: PeriodReport, file: RenderedReport & { filename: string }, key: string): Promise<void> {
    const w = report.workOrders;
    const body = JSON.stringify({
      kind: 'maintenance-report',
      key,
      site: report.site,
      period: { from: new Date(report.period.from).toISOString(), to: new Date(report.period.to).toISOString(), label: report.period.label },
      headline: {
        opened: w.volume.opened,
        completed: w.volume.completed,
        mttaMs: w.mtta.stats.meanMs,
        mttrMs: w.mttr.stats.meanMs,
        slaResponsePercent: w.sla.response.percentMet,
        slaResolutionPercent: w.sla.resolution.percentMet,
        pmOnTimePercent: w.plannedMaintenance.percentOnTime,
        backlog: w.backlog.total,
        overdue: w.backlog.overdue,
        repeatFaults: w.repeatFaults.byAsset.length,
      },
      file: { name: file.filename, contentType: file.contentType, content: file.content },
    });
    const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': key };
    if (this.options.secret !== undefined) {
      const timestamp = String(this.options.clock.now());
      headers['x-signature-timestamp'] = timestamp;
      headers['x-signature'] = webhookSignature(this.options.secret, timestamp, body);
    }
    await httpPost(this.id, this.options.url, body, headers, { timeoutMs: this.options.timeoutMs ?? 30_000 });
  }
}

/** The targets of a monthly report config; `channels` is notifications.channels (checkReports vouched for the id). */
export function monthlyReportTargets(config: MonthlyReportConfig, channels: readonly NotifyChannelConfig[], clock: Clock): ReportTarget[] {
  const targets: ReportTarget[] = [];
  if (config.email !== undefined) {
    const id = config.email.channel;
    const channel = channels.find((c): c is EmailChannelConfig => c.id === id && c.type === 'email');
    if (channel === undefined) throw new Error(`reports.monthly.email.channel: "${id}" is not an email channel of notifications.channels`);
    targets.push(new EmailReportTarget(channel, config.email.to));
  }
  if (config.webhook !== undefined) targets.push(new WebhookReportTarget({ url: config.webhook.url, secret: config.webhook.secret, clock }));
  return targets;
}

