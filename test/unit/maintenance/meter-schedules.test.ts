import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MeterCounter } from '../../../src/maintenance/meter-counter.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { completeOrder, config, good, openGateway, schedule } from './fixture.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-02-01T00:00:00Z');

describe('meter counter', () => {
  it('counts the increase of a device counter, through a reset, and refuses an impossible jump', () => {
    const c = new MeterCounter('booster-1.run_hours', 'value', 1.1);
    expect(c.update(good('booster-1.run_hours', 1200, T0))).toBe('unchanged'); // first reading: the base
    expect(c.update(good('booster-1.run_hours', 1210, T0 + 10 * HOUR))).toBe('counted');
    expect(c.update({ point: 'booster-1.run_hours', value: 5000, ts: T0 + 11 * HOUR, quality: 'bad' })).toBe('unchanged');
    // Controller replaced: its counter starts again from 0 and shows 2 h two hours later.
    expect(c.update(good('booster-1.run_hours', 2, T0 + 12 * HOUR))).toBe('reset');
    expect(c.update(good('booster-1.run_hours', 5, T0 + 15 * HOUR))).toBe('counted');
    // A used controller fitted, showing 90,000 h: not counted, re-based on it.
    expect(c.update(good('booster-1.run_hours', 90_000, T0 + 16 * HOUR))).toBe('implausible');
    expect(c.update(good('booster-1.run_hours', 90_003, T0 + 19 * HOUR))).toBe('counted');
    expect(c.total).toBe(10 + 2 + 3 + 3);
    expect(c.resets).toBe(2);
  });

  it('counts rising edges of a binary point; the first reading is no start', () => {
    const c = new MeterCounter('fire-pump-1.running', 'rising-edges', Number.POSITIVE_INFINITY);
    const seq: Array<boolean | number> = [true, false, true, true, 0, 1, false];
    seq.forEach((v, i) => c.update(good('fire-pump-1.running', v, T0 + i * 1000)));
    expect(c.total).toBe(2);
  });
});

describe('meter schedules', () => {
  let dir: string;
  let gateways: Array<{ close(): void }>;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pm-meter-'));
    gateways = [];
  });
  afterEach(() => {
    for (const g of gateways) g.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const gateway = (clock: VirtualClock, cfg: Parameters<typeof openGateway>[2]) => {
    const g = openGateway(dir, clock, cfg, 'Asia/Shanghai');
    gateways.push(g);
    return g;
  };

  const runHours = (from: 'completion' | 'order', every: number) =>
    config({
      schedules: [
        schedule({
          id: 'booster-500h',
          kind: 'meter',
          meter: { point: 'run_hours', every, count: 'value', from },
          assets: { devices: ['booster-1'] },
          title: '{deviceName}: {schedule} service',
          dueMinutes: 3 * 24 * 60,
        }),
      ],
    });

  it('opens an order every 500 run hours since the last completion, none while it is open', () => {
    const clock = new VirtualClock(T0);
    const g = gateway(clock, runHours('completion', 500));
    g.service.start();
    let reading = 12_000;
    const feed = (hours: number) => {
      for (let h = 0; h < hours; h += 10) {
        clock.advanceSync(10 * HOUR);
        reading += 10;
        g.service.onSamples([good('booster-1.run_hours', reading, clock.now()), good('booster-1.flow', 12, clock.now())]);
      }
    };
    g.service.onSamples([good('booster-1.run_hours', reading, clock.now())]);
    feed(490);
    expect(g.orders.list()).toHaveLength(0);
    feed(10);
    const [order] = g.orders.list();
    expect(order).toMatchObject({ asset: 'booster-1', type: 'preventive', title: 'Booster 1: booster-500h service', source: { kind: 'schedule', ref: 'booster-500h' } });
    expect(order?.description).toContain('run_hours reached 500 (due at 500: every 500 since 0)');
    expect(order?.dueAt).toBe(clock.now() + 3 * 24 * HOUR);
    expect(g.service.plannedOrders(0, Number.MAX_SAFE_INTEGER)[0]).toMatchObject({ trigger: 'meter', meterPoint: 'booster-1.run_hours', meterDue: 500, meterEvery: 500 });
    feed(300);
    expect(g.orders.list()).toHaveLength(1);
    completeOrder(g.orders, order?.id ?? 0); // at 800 h
    expect(g.service.status().schedules[0]?.assets[0]?.meter).toEqual({ point: 'run_hours', reading: 800, dueAt: 1300, every: 500 });
    feed(490);
    expect(g.orders.list()).toHaveLength(1);
    feed(10);
    expect(g.orders.list()).toHaveLength(2);
  });

  it('counts starts (false→true of running) and opens every 3 starts on a grid from the order', () => {
    const clock = new VirtualClock(T0);
    const g = gateway(
      clock,
      config({
        schedules: [
          schedule({ id: 'starts', kind: 'meter', meter: { point: 'running', every: 3, count: 'rising-edges', from: 'order' }, assets: { devices: ['fire-pump-1'] }, title: '{device} starts' }),
        ],
      }),
    );
    g.service.start();
    const start = () => {
      clock.advanceSync(60_000);
      g.service.onSamples([good('fire-pump-1.running', true, clock.now())]);
      clock.advanceSync(60_000);
      g.service.onSamples([good('fire-pump-1.running', false, clock.now())]);
    };
    g.service.onSamples([good('fire-pump-1.running', false, clock.now())]);
    start();
    start();
    // A stale repeat of `true` is not a start.
    g.service.onSamples([{ point: 'fire-pump-1.running', value: true, ts: clock.now(), quality: 'stale' }]);
    expect(g.orders.list()).toHaveLength(0);
    start();
    expect(g.orders.list()).toHaveLength(1);
    // From the order: the next is due 3 starts later even though the first is still open.
    start();
    start();
    start();
    expect(g.orders.list()).toHaveLength(2);
    expect(g.service.status().counters).toEqual([{ point: 'fire-pump-1.running', mode: 'rising-edges', total: 6, lastRaw: 0, resets: 0 }]);
  });

  it('keeps counting across a device counter reset and across restarts, from the store', async () => {
    const clock = new VirtualClock(T0);
    const cfg = runHours('order', 100);
    const a = gateway(clock, cfg);
    a.service.start();
    const at = (h: number) => T0 + h * HOUR;
    a.service.onSamples([good('booster-1.run_hours', 1200, at(0))]);
    a.service.onSamples([good('booster-1.run_hours', 1210, at(10))]);
    a.service.onSamples([good('booster-1.run_hours', 2, at(12))]); // controller replaced
    a.service.onSamples([good('booster-1.run_hours', 5, at(15))]);
    a.service.onSamples([good('booster-1.run_hours', 90_000, at(16))]); // used controller: no 89,995 h jump
    expect(a.service.status().counters[0]).toMatchObject({ total: 15, lastRaw: 90_000, resets: 2 });
    expect(a.orders.list()).toHaveLength(0);
    await clock.advance(10_000); // the flush timer writes the counter
    // kill -9: no stop(). The next process resumes from the saved counter and the device's own reading.
    clock.advanceSync(at(40) - clock.now());
    const b = gateway(clock, cfg);
    b.service.start();
    expect(b.service.status().counters[0]).toMatchObject({ total: 15, lastRaw: 90_000 });
    b.service.onSamples([good('booster-1.run_hours', 90_020, at(40))]);
    expect(b.service.status().counters[0]?.total).toBe(35);
    // Unsaved when the process dies again: the device's counter still carries the hours.
    const c = gateway(clock, cfg);
    c.service.start();
    c.service.onSamples([good('booster-1.run_hours', 90_100, at(120))]);
    expect(c.service.status().counters[0]?.total).toBe(115);
    expect(c.orders.list()).toHaveLength(1);
  });
});
