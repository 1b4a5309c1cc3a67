import { createHmac } from 'node:crypto';
import type { Clock } from '../../time/clock.js';
import { renderText, truncateUtf8, type Notification } from '../message.js';
import { httpPost, NotifyError, parseReply, type Channel, type HttpOptions } from './channel.js';

export interface FeishuOptions extends HttpOptions {
  name: string;
  /** The bot's webhook URL. */
  url: string;
  /** The signature secret; when set the body carries timestamp and sign. */
  secret?: string;
  clock: Clock;
}

/** Feishu rejects request bodies over 20 KB. */
export const FEISHU_MAX_BODY_BYTES = 20 * 1024;
/** Frequency-limit codes of Feishu custom bots. */
const FEISHU_RATE_LIMITED = new Set([9499, 11232]);

/** base64(HMAC-SHA256 with key "timestamp\nsecret" over the empty message), timestamp in seconds. */
export function feishuSign(secret: string, timestampSec: string): string {
  return createHmac('sha256', `${timestampSec}\n${secret}`).update('').digest('base64');
}

/** Feishu / Lark bot: text message, optionally signed. Suggested budget: 100 a minute, 5 a second. */
export class FeishuChannel implements Channel {
  readonly name: string;
  constructor(private readonly options: FeishuOptions) {
    this.name = options.name;
  }

  /** The JSON body, cut to fit FEISHU_MAX_BODY_BYTES with a note. */
  buildBody(n: Notification): string {
    const { secret, clock } = this.options;
    const signing: Record<string, string> = {};
    if (secret) {
      const timestamp = String(Math.floor(clock.now() / 1000));
      signing.timestamp = timestamp;
      signing.sign = feishuSign(secret, timestamp);
    }
    const make = (text: string): string => JSON.stringify({ ...signing, msg_type: 'text', content: { text } });
    // A person's address on a group bot is the open id to @mention.
    const full = n.to === undefined ? renderText(n) : `${renderText(n)}\n<at user_id="${n.to.replace(/[<>"]/g, '')}"></at>`;
    let body = make(full);
    const excess = Buffer.byteLength(body, 'utf8') - FEISHU_MAX_BODY_BYTES;
    if (excess > 0) {
      const note = '\n…(truncated to fit the 20 KB limit; open the acknowledge link for the full text)';
      // JSON escaping can grow text; shrink until the serialised body fits.
      let room = Buffer.byteLength(full, 'utf8') - excess;
      do {
        body = make(truncateUtf8(full, room, note));
        room -= Math.max(64, Buffer.byteLength(body, 'utf8') - FEISHU_MAX_BODY_BYTES);
      } while (Buffer.byteLength(body, 'utf8') > FEISHU_MAX_BODY_BYTES);
    }
    return body;
  }

  async send(n: Notification): Promise<void> {
    const body = this.buildBody(n);
    const { text } = await httpPost(this.name, this.options.url, body, { 'content-type': 'application/json' }, this.options);
    const reply = parseReply(this.name, text);
    const code = Number(reply.code ?? reply.StatusCode ?? 0);
    if (code !== 0) {
      const raw = reply.msg ?? reply.StatusMessage;
      const msg = typeof raw === 'string' ? raw : JSON.stringify(raw ?? '');
      throw new NotifyError(`${this.name}: code ${code} ${msg}`, this.name, FEISHU_RATE_LIMITED.has(code));
    }
  }
}
