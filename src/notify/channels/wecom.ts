import { renderMarkdown, truncateUtf8, type Notification } from '../message.js';
import { httpPost, NotifyError, parseReply, type Channel, type HttpOptions } from './channel.js';

export interface WecomOptions extends HttpOptions {
  name: string;
  /** The bot's webhook URL including its key. */
  url: string;
}

/** WeCom markdown content is limited to 4096 bytes. */
export const WECOM_MAX_CONTENT_BYTES = 4096;
/** "api freq out of limit": the bot is throttled. */
const WECOM_RATE_LIMITED = 45009;

/** WeCom (企业微信) group bot: markdown message. Suggested budget: 20 a minute. */
export class WecomChannel implements Channel {
  readonly name: string;
  constructor(private readonly options: WecomOptions) {
    this.name = options.name;
  }

  async send(n: Notification): Promise<void> {
    // A person's address on a group bot is the WeCom user id to @mention (markdown `<@userid>`), kept outside the cut.
    const mention = n.to === undefined ? '' : `\n<@${n.to}>`;
    const room = WECOM_MAX_CONTENT_BYTES - Buffer.byteLength(mention, 'utf8');
    const content = truncateUtf8(renderMarkdown(n), room, '\n\n…(truncated)') + mention;
    const body = JSON.stringify({ msgtype: 'markdown', markdown: { content } });
    const { text } = await httpPost(this.name, this.options.url, body, { 'content-type': 'application/json' }, this.options);
    const reply = parseReply(this.name, text);
    if (reply.errcode !== 0) {
      const code = Number(reply.errcode);
      throw new NotifyError(`${this.name}: errcode ${code} ${String(reply.errmsg)}`, this.name, code === WECOM_RATE_LIMITED);
    }
  }
}
