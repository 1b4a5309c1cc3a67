import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { NotifyError } from '../../../src/notify/channels/channel.js';
import { DingtalkChannel } from '../../../src/notify/channels/dingtalk.js';
import { EmailChannel } from '../../../src/notify/channels/email.js';
import { FEISHU_MAX_BODY_BYTES, FeishuChannel } from '../../../src/notify/channels/feishu.js';
import { NtfyChannel, ntfyTargetUrl } from '../../../src/notify/channels/ntfy.js';
import { WebhookChannel } from '../../../src/notify/channels/webhook.js';
import { WecomChannel } from '../../../src/notify/channels/wecom.js';
import type { Notification } from '../../../src/notify/message.js';
import { VirtualClock } from '../../../src/time/clock.js';

interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Receiver {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

/** A loopback HTTP server that records every request and answers with `reply`. */
async function startReceiver(reply: (req: Recorded) => { status: number; body: string } = () => ({ status: 200, body: '{"errcode":0,"errmsg":"ok"}' })): Promise<Receiver> {
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(recorded);
      const { status, body } = reply(recorded);
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  closers.push(() => receiver.close());
  return receiver;
}

function note(over: Partial<Notification> = {}): Notification {
  return {
    key: 'site1/pump2/overpressure#7',
    kind: 'raise',
    priority: 'high',
    title: 'Pump 2 overpressure',
    body: 'Discharge pressure 9.1 bar (limit 8.5 bar).',
    cause: 'Valve V12 closed',
    consequence: 'Pipe burst risk',
    action: 'Open V12, check the pressure switch',
    link: 'https://gw.example.org/alarms/7',
    ts: Date.UTC(2026, 0, 1, 8, 30),
    ...over,
  };
}

function only<T>(list: T[]): T {
  expect(list).toHaveLength(1);
  return list[0] as T;
}

describe('generic webhook channel', () => {
  it('POSTs the notification as JSON with an HMAC-SHA256 signature over timestamp and body', async () => {
    const rx = await startReceiver(() => ({ status: 204, body: '' }));
    const clock = new VirtualClock();
    const channel = new WebhookChannel({ name: 'hook', url: `${rx.url}/in`, secret: 's3cret', headers: { authorization: 'Bearer t' }, clock });
    await channel.send(note());
    const req = only(rx.requests);
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/in');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers.authorization).toBe('Bearer t');
    const body = JSON.parse(req.body) as Record<string, unknown>;
    expect(body).toMatchObject({ key: 'site1/pump2/overpressure#7', kind: 'raise', priority: 'high', lifeSafety: false, link: 'https://gw.example.org/alarms/7', ts: '2026-01-01T08:30:00.000Z' });
    const timestamp = req.headers['x-signature-timestamp'] as string;
    expect(timestamp).toBe(String(clock.now()));
    const expected = `sha256=${createHmac('sha256', 's3cret').update(`${timestamp}.${req.body}`).digest('hex')}`;
    expect(req.headers['x-signature']).toBe(expected);
  });

  it('sends no signature without a secret and classifies 5xx as retryable, 4xx as not', async () => {
    let status = 503;
    const rx = await startReceiver(() => ({ status, body: 'nope' }));
    const channel = new WebhookChannel({ name: 'hook', url: rx.url, clock: new VirtualClock() });
    const err1 = await channel.send(note()).catch((e: unknown) => e);
    expect(err1).toBeInstanceOf(NotifyError);
    expect(err1).toMatchObject({ retryable: true, status: 503, channel: 'hook' });
    status = 404;
    await expect(channel.send(note())).rejects.toMatchObject({ retryable: false, status: 404 });
    expect(rx.requests[0]?.headers['x-signature']).toBeUndefined();
  });

  it('treats a refused connection as retryable', async () => {
    const rx = await startReceiver();
    await rx.close();
    const channel = new WebhookChannel({ name: 'hook', url: rx.url, clock: new VirtualClock(), timeoutMs: 1000 });
    await expect(channel.send(note())).rejects.toMatchObject({ retryable: true, status: undefined });
  });
});

describe('ntfy channel', () => {
  it('POSTs plain text to the topic with Title, Priority, Tags and Click headers', async () => {
    const rx = await startReceiver(() => ({ status: 200, body: '{}' }));
    const channel = new NtfyChannel({ name: 'ntfy', topicUrl: `${rx.url}/facility`, token: 'tk' });
    await channel.send(note({ lifeSafety: true, priority: 'critical', title: 'Fire zone 3 / 火警 三区' }));
    const req = only(rx.requests);
    expect(req.url).toBe('/facility');
    expect(req.headers.priority).toBe('5');
    expect(req.headers.tags).toBe('fire,rotating_light,critical');
    expect(req.headers.click).toBe('https://gw.example.org/alarms/7');
    expect(req.headers.authorization).toBe('Bearer tk');
    const title = req.headers.title as string;
    const m = /^=\?UTF-8\?B\?(.+)\?=$/.exec(title);
    expect(Buffer.from(m?.[1] ?? '', 'base64').toString('utf8')).toBe('[FIRE ALARM/critical] Fire zone 3 / 火警 三区');
    expect(req.body).toContain('Discharge pressure 9.1 bar');
    expect(req.body).toContain('Action: Open V12');
  });

  it('passes no click link that is not http(s)', async () => {
    const rx = await startReceiver(() => ({ status: 200, body: '{}' }));
    await new NtfyChannel({ name: 'ntfy', topicUrl: rx.url }).send(note({ link: 'javascript:alert(1)', kind: 'resolve', priority: 'low' }));
    const req = only(rx.requests);
    expect(req.headers.click).toBeUndefined();
    expect(req.headers.title).toBe('[RESOLVED/low] Pump 2 overpressure');
    expect(req.headers.tags).toBe('white_check_mark,low');
  });
});

describe('WeCom group bot', () => {
  it('sends a markdown message and fails on a non-zero errcode', async () => {
    let reply = '{"errcode":0,"errmsg":"ok"}';
    const rx = await startReceiver(() => ({ status: 200, body: reply }));
    const channel = new WecomChannel({ name: 'wecom', url: `${rx.url}/cgi-bin/webhook/send?key=k1` });
    await channel.send(note());
    const req = only(rx.requests);
    expect(req.url).toBe('/cgi-bin/webhook/send?key=k1');
    const body = JSON.parse(req.body) as { msgtype: string; markdown: { content: string } };
    expect(body.msgtype).toBe('markdown');
    expect(body.markdown.content).toContain('### [ALARM/high] Pump 2 overpressure');
    expect(body.markdown.content).toContain('[Open to acknowledge](https://gw.example.org/alarms/7)');
    reply = '{"errcode":93000,"errmsg":"invalid webhook url"}';
    await expect(channel.send(note())).rejects.toMatchObject({ retryable: false });
    reply = '{"errcode":45009,"errmsg":"api freq out of limit"}';
    await expect(channel.send(note())).rejects.toMatchObject({ retryable: true });
  });
});

describe('DingTalk group bot', () => {
  it('signs the URL with timestamp and URL-encoded base64 HMAC-SHA256 of "timestamp\\nsecret"', async () => {
    const rx = await startReceiver();
    const clock = new VirtualClock(Date.UTC(2026, 2, 3, 4, 5, 6, 789));
    const secret = 'SECabc123';
    const channel = new DingtalkChannel({ name: 'ding', url: `${rx.url}/robot/send?access_token=tok`, secret, clock });
    await channel.send(note());
    const req = only(rx.requests);
    const query = new URL(req.url, rx.url).searchParams;
    expect(query.get('access_token')).toBe('tok');
    const timestamp = query.get('timestamp') ?? '';
    expect(timestamp).toBe(String(clock.now()));
    const expected = createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64');
    expect(query.get('sign')).toBe(expected);
    // The raw query carries the signature URL-encoded.
    expect(req.url).toContain(`sign=${encodeURIComponent(expected)}`);
    const body = JSON.parse(req.body) as { msgtype: string; markdown: { title: string; text: string } };
    expect(body.msgtype).toBe('markdown');
    expect(body.markdown.title).toBe('[ALARM/high] Pump 2 overpressure');
    expect(body.markdown.text).toContain('**Cause:** Valve V12 closed');
  });

  it('rejects on errcode; "send too fast" is retryable', async () => {
    let reply = '{"errcode":310000,"errmsg":"sign not match"}';
    const rx = await startReceiver(() => ({ status: 200, body: reply }));
    const channel = new DingtalkChannel({ name: 'ding', url: rx.url, clock: new VirtualClock() });
    await expect(channel.send(note())).rejects.toMatchObject({ retryable: false });
    reply = '{"errcode":130101,"errmsg":"send too fast"}';
    await expect(channel.send(note())).rejects.toMatchObject({ retryable: true });
    expect(new URL(rx.requests[0]?.url ?? '', rx.url).searchParams.has('sign')).toBe(false);
  });
});

describe('Feishu bot', () => {
  it('signs the body with HMAC-SHA256 keyed by "timestamp\\nsecret" over the empty message', async () => {
    const rx = await startReceiver(() => ({ status: 200, body: '{"code":0,"msg":"success","data":{}}' }));
    const clock = new VirtualClock(Date.UTC(2026, 2, 3, 4, 5, 6, 789));
    const secret = 'feishu-secret';
    await new FeishuChannel({ name: 'feishu', url: `${rx.url}/open-apis/bot/v2/hook/x`, secret, clock }).send(note());
    const req = only(rx.requests);
    const body = JSON.parse(req.body) as { timestamp: string; sign: string; msg_type: string; content: { text: string } };
    expect(body.timestamp).toBe(String(Math.floor(clock.now() / 1000)));
    expect(body.sign).toBe(createHmac('sha256', `${body.timestamp}\n${secret}`).update('').digest('base64'));
    expect(body.msg_type).toBe('text');
    expect(body.content.text).toContain('[ALARM/high] Pump 2 overpressure');
  });

  it('cuts a body over 20 KB with a note, multi-byte text included', async () => {
    const rx = await startReceiver(() => ({ status: 200, body: '{"code":0}' }));
    const channel = new FeishuChannel({ name: 'feishu', url: rx.url, secret: 's', clock: new VirtualClock() });
    await channel.send(note({ body: '压力过高 "quoted"\n'.repeat(3000) }));
    const req = only(rx.requests);
    expect(Buffer.byteLength(req.body, 'utf8')).toBeLessThanOrEqual(FEISHU_MAX_BODY_BYTES);
    const body = JSON.parse(req.body) as { content: { text: string } };
    expect(body.content.text).toContain('truncated to fit the 20 KB limit');
    expect(body.content.text).not.toContain('\uFFFD');
  });

  it('rejects on a non-zero code; frequency limit is retryable', async () => {
    let reply = '{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}';
    const rx = await startReceiver(() => ({ status: 200, body: reply }));
    const channel = new FeishuChannel({ name: 'feishu', url: rx.url, clock: new VirtualClock() });
    await expect(channel.send(note())).rejects.toMatchObject({ retryable: false });
    reply = '{"code":11232,"msg":"frequency limited"}';
    await expect(channel.send(note())).rejects.toMatchObject({ retryable: true });
  });
});

describe('email channel', () => {
  async function startSmtp(rejectRcpt = false): Promise<{ port: number; mails: Array<{ from: string; to: string[]; raw: string }> }> {
    const mails: Array<{ from: string; to: string[]; raw: string }> = [];
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onRcptTo(address, _session, callback) {
        if (rejectRcpt) {
          const err = Object.assign(new Error('mailbox unavailable'), { responseCode: 550 });
          callback(err);
          return;
        }
        callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          mails.push({ from, to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const port = (server.server.address() as AddressInfo).port;
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return { port, mails };
  }

  it('sends plain text and HTML over SMTP', async () => {
    const smtp = await startSmtp();
    const channel = new EmailChannel({ name: 'mail', host: '127.0.0.1', port: smtp.port, from: 'gw@example.org', to: ['ops@example.org', 'tech@example.org'] });
    closers.push(() => channel.close());
    await channel.send(note({ lifeSafety: true, priority: 'critical', title: 'Fire zone 3' }));
    const mail = only(smtp.mails);
    expect(mail.from).toBe('gw@example.org');
    expect(mail.to).toEqual(['ops@example.org', 'tech@example.org']);
    expect(mail.raw).toMatch(/^Subject: \[FIRE ALARM\/critical\] Fire zone 3\r?$/m);
    expect(mail.raw).toMatch(/^X-Alarm-Key: site1\/pump2\/overpressure#7\r?$/m);
    expect(mail.raw).toMatch(/^X-Priority: 1/m);
    expect(mail.raw).toContain('multipart/alternative');
    expect(mail.raw).toContain('text/plain');
    expect(mail.raw).toContain('text/html');
    expect(mail.raw).toContain('Action: Open V12, check the pressure switch');
    expect(mail.raw).toContain('<a href=3D"https://gw.example.org/alarms/7">');
  });

  it('treats a permanent 5xx rejection as not retryable and a refused connection as retryable', async () => {
    const smtp = await startSmtp(true);
    const channel = new EmailChannel({ name: 'mail', host: '127.0.0.1', port: smtp.port, from: 'gw@example.org', to: ['ops@example.org'] });
    closers.push(() => channel.close());
    await expect(channel.send(note())).rejects.toMatchObject({ retryable: false, status: 550 });
    const rx = await startReceiver();
    const port = Number(new URL(rx.url).port);
    await rx.close();
    const refused = new EmailChannel({ name: 'mail2', host: '127.0.0.1', port, from: 'gw@example.org', to: ['ops@example.org'], timeoutMs: 1000 });
    await expect(refused.send(note())).rejects.toMatchObject({ retryable: true });
  });
});

describe('channels addressing one recipient (Notification.to)', () => {
  it('ntfy posts to the recipient topic on the same server, keeping a server path', async () => {
    const rx = await startReceiver(() => ({ status: 200, body: '{}' }));
    const channel = new NtfyChannel({ name: 'ntfy', topicUrl: `${rx.url}/ntfy/facility` });
    await channel.send(note({ to: 'alice oncall' }));
    await channel.send(note());
    expect(rx.requests.map((r) => r.url)).toEqual(['/ntfy/alice%20oncall', '/ntfy/facility']);
    expect(ntfyTargetUrl('https://ntfy.example.org/', 'bob')).toBe('https://ntfy.example.org/bob');
  });

  it('chat bots @mention the recipient: DingTalk by mobile, WeCom by user id, Feishu by open id', async () => {
    const rx = await startReceiver((req) => ({ status: 200, body: req.url.startsWith('/feishu') ? '{"code":0}' : '{"errcode":0,"errmsg":"ok"}' }));
    const clock = new VirtualClock();
    await new DingtalkChannel({ name: 'ding', url: `${rx.url}/ding`, clock }).send(note({ to: '13800000000' }));
    await new WecomChannel({ name: 'wecom', url: `${rx.url}/wecom` }).send(note({ to: 'zhangsan' }));
    await new FeishuChannel({ name: 'feishu', url: `${rx.url}/feishu`, clock }).send(note({ to: 'ou_123' }));
    const [ding, wecom, feishu] = rx.requests.map((r) => JSON.parse(r.body) as Record<string, Record<string, unknown>>);
    expect(ding?.at).toEqual({ atMobiles: ['13800000000'], isAtAll: false });
    expect(String(ding?.markdown?.text)).toMatch(/@13800000000$/);
    expect(String(wecom?.markdown?.content)).toMatch(/\n<@zhangsan>$/);
    expect(String(feishu?.content?.text)).toMatch(/<at user_id="ou_123"><\/at>$/);
  });
});

describe('email to one recipient', () => {
  it('sends to the notification address instead of the default list, and refuses when there is neither', async () => {
    const mails: string[][] = [];
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, session, callback) {
        stream.resume();
        stream.on('end', () => {
          mails.push(session.envelope.rcptTo.map((r) => r.address));
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const port = (server.server.address() as AddressInfo).port;
    const channel = new EmailChannel({ name: 'mail', host: '127.0.0.1', port, from: 'gw@example.org', to: ['ops@example.org'] });
    const personal = new EmailChannel({ name: 'mail-p', host: '127.0.0.1', port, from: 'gw@example.org', to: [] });
    closers.push(() => channel.close(), () => personal.close());
    await channel.send(note({ to: 'alice@example.org' }));
    await channel.send(note());
    expect(mails).toEqual([['alice@example.org'], ['ops@example.org']]);
    await expect(personal.send(note())).rejects.toMatchObject({ retryable: false, message: expect.stringContaining('no recipient') as unknown });
  });
});
