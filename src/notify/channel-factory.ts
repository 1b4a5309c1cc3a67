import type { NotificationsConfig, NotifyChannelConfig } from '../config/notifications-schema.js';
import type { Clock } from '../time/clock.js';
import type { Channel } from './channels/channel.js';
import { DingtalkChannel } from './channels/dingtalk.js';
import { EmailChannel } from './channels/email.js';
import { FeishuChannel } from './channels/feishu.js';
import { NtfyChannel } from './channels/ntfy.js';
import { WebhookChannel } from './channels/webhook.js';
import { WecomChannel } from './channels/wecom.js';
import type { ChannelSetup } from './dispatcher.js';

/** A channel built from config, with its rate budget and retry policy for the dispatcher. */
export interface ConfiguredChannel {
  channel: Channel;
  setup: ChannelSetup;
}

export interface ChannelFactoryContext {
  clock: Clock;
}

/** Builds one channel; the channel's `name` is its config id. */
export function createChannel(c: NotifyChannelConfig, { clock }: ChannelFactoryContext): Channel {
  const timeoutMs = c.timeoutMs;
  switch (c.type) {
    case 'webhook':
      return new WebhookChannel({ name: c.id, url: c.url, clock, timeoutMs, ...(c.secret && { secret: c.secret }), ...(c.headers && { headers: c.headers }) });
    case 'ntfy':
      // The default topic, or the server root when group notifications have no topic of their own.
      return new NtfyChannel({ name: c.id, topicUrl: new URL(c.topic === undefined ? '' : encodeURIComponent(c.topic), withSlash(c.url)).toString(), timeoutMs, ...(c.token && { token: c.token }) });
    case 'wecom':
      return new WecomChannel({ name: c.id, url: c.url, timeoutMs });
    case 'dingtalk':
      return new DingtalkChannel({ name: c.id, url: c.url, clock, timeoutMs, ...(c.secret && { secret: c.secret }) });
    case 'feishu':
      return new FeishuChannel({ name: c.id, url: c.url, clock, timeoutMs, ...(c.secret && { secret: c.secret }) });
    case 'email':
      return new EmailChannel({
        name: c.id,
        host: c.host,
        port: c.port,
        secure: c.secure,
        requireTLS: c.requireTLS,
        from: c.from,
        to: c.to,
        timeoutMs,
        ...(c.user !== undefined && { user: c.user }),
        ...(c.password !== undefined && { password: c.password }),
      });
  }
}

/** Every configured channel with its setup, in config order (the `notifications` section, defaults filled in). */
export function createChannels(config: Pick<NotificationsConfig, 'channels'>, context: ChannelFactoryContext): ConfiguredChannel[] {
  return config.channels.map((c) => {
    const setup: ChannelSetup = {};
    if (c.rateBudget) setup.budget = c.rateBudget;
    if (c.retry) setup.retry = c.retry;
    return { channel: createChannel(c, context), setup };
  });
}

/** A server URL as a base for relative topics: `https://host/ntfy` must keep its `ntfy` segment. */
function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
