import type { AlarmPriority } from '../../profiles/types.js';
import { headline, renderText, safeLink, type Notification } from '../message.js';
import { httpPost, type Channel, type HttpOptions } from './channel.js';

export interface NtfyOptions extends HttpOptions {
  name: string;
  /** Full topic URL, e.g. https://ntfy.example.org/facility-alarms */
  topicUrl: string;
  /** Access token, sent as Authorization: Bearer. */
  token?: string;
}

const NTFY_PRIORITY: Record<AlarmPriority, string> = { critical: '5', high: '4', medium: '3', low: '2' };

/** Header values must be ByteStrings; non-ASCII text goes as RFC 2047 encoded-word, which ntfy decodes. */
export function headerText(text: string): string {
  const flat = text.replace(/[\r\n]+/g, ' ');
  return /^[\x20-\x7e]*$/.test(flat) ? flat : `=?UTF-8?B?${Buffer.from(flat, 'utf8').toString('base64')}?=`;
}

export function ntfyTags(n: Notification): string {
  const tags: string[] = [];
  if (n.lifeSafety) tags.push('fire');
  tags.push(
    n.kind === 'resolve' ? 'white_check_mark' : n.kind === 'escalation' ? 'arrow_double_up' : n.kind === 'summary' ? 'bookmark_tabs' : 'rotating_light',
  );
  tags.push(n.priority);
  return tags.join(',');
}

/**
 * The URL a notification goes to: the configured topic, or the recipient's own topic on the same server
 * (`to` replaces the last path segment, so a server mounted below a path keeps it).
 */
export function ntfyTargetUrl(topicUrl: string, to: string | undefined): string {
  return to === undefined ? topicUrl : new URL(encodeURIComponent(to), topicUrl).toString();
}

/** ntfy: plain-text body POSTed to the topic URL with Title/Priority/Tags/Click headers. */
export class NtfyChannel implements Channel {
  readonly name: string;
  constructor(private readonly options: NtfyOptions) {
    this.name = options.name;
  }

  async send(n: Notification): Promise<void> {
    const headers: Record<string, string> = {
      'content-type': 'text/plain; charset=utf-8',
      title: headerText(headline(n)),
      priority: NTFY_PRIORITY[n.priority],
      tags: ntfyTags(n),
    };
    const link = safeLink(n.link);
    if (link) headers.click = link;
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    await httpPost(this.name, ntfyTargetUrl(this.options.topicUrl, n.to), renderText(n), headers, this.options);
  }
}
