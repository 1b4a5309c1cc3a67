import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { completedOnTime } from '../../../src/maintenance/store.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { completeOrder, config, openGateway, schedule } from './fixture.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const iso = (ts: number | undefined) => (ts === undefined ? undefined : new Date(ts).toISOString());

describe('calendar schedules', () => {
  let dir: string;
  let gateways: Array<{ close(): void }>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pm-'));
    gateways = [];
  });
  afterEach(() => {
    for (const g of gateways) g.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function gateway(clock: VirtualClock, cfg: Parameters<typeof openGateway>[2], tz: string) {
    const g = openGateway(dir, clock, cfg, tz);
    gateways.push(g);
    return g;
  }

  it('every 15 days in Asia/Shanghai: one preventive order per elevator per period, due after 10% of the interval', async () => {
    const clock = new VirtualClock(Date.parse('2026-01-01T00:00:00Z'));
    const g = gateway(clock, config({ schedules: [schedule({ id: 'lift-15d', kind: 'calendar', everyDays: 15, start: '2026-01-05T09:00', assign: { contractor: 'Otis' } })] }), 'Asia/Shanghai');
    g.service.start();
    await clock.advanceTo(Date.parse('2026-01-05T00:59:59Z'));
    expect(g.orders.list()).toHaveLength(0);
    await clock.advanceTo(Date.parse('2026-01-05T01:00:00Z'));
    const first = g.orders.list().reverse();
    expect(first.map((o) => o.asset)).toEqual(['lift-1', 'lift-2']);
    expect(first[0]).toMatchObject({
      type: 'preventive',
      status: 'assigned',
      contractor: 'Otis',
      title: 'Lift 1: lift-15d',
      location: 'Core A',
      source: { kind: 'schedule', ref: 'lift-15d' },
      dueAt: Date.parse('2026-01-05T01:00:00Z') + 1.5 * DAY,
    });
    expect(first[0]?.description).toContain('- [ ] Check it');
    expect(first[0]?.description).not.toContain('late');
    await clock.advanceTo(Date.parse('2026-01-20T00:00:00Z'));
    expect(g.orders.list()).toHaveLength(2);
    await clock.advanceTo(Date.parse('2026-01-20T01:00:00Z'));
    expect(g.orders.list()).toHaveLength(4);
    const planned = g.service.plannedOrders(0, Date.parse('2027-01-01T00:00:00Z'));
    expect(planned.map((p) => iso(p.dueAt))).toEqual(['2026-01-05T01:00:00.000Z', '2026-01-05T01:00:00.000Z', '2026-01-20T01:00:00.000Z', '2026-01-20T01:00:00.000Z']);
    expect(planned[0]).toMatchObject({ trigger: 'calendar', intervalMs: 15 * DAY, lateMs: 0 });
    // PM compliance: done within 10% of the interval (1.5 days) after it fell due.
    const rec = planned[0];
    if (rec === undefined) throw new Error('no record');
    expect(completedOnTime(rec, rec.dueAt + 1.4 * DAY)).toBe(true);
    expect(completedOnTime(rec, rec.dueAt + 1.6 * DAY)).toBe(false);
    expect(g.service.status().schedules[0]?.assets[0]).toMatchObject({ asset: 'lift-1', nextDueAt: Date.parse('2026-02-04T01:00:00Z') });
  });

  it('fixed cron in Europe/Berlin keeps Sunday 09:00 local across the DST change', async () => {
    const clock = new VirtualClock(Date.parse('2026-03-20T00:00:00Z'));
    const g = gateway(clock, config({ schedules: [schedule({ id: 'weekly', kind: 'calendar', cron: '0 9 * * sun', assets: { devices: ['lift-1'] } })] }), 'Europe/Berlin');
    g.service.start();
    await clock.advanceTo(Date.parse('2026-04-06T00:00:00Z'));
    const due = g.service.plannedOrders(0, Number.MAX_SAFE_INTEGER).map((p) => iso(p.dueAt));
    expect(due).toEqual(['2026-03-22T08:00:00.000Z', '2026-03-29T07:00:00.000Z', '2026-04-05T07:00:00.000Z']);
    // The orders were opened exactly then: the service's timer ran on the virtual clock.
    expect(g.orders.list().map((o) => iso(o.createdAt)).reverse()).toEqual(due);
  });

  it('floating: the next order is due N days after the last completion (Berlin, across DST), none while one is open', async () => {
    const clock = new VirtualClock(Date.parse('2026-03-01T00:00:00Z'));
    const g = gateway(
      clock,
      config({ schedules: [schedule({ id: 'float', kind: 'calendar', everyDays: 14, floating: true, start: '2026-03-10T09:00', assets: { devices: ['lift-1'] } })] }),
      'Europe/Berlin',
    );
    g.service.start();
    await clock.advanceTo(Date.parse('2026-03-10T08:00:00Z'));
    const [first] = g.orders.list();
    expect(first).toBeDefined();
    // Still open after two intervals: nothing new (the next due is counted from the completion).
    await clock.advanceTo(Date.parse('2026-04-01T00:00:00Z'));
    expect(g.orders.list()).toHaveLength(1);
    expect(g.service.status().schedules[0]?.assets[0]?.nextDueAt).toBeUndefined();
    completeOrder(g.orders, first?.id ?? 0);
    // Completed 1 April 02:00 CEST (00:00Z): due 15 April 09:00 CEST.
    expect(iso(g.service.status().schedules[0]?.assets[0]?.nextDueAt)).toBe('2026-04-15T07:00:00.000Z');
    await clock.advanceTo(Date.parse('2026-04-15T06:59:00Z'));
    expect(g.orders.list()).toHaveLength(1);
    await clock.advanceTo(Date.parse('2026-04-15T07:00:00Z'));
    expect(g.orders.list()).toHaveLength(2);
  });

  it('floating in Asia/Shanghai, with the completion made while the gateway was stopped', async () => {
    const clock = new VirtualClock(Date.parse('2026-05-01T00:00:00Z'));
    const cfg = config({ schedules: [schedule({ id: 'float', kind: 'calendar', everyDays: 30, floating: true, start: '2026-05-02T10:00', assets: { devices: ['lift-2'] } })] });
    const a = gateway(clock, cfg, 'Asia/Shanghai');
    a.service.start();
    await clock.advanceTo(Date.parse('2026-05-02T02:00:00Z'));
    const [order] = a.orders.list();
    a.service.stop();
    clock.advanceSync(3 * DAY);
    completeOrder(a.orders, order?.id ?? 0); // nobody listening: the service learns it at start
    const b = gateway(clock, cfg, 'Asia/Shanghai');
    b.service.start();
    expect(iso(b.service.status().schedules[0]?.assets[0]?.nextDueAt)).toBe('2026-06-04T02:00:00.000Z');
  });

  it('does not open a period twice after a restart', async () => {
    const clock = new VirtualClock(Date.parse('2026-01-01T00:00:00Z'));
    const cfg = config({ schedules: [schedule({ id: 'monthly', kind: 'calendar', cron: '0 9 1 * *' })] });
    const a = gateway(clock, cfg, 'Asia/Shanghai');
    a.service.start();
    await clock.advanceTo(Date.parse('2026-02-01T01:00:00Z'));
    // 1 January and 1 February, for both lifts.
    expect(a.orders.list()).toHaveLength(4);
    a.close();
    gateways = gateways.filter((g) => g !== a);
    // Restarted in the same minute, and again an hour later: still four orders.
    for (const after of [0, HOUR]) {
      clock.advanceSync(after);
      const b = gateway(clock, cfg, 'Asia/Shanghai');
      b.service.start();
      await clock.advance(1000);
      expect(b.orders.list()).toHaveLength(4);
      b.close();
      gateways = gateways.filter((g) => g !== b);
    }
    // Even a plan row that lags behind its orders (as if its write were lost) cannot open a period again:
    // the period each order covers is recorded with it, in the same transaction.
    const stale = new Database(join(dir, 'gw.db'));
    stale.prepare('UPDATE maintenance_plan SET last_due_at = ?').run(Date.parse('2026-01-01T00:00:00Z'));
    stale.close();
    const c = gateway(clock, cfg, 'Asia/Shanghai');
    c.service.start();
    expect(c.orders.list()).toHaveLength(4);
    await clock.advanceTo(Date.parse('2026-03-01T01:00:00Z'));
    expect(c.orders.list()).toHaveLength(6);
  });

  it('catches up after downtime: the period that fell due is opened late and says so', async () => {
    const clock = new VirtualClock(Date.parse('2026-01-01T00:00:00Z'));
    const cfg = config({ schedules: [schedule({ id: 'lift-15d', kind: 'calendar', everyDays: 15, start: '2026-01-05T09:00', assets: { devices: ['lift-1'] } })] });
    const a = gateway(clock, cfg, 'Asia/Shanghai');
    a.service.start();
    await clock.advanceTo(Date.parse('2026-01-05T01:00:00Z'));
    expect(a.orders.list()).toHaveLength(1);
    a.close();
    gateways = gateways.filter((g) => g !== a);
    // Down from 5 January until 8 February: the periods of 20 January and 4 February fell due meanwhile.
    clock.advanceSync(Date.parse('2026-02-08T04:00:00Z') - clock.now());
    const b = gateway(clock, cfg, 'Asia/Shanghai');
    b.service.start();
    const orders = b.orders.list();
    expect(orders).toHaveLength(2);
    const late = orders[0];
    expect(late?.description).toMatch(/Opened late: this period fell due 2026-02-04 09:00 Asia\/Shanghai, 4 d 3 h before/);
    expect(late?.description).toMatch(/1 earlier period also passed meanwhile \(2026-01-20 09:00 Asia\/Shanghai\)/);
    const planned = b.service.plannedOrders(0, Number.MAX_SAFE_INTEGER);
    expect(planned[1]).toMatchObject({ dueAt: Date.parse('2026-02-04T01:00:00Z'), lateMs: (4 * 24 + 3) * HOUR });
    // The grid continues: next due 19 February.
    expect(iso(b.service.status().schedules[0]?.assets[0]?.nextDueAt)).toBe('2026-02-19T01:00:00.000Z');
  });

  it('a new schedule does not open periods from before it existed', async () => {
    const clock = new VirtualClock(Date.parse('2026-06-01T00:00:00Z'));
    const g = gateway(clock, config({ schedules: [schedule({ id: 'lift-15d', kind: 'calendar', everyDays: 15, start: '2026-01-05T09:00' })] }), 'Asia/Shanghai');
    g.service.start();
    await clock.advance(HOUR);
    expect(g.orders.list()).toHaveLength(0);
    expect(iso(g.service.status().schedules[0]?.assets[0]?.nextDueAt)).toBe('2026-06-04T01:00:00.000Z');
  });
});
