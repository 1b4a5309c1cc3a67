import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { NOTIFY_MIGRATIONS } from '../../../src/alarms/notify/migrations.js';
import { MIGRATIONS } from '../../../src/alarms/lifecycle/migrations.js';
import { AlarmLifecycle } from '../../../src/alarms/lifecycle/manager.js';
import { AlarmStore, persistLifecycle } from '../../../src/alarms/lifecycle/sqlite-store.js';
import { createLogger } from '../../../src/log.js';
import { createChannels } from '../../../src/notify/channel-factory.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { waitUntil } from '../../support/wait.js';
import { alarm, harness, notificationsConfig, openDb, RecordingChannel, type Harness } from './alarm-notify-support.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 1);
const hot = alarm('pump-1:hot');

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

const section = {
  channels: [
    { id: 'phones', type: 'ntfy', url: 'http://127.0.0.1:1/' },
    { id: 'ops', type: 'webhook', url: 'http://127.0.0.1:1/ops' },
  ],
  people: [
    { id: 'alice', name: 'Alice', contacts: { phones: 'alice-topic' } },
    { id: 'bob', name: 'Bob', contacts: { phones: 'bob-topic' } },
  ],
  policies: [{ id: 'standard', levels: [{ notify: [{ person: 'alice' }], waitMinutes: 10 }, { notify: [{ person: 'bob' }], waitMinutes: 5 }], repeat: 1 }],
  routes: [{ match: {}, policy: 'standard', channels: ['ops'] }],
};

describe('alarm notifier across a restart (SQLite file)', () => {
  it('resends the push that was in flight, resumes the escalation where it stood and never repeats a delivered push', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'notify-restart-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'gateway.db');
    const config = notificationsConfig(section);
    const life = (startMs: number): { h: Harness; phones: RecordingChannel; ops: RecordingChannel; alarmStore: AlarmStore } => {
      const clock = new VirtualClock(startMs);
      const alarmStore = AlarmStore.open(path, [...MIGRATIONS, ...NOTIFY_MIGRATIONS]);
      const phones = new RecordingChannel('phones', clock);
      const ops = new RecordingChannel('ops', clock);
      const h = harness({ clock, db: alarmStore.database, alarmStore, config, channels: [phones, ops], alarms: [hot] });
      return { h, phones, ops, alarmStore };
    };

    // First life: raise, then the escalation to Bob is in flight when the process dies.
    const first = life(T0);
    first.h.raise(hot.alarmId);
    await first.h.clock.advance(0);
    expect(first.phones.to('person:alice')).toHaveLength(1);
    first.phones.hang = true;
    await first.h.clock.advance(10 * MIN);
    expect(first.h.store.counts()).toEqual({ pending: 1, sent: 2, failed: 0, folded: 0 });
    first.alarmStore.close(); // kill -9: no stop(), timers and the in-flight push are simply gone

    // Second life, 20 minutes after the raise: the round-2 step fell due at +15 min.
    const second = life(T0 + 20 * MIN);
    cleanups.push(() => second.h.notifier.stop());
    await second.h.clock.advance(0);
    await second.h.notifier.idle();
    expect(second.phones.sent.map((n) => `${n.recipient}/${n.kind}`)).toEqual(['person:bob/escalation', 'person:alice/escalation']);
    expect(second.phones.sent[0]?.body).toContain('escalation level 2 of 2');
    expect(second.phones.sent[1]?.body).toContain('round 2 of 2');
    expect(second.ops.sent).toEqual([]);
    expect(second.h.notifier.episodes()[0]?.escalations).toEqual([
      { policyId: 'standard', level: 1, levels: 2, repeatsDone: 1, status: 'running', nextEscalationAt: T0 + 30 * MIN },
    ]);
    await second.h.clock.advance(10 * MIN);
    await second.h.notifier.idle();
    expect(second.phones.to('person:bob').map((n) => n.at)).toEqual([T0 + 20 * MIN, T0 + 30 * MIN]);
    second.h.lifecycle.acknowledge(hot.alarmId, 'bob');
    await second.h.clock.advance(60 * MIN);
    expect(second.phones.sent).toHaveLength(3);
    await second.h.notifier.stop();
    second.alarmStore.close();

    // Third life: nothing pending, the episode acknowledged: nothing is sent again.
    const third = life(T0 + 2 * 60 * MIN);
    cleanups.push(() => third.h.notifier.stop());
    await third.h.clock.advance(60 * MIN);
    await third.h.notifier.idle();
    expect([...third.phones.sent, ...third.ops.sent]).toEqual([]);
    expect(third.h.notifier.episodes()).toMatchObject([{ status: 'acknowledged', alarmId: hot.alarmId }]);
    const keys = third.h.store.deliveriesOf(`pump-1:hot@${T0}`).map((d) => `${d.recipient.id}:${d.notification.kind}:${d.status}`);
    expect(keys).toEqual(['ops:raise:sent', 'alice:raise:sent', 'bob:escalation:sent', 'alice:escalation:sent', 'bob:escalation:sent']);
    third.h.clear(hot.alarmId);
    await third.h.notifier.idle();
    expect(third.phones.sent.map((n) => `${n.recipient}/${n.kind}`).sort()).toEqual(['person:alice/resolve', 'person:bob/resolve']);
    third.alarmStore.close();
  });
});

describe('alarm notifier after a crash between the two commits', () => {
  it('opens the episode of an alarm the alarm store has as raised but the notifier never saw', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'notify-missed-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'gateway.db');
    const before = AlarmStore.open(path, [...MIGRATIONS, ...NOTIFY_MIGRATIONS]);
    const lifecycle = new AlarmLifecycle({ clock: new VirtualClock(T0), maxShelveMs: 3_600_000 });
    persistLifecycle(lifecycle, before);
    lifecycle.onRaise({ type: 'raise', alarmId: hot.alarmId, site: 'hq', device: 'pump-1', rule: 'hot', kind: 'state', priority: 'high', message: 'hot', conditionSince: T0, ts: T0 });
    lifecycle.stop();
    before.close(); // died before the notifier committed anything

    const clock = new VirtualClock(T0 + 2 * MIN);
    const alarmStore = AlarmStore.open(path, [...MIGRATIONS, ...NOTIFY_MIGRATIONS]);
    cleanups.push(() => alarmStore.close());
    const phones = new RecordingChannel('phones', clock);
    const ops = new RecordingChannel('ops', clock);
    const h = harness({ clock, db: alarmStore.database, alarmStore, config: notificationsConfig(section), channels: [phones, ops], alarms: [hot] });
    cleanups.push(() => h.notifier.stop());
    await clock.advance(0);
    await h.notifier.idle();
    expect(phones.sent.map((n) => `${n.recipient}/${n.kind}/${n.key}`)).toEqual([`person:alice/raise/pump-1:hot@${T0}`]);
    expect(ops.sent).toHaveLength(1);
    expect(h.notifier.episodes()[0]?.escalations[0]?.nextEscalationAt).toBe(T0 + 12 * MIN);
  });
});

interface Receiver {
  url: string;
  paths: string[];
}

async function startReceiver(status: (index: number) => number): Promise<Receiver> {
  const paths: string[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const index = paths.length;
      paths.push(req.url ?? '');
      res.writeHead(status(index), { 'content-type': 'text/plain' }).end(index === 0 ? 'boom' : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, paths };
}

describe('alarm notifier over real HTTP channels', () => {
  it('retries a channel answering 500 while another channel delivers on time, logging and counting every attempt', async () => {
    const failing = await startReceiver((i) => (i < 2 ? 500 : 200));
    const healthy = await startReceiver(() => 200);
    const lines: Array<Record<string, unknown>> = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
        cb();
      },
    });
    const clock = new VirtualClock(T0);
    const config = notificationsConfig({
      channels: [
        { id: 'hook', type: 'webhook', url: `${failing.url}/alarms`, retry: { maxAttempts: 4, baseDelayMs: 1000 } },
        { id: 'phones', type: 'ntfy', url: `${healthy.url}/`, topic: 'facility' },
      ],
      people: [{ id: 'alice', name: 'Alice', contacts: { hook: 'alice@hook', phones: 'alice-oncall' } }],
      policies: [{ id: 'p', levels: [{ notify: [{ person: 'alice' }], waitMinutes: 10 }] }],
      routes: [{ match: {}, policy: 'p' }],
    });
    const h = harness({ clock, db: openDb(), config, channels: createChannels(config, { clock }), alarms: [hot], logger: createLogger({ level: 'info', destination }) });
    cleanups.push(() => h.notifier.stop());
    h.raise(hot.alarmId);

    await waitUntil(() => healthy.paths.length === 1 && failing.paths.length === 1, 'both channels were tried once');
    expect(healthy.paths).toEqual(['/alice-oncall']);
    const hookRow = () => h.store.deliveriesOf(`pump-1:hot@${T0}`).find((d) => d.channel === 'hook');
    const phoneRow = () => h.store.deliveriesOf(`pump-1:hot@${T0}`).find((d) => d.channel === 'phones');
    await waitUntil(() => phoneRow()?.status === 'sent' && hookRow()?.attempts === 1, 'ntfy delivered, webhook attempt 1 recorded');
    expect(hookRow()).toMatchObject({ status: 'pending', lastError: expect.stringContaining('HTTP 500') as unknown });
    await clock.advance(1000);
    await waitUntil(() => hookRow()?.attempts === 2, 'webhook attempt 2');
    expect(failing.paths).toHaveLength(2);
    await clock.advance(2000);
    await waitUntil(() => hookRow()?.status === 'sent', 'webhook delivered on attempt 3');
    expect(hookRow()?.attempts).toBe(3);
    expect(failing.paths).toHaveLength(3);
    expect(healthy.paths).toHaveLength(1);

    const stats = h.notifier.stats();
    expect(stats.channels.hook).toMatchObject({ sent: 1, failed: 0, retried: 2 });
    expect(stats.channels.phones).toMatchObject({ sent: 1, failed: 0, retried: 0 });
    expect(stats.deliveries).toMatchObject({ sent: 2, pending: 0, failed: 0 });
    const attempts = lines.filter((l) => l.channel === 'hook' && typeof l.outcome === 'string');
    expect(attempts.map((l) => [l.attempt, l.outcome])).toEqual([[1, 'retry'], [2, 'retry'], [3, 'sent']]);
    expect(attempts[0]).toMatchObject({ recipient: 'person:alice', key: `pump-1:hot@${T0}`, error: expect.stringContaining('HTTP 500') as unknown });
  });
});
