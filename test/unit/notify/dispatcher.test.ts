import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/log.js';
import { DingtalkChannel } from '../../../src/notify/channels/dingtalk.js';
import { WebhookChannel } from '../../../src/notify/channels/webhook.js';
import { Dispatcher } from '../../../src/notify/dispatcher.js';
import type { Notification } from '../../../src/notify/message.js';
import { SystemClock, VirtualClock } from '../../../src/time/clock.js';
import { waitUntil } from '../../support/wait.js';

interface Recorded {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

type Reply = { status: number; body: string } | 'hang';

interface Receiver {
  url: string;
  requests: Recorded[];
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()?.();
});

/** A loopback HTTP server that records requests; `reply` gets the 0-based request index. */
async function startReceiver(reply: (index: number) => Reply = () => ({ status: 200, body: '{"errcode":0,"errmsg":"ok"}' })): Promise<Receiver> {
  const requests: Recorded[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const index = requests.length;
      requests.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      const r = reply(index);
      if (r === 'hang') return;
      res.writeHead(r.status, { 'content-type': 'application/json' }).end(r.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${port}`, requests };
}

function captureLogger(): { logger: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: createLogger({ level: 'info', destination }), lines };
}

let seq = 0;
function note(over: Partial<Notification> = {}): Notification {
  seq++;
  return { key: `alarm-${seq}`, kind: 'raise', priority: 'medium', title: `Alarm ${seq}`, body: `Body ${seq}`, ts: Date.UTC(2026, 0, 1), ...over };
}

describe('notification dispatcher', () => {
  it('retries a 5xx with back-off until it succeeds and logs every attempt', async () => {
    const rx = await startReceiver((i) => (i === 0 ? { status: 500, body: 'boom' } : { status: 200, body: 'ok' }));
    const { logger, lines } = captureLogger();
    const dispatcher = new Dispatcher({ clock: new SystemClock(), logger, retry: { maxAttempts: 3, baseDelayMs: 20 } });
    dispatcher.add(new WebhookChannel({ name: 'hook', url: rx.url, clock: new SystemClock() }));
    dispatcher.dispatch(note({ key: 'k-retry' }));
    await dispatcher.idle();
    expect(rx.requests).toHaveLength(2);
    expect(rx.requests[1]?.body).toBe(rx.requests[0]?.body);
    expect(dispatcher.stats().hook).toEqual({ sent: 1, failed: 0, retried: 1, folded: 0, queued: 0 });
    const attempts = lines.filter((l) => l.key === 'k-retry').map((l) => [l.attempt, l.outcome, l.status]);
    expect(attempts).toEqual([
      [1, 'retry', 500],
      [2, 'sent', undefined],
    ]);
  });

  it('does not retry a 4xx', async () => {
    const rx = await startReceiver(() => ({ status: 400, body: 'bad request' }));
    const { logger, lines } = captureLogger();
    const dispatcher = new Dispatcher({ clock: new SystemClock(), logger, retry: { maxAttempts: 5, baseDelayMs: 10 } });
    dispatcher.add(new WebhookChannel({ name: 'hook', url: rx.url, clock: new SystemClock() }));
    dispatcher.dispatch(note({ key: 'k-400' }));
    await dispatcher.idle();
    expect(rx.requests).toHaveLength(1);
    expect(dispatcher.stats().hook).toEqual({ sent: 0, failed: 1, retried: 0, folded: 0, queued: 0 });
    expect(lines.find((l) => l.key === 'k-400')).toMatchObject({ outcome: 'failed', retryable: false, status: 400, level: 50 });
  });

  it('gives up after maxAttempts on a receiver that keeps failing', async () => {
    const rx = await startReceiver(() => ({ status: 502, body: 'bad gateway' }));
    const dispatcher = new Dispatcher({ clock: new SystemClock(), logger: captureLogger().logger, retry: { maxAttempts: 3, baseDelayMs: 5 } });
    dispatcher.add(new WebhookChannel({ name: 'hook', url: rx.url, clock: new SystemClock() }));
    dispatcher.dispatch(note());
    await dispatcher.idle();
    expect(rx.requests).toHaveLength(3);
    expect(dispatcher.stats().hook).toMatchObject({ sent: 0, failed: 1, retried: 2 });
  });

  it('times out a hanging receiver without delaying the other channels', async () => {
    const hanging = await startReceiver(() => 'hang');
    const fast = await startReceiver(() => ({ status: 200, body: 'ok' }));
    const clock = new SystemClock();
    const dispatcher = new Dispatcher({ clock, logger: captureLogger().logger, retry: { maxAttempts: 2, baseDelayMs: 10 } });
    dispatcher.add(new WebhookChannel({ name: 'slow', url: hanging.url, clock, timeoutMs: 400 }));
    dispatcher.add(new WebhookChannel({ name: 'fast', url: fast.url, clock }));
    const started = Date.now();
    for (let i = 0; i < 3; i++) dispatcher.dispatch(note());
    await waitUntil(() => fast.requests.length === 3, 'the fast receiver has all three');
    expect(Date.now() - started).toBeLessThan(400);
    expect(dispatcher.stats().slow).toMatchObject({ sent: 0, failed: 0, queued: 3 });
    await dispatcher.idle();
    expect(dispatcher.stats().fast).toEqual({ sent: 3, failed: 0, retried: 0, folded: 0, queued: 0 });
    expect(dispatcher.stats().slow).toEqual({ sent: 0, failed: 3, retried: 3, folded: 0, queued: 0 });
    expect(hanging.requests).toHaveLength(6);
  }, 15_000);

  it('puts a life-safety notification ahead of what is waiting in a queue', async () => {
    const rx = await startReceiver(() => ({ status: 200, body: 'ok' }));
    const dispatcher = new Dispatcher({ clock: new SystemClock(), logger: captureLogger().logger });
    dispatcher.add(new WebhookChannel({ name: 'hook', url: rx.url, clock: new SystemClock() }));
    dispatcher.dispatch(note({ key: 'a' }));
    dispatcher.dispatch(note({ key: 'b' }));
    dispatcher.dispatch(note({ key: 'fire', lifeSafety: true }));
    await dispatcher.idle();
    expect(rx.requests.map((r) => (JSON.parse(r.body) as { key: string }).key)).toEqual(['a', 'fire', 'b']);
  });
});

describe('rate budget on a DingTalk bot (virtual clock)', () => {
  const secret = 'SECbudget';

  function bodies(rx: Receiver): Array<{ markdown: { title: string; text: string } }> {
    return rx.requests.map((r) => JSON.parse(r.body) as { markdown: { title: string; text: string } });
  }

  it('sends 20 in a minute, holds the 21st and sends one summary when the window frees', async () => {
    const rx = await startReceiver();
    const clock = new VirtualClock();
    const t0 = clock.now();
    const dispatcher = new Dispatcher({ clock, logger: captureLogger().logger });
    dispatcher.add(new DingtalkChannel({ name: 'ding', url: `${rx.url}/robot/send?access_token=t`, secret, clock }), { budget: { perMinute: 20 } });
    for (let i = 0; i < 21; i++) {
      dispatcher.dispatch(note({ key: `m${i}`, title: `Message ${i}` }));
      await clock.advance(2_000);
    }
    await dispatcher.idle();
    expect(rx.requests).toHaveLength(20);
    expect(dispatcher.stats().ding).toMatchObject({ sent: 20, folded: 1 });
    expect(clock.now()).toBe(t0 + 42_000);
    await clock.advance(17_999);
    await dispatcher.idle();
    expect(rx.requests).toHaveLength(20);
    await clock.advance(1);
    await waitUntil(() => rx.requests.length === 21, 'the summary arrived');
    await dispatcher.idle();
    const summary = bodies(rx)[20];
    expect(summary?.markdown.title).toBe('[SUMMARY/medium] 1 notifications held back by the rate limit');
    expect(summary?.markdown.text).toContain('[ALARM/medium] Message 20');
    expect(dispatcher.stats().ding).toEqual({ sent: 21, failed: 0, retried: 0, folded: 1, queued: 0 });
    // The summary is signed with the time it was sent, one minute after the first message.
    const query = new URL(rx.requests[20]?.url ?? '', rx.url).searchParams;
    expect(query.get('timestamp')).toBe(String(t0 + 60_000));
    expect(query.get('sign')).toBe(createHmac('sha256', secret).update(`${t0 + 60_000}\n${secret}`).digest('base64'));
  });

  it('folds a burst into one summary with fire signals first and counts every one', async () => {
    const rx = await startReceiver();
    const clock = new VirtualClock();
    const dispatcher = new Dispatcher({ clock, logger: captureLogger().logger });
    dispatcher.add(new DingtalkChannel({ name: 'ding', url: rx.url, secret, clock }), { budget: { perMinute: 20 } });
    for (let i = 0; i < 20; i++) dispatcher.dispatch(note({ title: `Door ${i}`, priority: 'low' }));
    dispatcher.dispatch(note({ title: 'Pump 1 trip', priority: 'critical' }));
    dispatcher.dispatch(note({ title: 'Door 99', priority: 'low' }));
    dispatcher.dispatch(note({ title: 'Smoke detector L3', priority: 'high', lifeSafety: true }));
    dispatcher.dispatch(note({ title: 'Lift 2 stuck', priority: 'high' }));
    await dispatcher.idle();
    expect(rx.requests).toHaveLength(20);
    expect(dispatcher.stats().ding?.folded).toBe(4);
    await clock.advance(60_000);
    await waitUntil(() => rx.requests.length === 21, 'the summary arrived');
    const summary = bodies(rx)[20];
    expect(summary?.markdown.title).toBe('[FIRE SUMMARY/high] 4 notifications held back by the rate limit (1 FIRE)');
    const listed = (summary?.markdown.text ?? '').split('\n').filter((l) => l.startsWith('- '));
    expect(listed.map((l) => l.replace(/ \(.*\)$/, ''))).toEqual([
      '- [FIRE ALARM/high] Smoke detector L3',
      '- [ALARM/critical] Pump 1 trip',
      '- [ALARM/high] Lift 2 stuck',
      '- [ALARM/low] Door 99',
    ]);
    // Nothing further is pending: one summary per window.
    await clock.advance(120_000);
    await dispatcher.idle();
    expect(rx.requests).toHaveLength(21);
  });

  it('keeps a per-second budget too (Feishu-like 5 a second) and each channel its own budget', async () => {
    const ding = await startReceiver();
    const hook = await startReceiver(() => ({ status: 200, body: 'ok' }));
    const clock = new VirtualClock();
    const dispatcher = new Dispatcher({ clock, logger: captureLogger().logger });
    dispatcher.add(new DingtalkChannel({ name: 'ding', url: ding.url, clock }), { budget: { perMinute: 100, perSecond: 5 } });
    dispatcher.add(new WebhookChannel({ name: 'hook', url: hook.url, clock }));
    for (let i = 0; i < 8; i++) dispatcher.dispatch(note());
    await dispatcher.idle();
    expect(ding.requests).toHaveLength(5);
    expect(hook.requests).toHaveLength(8);
    await clock.advance(999);
    await dispatcher.idle();
    expect(ding.requests).toHaveLength(5);
    await clock.advance(1);
    await waitUntil(() => ding.requests.length === 6, 'the summary arrived');
    expect(bodies(ding)[5]?.markdown.title).toContain('3 notifications held back');
    expect(dispatcher.stats()).toMatchObject({ ding: { sent: 6, folded: 3 }, hook: { sent: 8, folded: 0 } });
  });

  it('reports what is still held when closed', async () => {
    const rx = await startReceiver();
    const clock = new VirtualClock();
    const { logger, lines } = captureLogger();
    const dispatcher = new Dispatcher({ clock, logger });
    dispatcher.add(new DingtalkChannel({ name: 'ding', url: rx.url, clock }), { budget: { perMinute: 1 } });
    dispatcher.dispatch(note());
    dispatcher.dispatch(note({ key: 'held-1' }));
    await dispatcher.idle();
    await dispatcher.close();
    expect(clock.pending()).toBe(0);
    expect(lines.find((l) => l.msg === 'notification dispatcher closed with undelivered notifications')).toMatchObject({ channel: 'ding', held: 1, keys: ['held-1'] });
  });
});
