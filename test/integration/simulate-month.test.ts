import { beforeAll, describe, expect, it } from 'vitest';
import { simulateMonth, type MonthResult } from '../../src/simulate/month.js';
import { monthSummary } from '../../src/simulate/summary.js';
import { UNFINISHED } from '../../src/workorders/types.js';

/**
 * `facility-gw simulate --days 30`: the demo building's scripted month (src/simulate/demo-month.ts) on the
 * virtual clock. Every expected figure below is worked out from the script and the schedule definitions by
 * hand (the comments say how), not copied from a run.
 */

const HOUR_MS = 3_600_000;
/** Shanghai local time on a day of November 2026, as an instant. */
const nov = (day: number, hh: number, mm = 0) => Date.UTC(2026, 10, day, hh - 8, mm);

/** A fault is seen with the next sample after it starts: samples go to the gateway every 10 s. */
const SAMPLE_MS = 10_000;
const seenAfter = (actual: number | undefined, faultAt: number) => {
  expect(actual).toBeGreaterThanOrEqual(faultAt);
  expect(actual).toBeLessThanOrEqual(faultAt + SAMPLE_MS);
};

let month: MonthResult;

beforeAll(async () => {
  month = await simulateMonth({ days: 30 });
}, 180_000);

const corrective = () => month.orders.filter((o) => o.type === 'corrective');
const key = (o: { asset: string; faultKey?: string | undefined }) => `${o.asset}/${o.faultKey ?? ''}`;

describe('a simulated month of the demo building', () => {
  it('opens the corrective orders the faults call for, no more', () => {
    // Entrapments on days 3 and 17 (the alarm button the passenger presses opens no order of its own); the
    // booster-1 overheat (1, both occurrences); elevator-3's leveling error (1). The fire pump's weekly test run
    // raises its running alarm, which is not a fault and opens no repair order.
    expect(corrective().map(key).sort()).toEqual(
      ['booster-1/motor_temperature_high', 'elevator-2/passenger_trapped', 'elevator-2/passenger_trapped', 'elevator-3/leveling_error'].sort(),
    );
    const trapped = corrective().filter((o) => o.faultKey === 'passenger_trapped');
    expect(trapped).toHaveLength(2);
    seenAfter(trapped[0]?.createdAt, nov(3, 8, 40));
    seenAfter(trapped[1]?.createdAt, nov(17, 18, 10));
    expect(trapped.every((o) => o.status === 'closed' && o.priority === 'critical' && o.contractor === 'Lift contractor (24 h line)')).toBe(true);
    expect(corrective().filter((o) => o.status === 'cancelled')).toEqual([]);
  });

  it('never holds two unfinished orders for one asset and fault kind; the recurrence is an occurrence', () => {
    for (const [id, events] of month.events) {
      const order = month.orders.find((o) => o.id === id);
      expect(order).toBeDefined();
      expect(events.filter((e) => e.kind === 'occurrence').length + 1).toBe(order?.occurrences);
    }
    // Replay every order's life: at no instant do two orders of one asset and fault kind overlap unfinished.
    const spans = month.orders
      .filter((o) => o.faultKey !== undefined)
      .map((o) => {
        const finished = (month.events.get(o.id) ?? []).find((e) => e.to !== undefined && !UNFINISHED.includes(e.to));
        return { key: key(o), from: o.createdAt, to: finished?.ts ?? Number.POSITIVE_INFINITY };
      });
    for (const a of spans) for (const b of spans) if (a !== b && a.key === b.key) expect(a.to <= b.from || b.to <= a.from).toBe(true);

    const booster = corrective().filter((o) => o.asset === 'booster-1');
    expect(booster).toHaveLength(1);
    expect(booster[0]?.occurrences).toBe(2);
    // The repeat entrapment is a second order (the first was completed), seen as a repeat fault.
    const repeat = month.report.workOrders.repeatFaults.byAsset.find((r) => r.asset === 'elevator-2' && r.faultKind === 'passenger_trapped');
    expect(repeat?.occurrences).toBe(2);
    expect(repeat?.orders).toHaveLength(2);
  });

  it('breaches exactly the SLAs the script misses', () => {
    const byKey = (asset: string, faultOrSchedule: string) =>
      month.orders.filter((o) => o.asset === asset && (o.faultKey === faultOrSchedule || o.source.ref === faultOrSchedule)).map((o) => o.number);
    const [, secondEntrapment] = byKey('elevator-2', 'passenger_trapped');
    const [leveling] = byKey('elevator-3', 'leveling_error');
    const [, latePm] = byKey('elevator-3', 'elevator-15-day');
    // Arrival 45 min after the second entrapment (target 30 min); the leveling order completed after 30 h
    // (target 24 h); elevator-3's second 15-day order completed day 18 11:30, after its due time day 17 21:00.
    expect(month.breaches.map((b) => `${b.order} ${b.kind}`).sort()).toEqual([`${secondEntrapment} response`, `${leveling} resolution`, `${latePm} resolution`].sort());
    const response = month.breaches.find((b) => b.kind === 'response');
    seenAfter(response?.deadline, nov(17, 18, 40));
    expect(response?.doneAt).toBe(nov(17, 18, 55));
    const sla = month.report.workOrders.sla;
    expect(sla.response.breached).toBe(1);
    expect(sla.resolution.breached).toBe(2);
  });

  it('measures planned-maintenance compliance as scripted: 7 of the 8 lift services on time', () => {
    // elevator-15-day is due every 15 days from 2026-01-05 09:00: on 1 and 16 November for 4 lifts. On time
    // means done within due + 10 % of 15 days (36 h); only elevator-3's of the 16th is done later.
    const pm = month.report.workOrders.plannedMaintenance;
    expect(pm.counts).toEqual({ 'on-time': 7, late: 1, missed: 0, pending: 0, 'not-measurable': 0 });
    expect(pm.percentOnTime).toBeCloseTo(87.5, 5);
    const late = pm.items.find((i) => i.outcome === 'late');
    expect(late?.dueAt).toBe(nov(16, 9));
    expect(late?.completedAt).toBe(nov(18, 11, 30));
    expect(late?.toleranceMs).toBe(36 * HOUR_MS);
  });

  it('attaches the fire pump’s weekly test run to each weekly order as evidence', () => {
    const weekly = month.orders.filter((o) => o.source.ref === 'fire-pump-weekly-test');
    // Mondays 08:00 local: 2, 9, 16, 23 and 30 November.
    expect(weekly.map((o) => o.createdAt)).toEqual([2, 9, 16, 23, 30].map((d) => nov(d, 8)));
    for (const o of weekly) {
      const evidence = (month.events.get(o.id) ?? []).filter((e) => e.kind === 'comment' && e.by === 'maintenance' && /^Test run seen in telemetry/.test(e.comment ?? ''));
      expect(evidence, o.number).toHaveLength(1);
      expect(evidence[0]?.comment).toMatch(/started 2026-11-\d\d 09:0\d/);
    }
  });

  it('prints a summary and finishes a month within the wall-time budget', () => {
    // 4 corrective, 8 preventive (the lifts' 15-day services), 6 inspections (5 weekly fire-pump tests and
    // the monthly manual start).
    expect(monthSummary(month)).toMatch(/simulated 30 days in [\d.]+ s: 18 work orders \(/);
    expect(month.wallMs).toBeLessThan(150_000);
  });
});
