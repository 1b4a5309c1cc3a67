import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../../src/alarms/lifecycle/migrations.js';
import type { MonthlyReportConfig } from '../../../src/config/reports-schema.js';
import type { NotifyChannelConfig } from '../../../src/config/notifications-schema.js';
import { GATEWAY_MIGRATIONS } from '../../../src/gateway/store-migrations.js';
import { silentLogger } from '../../../src/log.js';
import { webhookSignature } from '../../../src/notify/channels/webhook.js';
import { monthlyReportTargets } from '../../../src/reports/delivery.js';
import { DeliveryStore, REPORT_MIGRATIONS } from '../../../src/reports/delivery-store.js';
import { ReportScheduler } from '../../../src/reports/scheduler.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { WorkOrderService } from '../../../src/workorders/service.js';
import { SLA_MIGRATIONS } from '../../../src/workorders/sla-store.js';
import { WorkOrderStore } from '../../../src/workorders/store.js';

const SECRET = 'report-webhook-secret-0123456789';
const SITE = { id: 'tower', name: 'Harbour View Tower', timezone: 'Asia/Shanghai' };
/** Dec 1, 08:00 in Shanghai. */
const DEC_1_0800 = Date.parse('2026-12-01T00:00:00Z');
const JAN_1_0800 = Date.parse('2027-01-01T00:00:00Z');

interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

describe('ReportScheduler', () => {
  let dir: string;
  let db: Database.Database;
  const closers: Array<() => Promise<void>> = [];
  let hooks: Received[];
  let hookStatus: number[];
  let mails: Array<{ to: string[]; raw: string }>;
  let hookUrl: string;
  let smtpPort: number;
  let schedulers: ReportScheduler[];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reports-'));
    db = new Database(join(dir, 'gw.db'));
    db.pragma('journal_mode = WAL');
    migrate(db, [...GATEWAY_MIGRATIONS, ...SLA_MIGRATIONS, ...REPORT_MIGRATIONS]);
    hooks = [];
    hookStatus = [];
    mails = [];
    schedulers = [];

    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        hooks.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        res.statusCode = hookStatus.shift() ?? 200;
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/reports`;
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    smtpPort = (smtp.server.address() as AddressInfo).port;
    closers.push(() => new Promise<void>((resolve) => smtp.close(() => resolve())));
  });

  afterEach(async () => {
    for (const s of schedulers) await s.stop();
    for (const close of closers.splice(0)) await close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function scheduler(clock: VirtualClock, config: Partial<MonthlyReportConfig> = {}): ReportScheduler {
    const monthly: MonthlyReportConfig = {
      day: 1,
      time: '08:00',
      format: 'csv',
      email: { channel: 'mail', to: ['office@example.org'] },
      webhook: { url: hookUrl, secret: SECRET },
      ...config,
    };
    const channels: NotifyChannelConfig[] = [
      { id: 'mail', type: 'email', host: '127.0.0.1', port: smtpPort, secure: false, requireTLS: false, from: 'gw@example.org', to: [], timeoutMs: 5000 },
    ];
    const s = new ReportScheduler({ config: monthly, site: SITE, database: db, targets: monthlyReportTargets(monthly, channels, clock), clock, logger: silentLogger() });
    schedulers.push(s);
    s.start();
    return s;
  }

  async function stop(s: ReportScheduler): Promise<void> {
    await s.stop();
    schedulers.splice(schedulers.indexOf(s), 1);
  }

  it('sends last month’s report on the day and time, by email and signed webhook, once per month across a restart', async () => {
    const orders = new WorkOrderService(new WorkOrderStore(db), new VirtualClock(Date.parse('2026-11-10T02:00:00Z')));
    orders.create({ site: 'tower', asset: 'pump-1', type: 'corrective', priority: 'high', title: 'Seal leaking', source: { kind: 'manual' } }, 'office');

    const clock = new VirtualClock(Date.parse('2026-11-30T00:00:00Z'));
    const first = scheduler(clock);
    expect(first.nextRunAt()).toBe(DEC_1_0800);
    await clock.advanceTo(DEC_1_0800 - 1);
    await first.idle();
    expect(hooks).toHaveLength(0);

    await clock.advanceTo(DEC_1_0800);
    await first.idle();
    expect(hooks).toHaveLength(1);
    const hook = hooks[0];
    if (hook === undefined) throw new Error('no webhook');
    const timestamp = String(hook.headers['x-signature-timestamp']);
    expect(timestamp).toBe(String(DEC_1_0800));
    expect(hook.headers['x-signature']).toBe(webhookSignature(SECRET, timestamp, hook.body));
    expect(hook.headers['idempotency-key']).toBe('tower/monthly:2026-11');
    const payload = JSON.parse(hook.body) as { kind: string; period: { label: string }; headline: { opened: number; backlog: number }; file: { name: string; contentType: string; content: string } };
    expect(payload).toMatchObject({ kind: 'maintenance-report', period: { label: 'November 2026' }, headline: { opened: 1, backlog: 1 } });
    expect(payload.file).toMatchObject({ name: 'maintenance-report-tower-2026-11.csv', contentType: 'text/csv; charset=utf-8' });
    expect(payload.file.content).toMatch(/^# headline: Headline figures\r\n/);

    expect(mails).toHaveLength(1);
    expect(mails[0]?.to).toEqual(['office@example.org']);
    // The subject carries an em dash, so it travels encoded: "Maintenance report — Harbour View Tower — November 2026".
    expect(mails[0]?.raw).toMatch(/^Subject: =\?UTF-8\?Q\?Maintenance_report_=E2=80=94_Harbour_Vie\?=\r?\n =\?UTF-8\?Q\?w_Tower_=E2=80=94_November_2026\?=\r?$/m);
    expect(mails[0]?.raw).toContain('maintenance-report-tower-2026-11.csv');
    expect(mails[0]?.raw).toContain('text/html');
    expect(mails[0]?.raw).toMatch(/^X-Report-Key: tower\/monthly:2026-11\r?$/m);
    expect(first.nextRunAt()).toBe(JAN_1_0800);

    // Restart an hour later: November was delivered, nothing goes out again.
    await stop(first);
    const clock2 = new VirtualClock(DEC_1_0800 + 60 * 60_000);
    // (The store also remembers since when the schedule runs: a new install does not send October's report.)
    const second = scheduler(clock2);
    await second.idle();
    expect(second.nextRunAt()).toBe(JAN_1_0800);
    expect([hooks.length, mails.length]).toEqual([1, 1]);

    await clock2.advanceTo(JAN_1_0800);
    await second.idle();
    expect(hooks.map((h) => h.headers['idempotency-key'])).toEqual(['tower/monthly:2026-11', 'tower/monthly:2026-12']);
    expect(mails).toHaveLength(2);
    expect(new DeliveryStore(db).list().map((d) => [d.period, d.target, d.sentAt])).toEqual([
      ['monthly:2026-11', 'email:mail', DEC_1_0800],
      ['monthly:2026-11', 'webhook', DEC_1_0800],
      ['monthly:2026-12', 'email:mail', JAN_1_0800],
      ['monthly:2026-12', 'webhook', JAN_1_0800],
    ]);
  });

  it('catches up after being down on the day, retries only the target that failed, across a restart', async () => {
    // Running in November, then down over Dec 1.
    await stop(scheduler(new VirtualClock(Date.parse('2026-11-20T00:00:00Z'))));
    hookStatus = [503];
    const clock = new VirtualClock(Date.parse('2026-12-03T02:00:00Z'));
    const first = scheduler(clock);
    await first.idle();
    expect([hooks.length, mails.length]).toEqual([1, 1]);
    // Retried in a minute.
    expect(first.nextRunAt()).toBe(clock.now() + 60_000);
    expect(new DeliveryStore(db).list()).toMatchObject([
      { period: 'monthly:2026-11', target: 'email:mail', attempts: 1 },
      { period: 'monthly:2026-11', target: 'webhook', attempts: 1, lastError: expect.stringContaining('HTTP 503') as unknown },
    ]);

    await stop(first);
    const second = scheduler(new VirtualClock(clock.now() + 30_000));
    await second.idle();
    expect([hooks.length, mails.length]).toEqual([2, 1]);
    expect(second.nextRunAt()).toBe(JAN_1_0800);
  });

  it('does not retry a delivery the receiver refuses for good', async () => {
    hookStatus = [400];
    const clock = new VirtualClock(Date.parse('2026-11-30T00:00:00Z'));
    const s = scheduler(clock, { email: undefined, format: 'json' });
    await clock.advanceTo(DEC_1_0800);
    await s.idle();
    expect(hooks).toHaveLength(1);
    expect(s.nextRunAt()).toBe(JAN_1_0800);
    expect(new DeliveryStore(db).list()).toMatchObject([{ target: 'webhook', lastError: expect.stringContaining('HTTP 400') as unknown }]);
    expect(JSON.parse(hooks[0]?.body ?? '{}')).toMatchObject({ file: { name: 'maintenance-report-tower-2026-11.json' } });
  });
});
