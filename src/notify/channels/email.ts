import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { detailLines, headline, renderText, type Notification } from '../message.js';
import { NotifyError, type Channel } from './channel.js';

export interface EmailOptions {
  name: string;
  host: string;
  port: number;
  /** TLS from the start (port 465); otherwise STARTTLS when offered. */
  secure?: boolean;
  /** Refuse to send without STARTTLS. */
  requireTLS?: boolean;
  user?: string;
  password?: string;
  from: string;
  /** Default recipients, for notifications that carry no address of their own (`Notification.to`). */
  to: string[];
  /** Connection/greeting/socket timeout in ms. Default 10 000. */
  timeoutMs?: number;
  /** Extra TLS options (for example a private CA). */
  tls?: SMTPTransport.Options['tls'];
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
}

export function renderHtml(n: Notification): string {
  const color = n.lifeSafety || n.priority === 'critical' ? '#b00020' : n.priority === 'high' ? '#d35400' : '#333333';
  const rows = detailLines(n)
    .map(([k, v]) =>
      k === 'Acknowledge'
        ? `<p><a href="${escapeHtml(v)}">Open the alarm to acknowledge</a></p>`
        : `<p><strong>${escapeHtml(k)}:</strong> ${escapeHtml(v)}</p>`,
    )
    .join('\n');
  return [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<h2 style="color:${color}">${escapeHtml(headline(n))}</h2>`,
    `<p style="white-space:pre-wrap">${escapeHtml(n.body)}</p>`,
    rows,
    `<p style="color:#777">${escapeHtml(new Date(n.ts).toISOString())}</p>`,
    '</body></html>',
  ].join('\n');
}

/** Email over SMTP: plain text plus a simple HTML part. */
export class EmailChannel implements Channel {
  readonly name: string;
  private readonly transport: Transporter<SMTPTransport.SentMessageInfo>;

  constructor(private readonly options: EmailOptions) {
    this.name = options.name;
    const timeout = options.timeoutMs ?? 10_000;
    this.transport = nodemailer.createTransport({
      host: options.host,
      port: options.port,
      secure: options.secure ?? false,
      requireTLS: options.requireTLS ?? false,
      auth: options.user ? { user: options.user, pass: options.password ?? '' } : undefined,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      tls: options.tls,
    });
  }

  async send(n: Notification): Promise<void> {
    // A notification addressed to one person goes to that person only; otherwise to the configured list.
    const to = n.to !== undefined ? [n.to] : this.options.to;
    if (to.length === 0) throw new NotifyError(`${this.name}: no recipient (the channel has no default "to" and the notification no address)`, this.name, false);
    try {
      await this.transport.sendMail({
        from: this.options.from,
        to,
        subject: headline(n).replace(/[\r\n]+/g, ' '),
        text: renderText(n),
        html: renderHtml(n),
        priority: n.lifeSafety || n.priority === 'critical' ? 'high' : 'normal',
        headers: { 'X-Alarm-Key': n.key, 'X-Alarm-Kind': n.kind },
      });
    } catch (err) {
      // SMTP: 5xx replies are permanent, 4xx temporary; no reply at all (connection, timeout) is retryable.
      const code = (err as { responseCode?: unknown }).responseCode;
      const status = typeof code === 'number' ? code : undefined;
      const retryable = status === undefined || status < 500;
      const message = err instanceof Error ? err.message : String(err);
      throw new NotifyError(`${this.name}: ${message}`, this.name, retryable, status, { cause: err });
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
