import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CmmsOutboundConfig } from '../../../src/config/cmms-schema.js';
import { migrate } from '../../../src/alarms/lifecycle/migrations.js';
import { GATEWAY_MIGRATIONS } from '../../../src/gateway/store-migrations.js';
import { silentLogger } from '../../../src/log.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { CMMS_MIGRATIONS } from '../../../src/workorders/cmms/migrations.js';
import { CmmsOutbound } from '../../../src/workorders/cmms/outbound.js';
import type { WorkOrderWebhook } from '../../../src/workorders/cmms/payload.js';
import { WorkOrderService } from '../../../src/workorders/service.js';
import { WorkOrderStore } from '../../../src/workorders/store.js';
import type { NewWorkOrder } from '../../../src/workorders/types.js';
import { TestReceiver } from './receiver.js';

const T0 = Date.parse('2026-11-02T08:00:00Z');
const SECRET = 'cmms-outbound-secret-0123456789';
const BASE_MS = 1000;

const pumpOrder = (asset = 'pump-1', type: NewWorkOrder['type'] = 'corrective'): NewWorkOrder => ({
  site: 'tower',
  asset,
  type,
  priority: 'high',
  title: `Pump fault on ${asset}`,
  source: { kind: 'manual' },
});

describe('CMMS outbound webhooks', () => {
  let dir: string;
  let db: Database.Database;
  let clock: VirtualClock;
  let orders: WorkOrderService;
  let outbound: CmmsOutbound;
  let receiver: TestReceiver;
  let url: string;

  function open(targets: Array<Partial<CmmsOutboundConfig>>, c: VirtualClock = clock, inboundName?: string): void {
    db = new Database(join(dir, 'gw.db'));
    db.pragma('journal_mode = WAL');
    migrate(db, [...GATEWAY_MIGRATIONS, ...CMMS_MIGRATIONS]);
    orders = new WorkOrderService(new WorkOrderStore(db), c);
    outbound = new CmmsOutbound({
      targets: targets.map((t) => ({ id: 'cmms', url, secret: SECRET, baseDelayMs: BASE_MS, maxDelayMs: 60_000, maxAttempts: 6, maxAgeHours: 1, timeoutMs: 2000, ...t }) as CmmsOutboundConfig),
      db,
      clock: c,
      logger: silentLogger(),
      random: () => 0.5, // delays are 3/4 of nominal: 750, 1500, 3000 ms …
      inboundName,
    });
    orders.subscribe(outbound.listener);
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cmms-out-'));
    clock = new VirtualClock(T0);
    receiver = new TestReceiver(SECRET);
    url = await receiver.listen();
  });
  afterEach(async () => {
    await outbound.stop();
    db.close();
    await receiver.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Moves virtual time and waits for the real HTTP exchanges that it set off. */
  async function advance(ms: number): Promise<void> {
    await clock.advance(ms);
    await outbound.idle();
  }

  it('signs each event, retries 5xx with exponential back-off, and delivers it once with one idempotency key', async () => {
    open([{}]);
    receiver.answer(500, 503, 500);
    outbound.start();
    const order = orders.create(pumpOrder(), 'li.wei');
    await outbound.idle();
    expect(receiver.received).toHaveLength(1);

    await advance(749); // first retry after 750 ms (1000 nominal, jitter 0.5)
    expect(receiver.received).toHaveLength(1);
    await advance(1);
    expect(receiver.received).toHaveLength(2);
    await advance(1499);
    expect(receiver.received).toHaveLength(2);
    await advance(1);
    expect(receiver.received).toHaveLength(3);
    await advance(3000);
    expect(receiver.received).toHaveLength(4);
    await advance(60_000);
    expect(receiver.received).toHaveLength(4); // delivered: never sent again

    expect(receiver.received.every((r) => r.signatureOk)).toBe(true);
    expect(receiver.received.map((r) => r.answered)).toEqual([500, 503, 500, 200]);
    const events = orders.events(order.id);
    expect(new Set(receiver.keys())).toEqual(new Set([`${order.number}:${events[0]?.seq}`]));
    expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1); // the same bytes every attempt
    expect(receiver.received.map((r) => r.headers['x-delivery-attempt'])).toEqual(['1', '2', '3', '4']);
    const timestamps = receiver.received.map((r) => Number(r.headers['x-signature-timestamp']));
    expect(timestamps).toEqual([T0, T0 + 750, T0 + 2250, T0 + 5250]);

    const body = JSON.parse(receiver.received[0]?.body ?? '{}') as WorkOrderWebhook;
    expect(body).toMatchObject({ id: receiver.keys()[0], type: 'work-order.created', site: 'tower', event: { kind: 'created', by: 'li.wei' }, order: { number: order.number, asset: 'pump-1' } });
    expect(receiver.received[0]?.headers['content-type']).toBe('application/json');

    const [status] = outbound.status();
    expect(status).toMatchObject({ id: 'cmms', pending: 0, sent: 1, failed: 0, sentSinceStart: 1, retriedSinceStart: 3, failedSinceStart: 0, oldestPendingAgeMs: null });
    expect(status?.url).toBe(url);
  });

  it('keeps the order of an order’s events, while another order is not held up by its back-off', async () => {
    open([{}]);
    outbound.start();
    receiver.answer(500); // the first event of order A fails once
    const a = orders.create(pumpOrder('pump-1'), 'office');
    orders.act(a.id, 'assign', { by: 'office', assignee: 'li.wei' });
    orders.act(a.id, 'start', { by: 'li.wei' });
    const b = orders.create(pumpOrder('pump-2'), 'office');
    await outbound.idle();
    // A's created failed; A's later events wait behind it; B went ahead.
    const seqA = orders.events(a.id).map((e) => `${a.number}:${e.seq}`);
    const seqB = orders.events(b.id).map((e) => `${b.number}:${e.seq}`);
    expect(receiver.keys()).toEqual([seqA[0], ...seqB]);
    expect(outbound.status()[0]).toMatchObject({ pending: 3 });

    await advance(750);
    expect(receiver.keys()).toEqual([seqA[0], ...seqB, ...seqA]);
    const delivered = receiver.received.filter((r) => r.answered === 200).map((r) => JSON.parse(r.body) as WorkOrderWebhook);
    const ofA = delivered.filter((w) => w.order.id === a.id).map((w) => w.event.kind);
    expect(ofA).toEqual(['created', 'assign', 'start']);
    expect(delivered.find((w) => w.event.kind === 'start')?.order.status).toBe('in-progress');
    expect(outbound.status()[0]).toMatchObject({ pending: 0, sent: 4 });
  });

  it('marks a 4xx answer failed at once, with the reason, and lets the order’s next event go', async () => {
    open([{}]);
    outbound.start();
    receiver.answer(400);
    const order = orders.create(pumpOrder(), 'office');
    await outbound.idle();
    await advance(3_600_000);
    expect(receiver.received).toHaveLength(1);
    const [status] = outbound.status();
    expect(status).toMatchObject({ pending: 0, sent: 0, failed: 1, failedSinceStart: 1, retriedSinceStart: 0 });
    expect(status?.lastError).toMatch(/^refused: HTTP 400 scripted 400/);
    expect(outbound.rows('cmms', 'failed')[0]).toMatchObject({ attempts: 1, lastStatus: 400 });

    orders.comment(order.id, 'li.wei', 'parts ordered');
    await outbound.idle();
    expect(receiver.received.map((r) => r.answered)).toEqual([400, 200]);

    // Fixed on the CMMS side: the office sends the failed one again.
    expect(outbound.requeueFailed('cmms')).toBe(1);
    await outbound.idle();
    expect(receiver.received.map((r) => r.answered)).toEqual([400, 200, 200]);
    expect(outbound.status()[0]).toMatchObject({ failed: 0, sent: 2 });
  });

  it('retries 408 and 429 (after Retry-After) and times out a CMMS that does not answer', async () => {
    open([{ timeoutMs: 200 }]);
    receiver.withHeaders(429, { 'retry-after': '30' });
    receiver.answer(408, 429, 'hang');
    outbound.start();
    orders.create(pumpOrder(), 'office');
    await outbound.idle();
    await advance(750);
    expect(receiver.received.map((r) => r.answered)).toEqual([408, 429]);
    await advance(29_999); // Retry-After: 30 s, longer than the back-off of 1500 ms
    expect(receiver.received).toHaveLength(2);
    await advance(1); // the third attempt hangs and times out (real 200 ms)
    expect(receiver.received).toHaveLength(3);
    expect(outbound.rows('cmms')[0]?.lastError).toMatch(/timed out after 200 ms/);
    await advance(3000);
    expect(receiver.received.map((r) => r.answered)).toEqual([408, 429, 0, 200]);
    expect(outbound.status()[0]).toMatchObject({ sent: 1, retriedSinceStart: 3 });
  });

  it('gives up after maxAttempts, and on events older than maxAgeHours', async () => {
    open([{ maxAttempts: 3 }]);
    receiver.answer(500, 500, 500);
    outbound.start();
    orders.create(pumpOrder(), 'office');
    await outbound.idle();
    await advance(750 + 1500);
    expect(receiver.received).toHaveLength(3);
    await advance(60_000);
    expect(receiver.received).toHaveLength(3);
    expect(outbound.status()[0]).toMatchObject({ failed: 1, pending: 0 });
    expect(outbound.rows('cmms', 'failed')[0]?.lastError).toMatch(/^gave up after 3 attempts: HTTP 500/);
  });

  it('refuses to wait past maxAgeHours', async () => {
    open([{ maxAttempts: 100, maxAgeHours: 1, maxDelayMs: 3_600_000 }]);
    receiver.withHeaders(503, { 'retry-after': '7200' });
    receiver.answer(503);
    outbound.start();
    orders.create(pumpOrder(), 'office');
    await outbound.idle();
    expect(outbound.rows('cmms', 'failed')[0]?.lastError).toMatch(/^gave up: not delivered within 1 h of being queued: HTTP 503/);
  });

  it('after a crash, resends the pending event on start with the same idempotency key', async () => {
    open([{}]);
    outbound.start();
    receiver.answer(500);
    const order = orders.create(pumpOrder(), 'office');
    await outbound.idle();
    expect(receiver.received).toHaveLength(1);
    // Crash: the process dies with the event pending (no stop(); its timers die with it).
    db.close();

    const later = new VirtualClock(T0 + 60_000);
    open([{}], later);
    expect(outbound.status()[0]).toMatchObject({ pending: 1 });
    outbound.start();
    await outbound.idle();
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1]?.answered).toBe(200);
    expect(receiver.keys()).toEqual([`${order.number}:${orders.events(order.id)[0]?.seq}`, `${order.number}:${orders.events(order.id)[0]?.seq}`]);
    expect(receiver.received[1]?.body).toBe(receiver.received[0]?.body);
    expect(receiver.received[1]?.headers['x-signature-timestamp']).toBe(String(T0 + 60_000));
    expect(outbound.status()[0]).toMatchObject({ pending: 0, sent: 1 });
  });

  it('queues an event the listener wrote before a crash that came before any attempt', async () => {
    open([{}]);
    // Not started: the listener writes the row, nothing is sent, then the process dies.
    const order = orders.create(pumpOrder(), 'office');
    db.close();
    open([{}]);
    outbound.start();
    await outbound.idle();
    expect(receiver.keys()).toEqual([`${order.number}:${orders.events(order.id)[0]?.seq}`]);
  });

  it('sends only the configured event kinds and order types, and not the inbound CMMS’s own changes', async () => {
    open([{ events: ['created', 'complete', 'comment'], types: ['corrective'] }, { id: 'lake', echoInbound: true }], clock, 'maximo');
    outbound.start();
    const fix = orders.create({ ...pumpOrder(), assignee: 'li.wei' }, 'office');
    orders.create(pumpOrder('pump-2', 'preventive'), 'office');
    orders.act(fix.id, 'start', { by: 'li.wei' });
    orders.comment(fix.id, 'cmms:maximo', 'ticket MX-1 opened');
    orders.act(fix.id, 'complete', { by: 'li.wei', resolution: 'bearing replaced' });
    await outbound.idle();
    const byTarget = (id: string) => outbound.rows(id, 'sent').map((r) => r.eventKind).reverse();
    expect(byTarget('cmms')).toEqual(['created', 'complete']);
    expect(byTarget('lake')).toEqual(['created', 'created', 'start', 'comment', 'complete']);
  });

  it('marks pending events of a target removed from the config failed at start', async () => {
    open([{ id: 'old-cmms' }]);
    orders.create(pumpOrder(), 'office');
    db.close();
    open([{ id: 'cmms' }]);
    outbound.start();
    await outbound.idle();
    expect(receiver.received).toHaveLength(0);
    expect(db.prepare("SELECT status, last_error FROM cmms_outbox WHERE target = 'old-cmms'").get()).toEqual({
      status: 'failed',
      last_error: 'target "old-cmms" is no longer configured (cmms.outbound)',
    });
  });
});
