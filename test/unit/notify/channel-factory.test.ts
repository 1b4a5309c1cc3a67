import { describe, expect, it } from 'vitest';
import { createChannels } from '../../../src/notify/channel-factory.js';
import { DingtalkChannel } from '../../../src/notify/channels/dingtalk.js';
import { EmailChannel } from '../../../src/notify/channels/email.js';
import { FeishuChannel } from '../../../src/notify/channels/feishu.js';
import { NtfyChannel } from '../../../src/notify/channels/ntfy.js';
import { WebhookChannel } from '../../../src/notify/channels/webhook.js';
import { WecomChannel } from '../../../src/notify/channels/wecom.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { notificationsConfig } from './alarm-notify-support.js';

describe('channel factory', () => {
  it('builds each of the six channel types named by id, with its rate budget and retry policy', async () => {
    const config = notificationsConfig({
      channels: [
        { id: 'hook', type: 'webhook', url: 'https://hooks.example.org/a', secret: '0123456789abcdef', retry: { maxAttempts: 3 } },
        { id: 'phones', type: 'ntfy', url: 'https://ntfy.example.org', topic: 'facility' },
        { id: 'wecom', type: 'wecom', url: 'https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k', rateBudget: { perMinute: 20 } },
        { id: 'ding', type: 'dingtalk', url: 'https://oapi.dingtalk.com/robot/send?access_token=t', secret: 'SEC1', rateBudget: { perMinute: 20 } },
        { id: 'feishu', type: 'feishu', url: 'https://open.feishu.cn/open-apis/bot/v2/hook/x', rateBudget: { perMinute: 100, perSecond: 5 } },
        { id: 'mail', type: 'email', host: 'smtp.example.org', from: 'gw@example.org', to: ['ops@example.org'] },
      ],
    });
    const built = createChannels(config, { clock: new VirtualClock() });
    expect(built.map((b) => b.channel.name)).toEqual(['hook', 'phones', 'wecom', 'ding', 'feishu', 'mail']);
    expect(built.map((b) => b.channel.constructor)).toEqual([WebhookChannel, NtfyChannel, WecomChannel, DingtalkChannel, FeishuChannel, EmailChannel]);
    expect(built[0]?.setup).toEqual({ retry: { maxAttempts: 3, baseDelayMs: 1000, maxDelayMs: 60_000 } });
    expect(built[2]?.setup).toEqual({ budget: { perMinute: 20 } });
    expect(built[4]?.setup).toEqual({ budget: { perMinute: 100, perSecond: 5 } });
    expect(built[1]?.setup).toEqual({});
    for (const b of built) await b.channel.close?.();
  });
});
