import { createHmac } from 'node:crypto';
import type { Clock } from '../../time/clock.js';
import { safeLink, type Notification } from '../message.js';
import { httpPost, type Channel, type HttpOptions } from './channel.js';

export interface WebhookOptions extends HttpOptions {
  name: string;
  url: string;
  /** When set, every request carries X-Signature-Timestamp and X-Signature. */
  secret?: string;
  /** Extra headers (for example Authorization). */
  headers?: Record<string, string>;
  clock: Clock;
}

/** Header value: "sha256=" + hex HMAC-SHA256 with key `secret` over `${timestamp}.${body}` (timestamp in ms). */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Generic webhook: POSTs the notification as JSON. */
export class WebhookChannel implements Channel {
  readonly name: string;
  constructor(private readonly options: WebhookOptions) {
    this.name = options.name;
  }

  async send(n: Notification): Promise<void> {
    const payload = { ...n, link: safeLink(n.link), lifeSafety: n.lifeSafety === true, ts: new Date(n.ts).toISOString() };
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = { 'content-type': 'application/json', ...this.options.headers };
    if (this.options.secret) {
      const timestamp = String(this.options.clock.now());
      headers['x-signature-timestamp'] = timestamp;
      headers['x-signature'] = webhookSignature(this.options.secret, timestamp, body);
    }
    await httpPost(this.name, this.options.url, body, headers, this.options);
  }
}
