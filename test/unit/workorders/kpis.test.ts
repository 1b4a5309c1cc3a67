import { describe, expect, it } from 'vitest';
import { computeWorkOrderKpis, durationStats } from '../../../src/workorders/kpis.js';
import { at, DAY, FROM, HOUR, MIN, novemberMonth, TO } from './kpis-month.js';

describe('work-order KPIs of a hand-built month (figures computed by hand from the definitions)', () => {
  const month = novemberMonth();
  const kpis = computeWorkOrderKpis({ from: FROM, to: TO, ...month });

  it('counts orders opened, completed and cancelled in the period, as of its end', () => {
    // Opened: 1 2 3 4 5 7 8 9 10 12 13 14 (6 and 11 date from October). Completed before Dec 1: 1 2 4 5 6 9 13 (12 only on Dec 2).
    expect(kpis.volume).toEqual({
      opened: 12,
      completed: 7,
      cancelled: 2,
      byType: { corrective: { opened: 6, completed: 3 }, preventive: { opened: 6, completed: 4 }, inspection: { opened: 0, completed: 0 } },
    });
  });

  it('MTTA: acknowledge − raise of the alarm that opened each order; the next episode’s ack does not count', () => {
    expect(kpis.mtta.samples.map((s) => [s.number, s.ackMs])).toEqual([
      ['WO-000001', 4 * MIN],
      ['WO-000002', 10 * MIN],
      ['WO-000003', undefined],
    ]);
    expect(kpis.mtta.unacknowledged).toBe(1);
    expect(kpis.mtta.stats).toEqual({ count: 2, meanMs: 7 * MIN, medianMs: 7 * MIN, p90Ms: 10 * MIN, maxMs: 10 * MIN });
  });

  it('MTTR: completion − alarm raise (manual orders: − creation), corrective orders only, per asset and contractor', () => {
    expect(kpis.mttr.samples.map((s) => [s.number, s.faultFrom, s.repairMs])).toEqual([
      ['WO-000001', 'alarm', 2 * HOUR],
      ['WO-000002', 'alarm', 5 * HOUR],
      ['WO-000004', 'created', 2 * HOUR],
    ]);
    expect(kpis.mttr.stats).toEqual({ count: 3, meanMs: 3 * HOUR, medianMs: 2 * HOUR, p90Ms: 5 * HOUR, maxMs: 5 * HOUR });
    expect(kpis.mttr.byAsset.map((g) => [g.key, g.stats.count, g.stats.meanMs])).toEqual([
      ['door-3', 1, 2 * HOUR],
      ['elevator-2', 2, 3.5 * HOUR],
    ]);
    expect(kpis.mttr.byContractor.map((g) => [g.key, g.stats.meanMs])).toEqual([
      ['(in-house)', 2 * HOUR],
      ['KONE', 3.5 * HOUR],
    ]);
  });

  it('SLA compliance: clocks settled in the period; a running clock past its deadline is a breach; a later meeting is still running', () => {
    // Response: met 1 and 12, breached 2 (11's breach is October's). Resolution: met 1, breached 2 and 3; 12 running.
    expect(kpis.sla.response).toEqual({ met: 2, breached: 1, percentMet: (200 / 3), running: 0 });
    expect(kpis.sla.resolution).toEqual({ met: 1, breached: 2, percentMet: (100 / 3), running: 1 });
    expect(kpis.sla.breaches.map((b) => [b.number, b.kind, b.lateMs, b.openAtEnd])).toEqual([
      ['WO-000002', 'response', 20 * MIN, false],
      ['WO-000002', 'resolution', HOUR, false],
      ['WO-000003', 'resolution', TO - at('2026-11-21T08:00:00Z'), true],
    ]);
    expect(kpis.sla.breaches[2]?.lateMs).toBe(9 * DAY + 16 * HOUR);
  });

  it('planned-maintenance compliance: done by the due time plus 10 % of the interval (earlier is fine)', () => {
    expect(kpis.plannedMaintenance.items.map((i) => [i.number, i.outcome, i.deviationMs])).toEqual([
      ['WO-000006', 'late', 36 * HOUR],
      ['WO-000009', 'not-measurable', undefined],
      ['WO-000005', 'on-time', 30 * HOUR],
      ['WO-000014', 'missed', undefined],
      ['WO-000013', 'on-time', -96 * HOUR],
      ['WO-000007', 'missed', undefined],
      ['WO-000008', 'pending', undefined],
    ]);
    expect(kpis.plannedMaintenance.counts).toEqual({ 'on-time': 2, late: 1, missed: 2, pending: 1, 'not-measurable': 1 });
    expect(kpis.plannedMaintenance.percentOnTime).toBe(40);
    expect(kpis.plannedMaintenance.items.find((i) => i.number === 'WO-000006')?.toleranceMs).toBeCloseTo(16.8 * HOUR);
  });

  it('backlog at the end: unfinished orders by age, type and priority, overdue ones', () => {
    expect(kpis.backlog.items.map((i) => [i.number, i.status, i.ageMs, i.overdue])).toEqual([
      ['WO-000011', 'open', 42 * DAY, false],
      ['WO-000003', 'assigned', 10 * DAY + 16 * HOUR, true],
      ['WO-000007', 'assigned', 3 * DAY, true],
      // Completed on Dec 2: in progress as of the end of November.
      ['WO-000012', 'in-progress', 2 * DAY + 12 * HOUR, false],
      ['WO-000008', 'open', 16 * HOUR, true],
    ]);
    expect(kpis.backlog).toMatchObject({
      total: 5,
      overdue: 3,
      byAge: [
        { label: 'under 1 day', count: 1 },
        { label: '1–7 days', count: 2 },
        { label: '7–30 days', count: 1 },
        { label: '30 days or more', count: 1 },
      ],
      byType: { corrective: 3, preventive: 2, inspection: 0 },
      byPriority: { critical: 0, high: 2, medium: 2, low: 1 },
    });
  });

  it('repeat faults: the same asset and fault kind more than once in the period, per asset and per contractor', () => {
    expect(kpis.repeatFaults.byAsset).toEqual([
      {
        asset: 'elevator-2',
        faultKind: 'fault_trapped',
        occurrences: 3,
        orders: ['WO-000001', 'WO-000002'],
        contractors: ['KONE'],
        firstAt: at('2026-11-03T10:00:00Z'),
        lastAt: at('2026-11-10T22:00:00Z'),
      },
      {
        asset: 'pump-1',
        faultKind: 'discharge_pressure_low',
        occurrences: 2,
        orders: ['WO-000003'],
        contractors: ['(in-house)'],
        firstAt: at('2026-11-20T08:00:00Z'),
        lastAt: at('2026-11-22T09:00:00Z'),
      },
    ]);
    // In-house: pump-1 ×2 (a repeat), door-3, pump-2 (its October creation is outside), elevator-1.
    expect(kpis.repeatFaults.byContractor).toEqual([
      { contractor: 'KONE', repeatFaults: 1, occurrences: 3, allOccurrences: 3, assets: ['elevator-2'] },
      { contractor: '(in-house)', repeatFaults: 1, occurrences: 2, allOccurrences: 5, assets: ['pump-1'] },
    ]);
  });

  it('gives the same figures whatever happened after the period', () => {
    const later = novemberMonth();
    later.events.push({ seq: 999, orderId: 3, kind: 'complete', from: 'in-progress', to: 'completed', by: 'x', ts: at('2026-12-05T00:00:00Z') });
    later.alarmTransitions.push({ alarmId: 'pump-1:discharge_pressure_low', action: 'ack', from: 'unack-active', ts: at('2026-12-01T00:00:00Z') });
    expect(computeWorkOrderKpis({ from: FROM, to: TO, ...later })).toEqual(kpis);
  });

  it('an empty period has no averages and no percentages, not zeros', () => {
    const empty = computeWorkOrderKpis({ from: FROM, to: TO, orders: [], events: [], alarmTransitions: [], sla: [] });
    expect(empty.mtta.stats.meanMs).toBeNull();
    expect(empty.sla.response.percentMet).toBeNull();
    expect(empty.plannedMaintenance.percentOnTime).toBeNull();
    expect(durationStats([5, 1, 3, 2])).toEqual({ count: 4, meanMs: 2.75, medianMs: 2.5, p90Ms: 5, maxMs: 5 });
  });
});
