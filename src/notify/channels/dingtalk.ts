import { createHmac } from 'node:crypto';
import type { Clock } from '../../time/clock.js';
import { headline, renderMarkdown, type Notification } from '../message.js';
import { httpPost, NotifyError, parseReply, type Channel, type HttpOptions } from './channel.js';

export interface DingtalkOptions extends HttpOptions {
  name: string;
  /** The bot's webhook URL including access_token. */
  url: string;
  /** The "加签" secret (SEC...); when set the URL is signed. */
  secret?: string;
  clock: Clock;
}

/** "send too fast": the bot exceeded 20 messages a minute. */
const DINGTALK_RATE_LIMITED = 130101;

/** base64(HMAC-SHA256 with key `secret` over "timestamp\nsecret"), timestamp in ms. */
export function dingtalkSign(secret: string, timestampMs: string): string {
  return createHmac('sha256', secret).update(`${timestampMs}\n${secret}`).digest('base64');
}

export function dingtalkSignedUrl(url: string, secret: string, timestampMs: number): string {
  const u = new URL(url);
  u.searchParams.set('timestamp', String(timestampMs));
  u.searchParams.set('sign', dingtalkSign(secret, String(timestampMs)));
  return u.toString();
}

/** DingTalk (钉钉) group bot: markdown message, optionally signed URL. Suggested budget: 20 a minute. */
export class DingtalkChannel implements Channel {
  readonly name: string;
  constructor(private readonly options: DingtalkOptions) {
    this.name = options.name;
  }

  async send(n: Notification): Promise<void> {
    const { url, secret, clock } = this.options;
    const target = secret ? dingtalkSignedUrl(url, secret, clock.now()) : url;
    // A person's address on a group bot is the mobile number to @mention; the text must name it too.
    const mention = n.to === undefined ? {} : { at: { atMobiles: [n.to], isAtAll: false } };
    const markdown = n.to === undefined ? renderMarkdown(n) : `${renderMarkdown(n)}\n\n@${n.to}`;
    const body = JSON.stringify({ msgtype: 'markdown', markdown: { title: headline(n), text: markdown }, ...mention });
    const { text } = await httpPost(this.name, target, body, { 'content-type': 'application/json' }, this.options);
    const reply = parseReply(this.name, text);
    if (reply.errcode !== 0) {
      const code = Number(reply.errcode);
      throw new NotifyError(`${this.name}: errcode ${code} ${String(reply.errmsg)}`, this.name, code === DINGTALK_RATE_LIMITED);
    }
  }
}
