import type { KpiAlarmTransition, KpiSlaClock, PlannedInfo } from '../../../src/workorders/kpis.js';
import { orderNumber } from '../../../src/workorders/store.js';
import type { WorkOrder, WorkOrderEvent, WorkOrderStatus } from '../../../src/workorders/types.js';

/**
 * A hand-built November 2026 of one building: fourteen orders whose every figure the KPI tests compute by
 * hand from the definitions in src/workorders/kpis.ts. Shared by the KPI and the report tests.
 */

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;
export const at = (iso: string): number => Date.parse(iso);
export const FROM = at('2026-11-01T00:00:00Z');
export const TO = at('2026-12-01T00:00:00Z');

export interface Month {
  orders: WorkOrder[];
  events: WorkOrderEvent[];
  alarmTransitions: KpiAlarmTransition[];
  sla: KpiSlaClock[];
  planned: Map<number, PlannedInfo>;
}

type Step = [kind: WorkOrderEvent['kind'], ts: number, to?: WorkOrderStatus, data?: Record<string, unknown>];

export function novemberMonth(): Month {
  const orders: WorkOrder[] = [];
  const events: WorkOrderEvent[] = [];
  let seq = 1;
  const add = (o: Omit<WorkOrder, 'number' | 'updatedAt' | 'occurrences' | 'version' | 'status'>, steps: Step[]): void => {
    let status: WorkOrderStatus = 'open';
    let occurrences = 0;
    for (const [kind, ts, to, data] of steps) {
      events.push({ seq: seq++, orderId: o.id, kind, by: 'test', ts, ...(to !== undefined ? { to } : {}), ...(data !== undefined ? { data } : {}) });
      if (to !== undefined) status = to;
      if (kind === 'created' || kind === 'occurrence') occurrences++;
    }
    orders.push({ ...o, number: orderNumber(o.id), status, updatedAt: steps.at(-1)?.[1] ?? o.createdAt, occurrences: Math.max(1, occurrences), version: steps.length });
  };
  const alarmRef = (alarmId: string, raisedAt: number) => ({ ref: `${alarmId}@${raisedAt}`, alarmId, template: 'x' });
  const corrective = { site: 'tower', type: 'corrective' as const };
  const preventive = { site: 'tower', type: 'preventive' as const, source: { kind: 'schedule' as const } };

  // 1: entrapment on Nov 3, acknowledged after 4 min, on site in 25 min, repaired in 2 h.
  const r1 = at('2026-11-03T10:00:00Z');
  add(
    { ...corrective, id: 1, asset: 'elevator-2', priority: 'critical', title: 'Entrapment', faultKey: 'fault_trapped', source: { kind: 'alarm', ref: 'elevator-2:fault_trapped' }, contractor: 'KONE', createdAt: r1, dueAt: r1 + 4 * HOUR, arrivedAt: r1 + 25 * MIN, startedAt: r1 + 30 * MIN, completedAt: r1 + 2 * HOUR },
    [
      ['created', r1, 'assigned', alarmRef('elevator-2:fault_trapped', r1)],
      ['arrival', r1 + 25 * MIN],
      ['start', r1 + 30 * MIN, 'in-progress'],
      ['complete', r1 + 2 * HOUR, 'completed'],
    ],
  );
  // 2: the same fault on Nov 10, again at 22:00 on the same order; on site 20 min late, repaired 1 h late.
  const r2 = at('2026-11-10T20:00:00Z');
  add(
    { ...corrective, id: 2, asset: 'elevator-2', priority: 'critical', title: 'Entrapment', faultKey: 'fault_trapped', source: { kind: 'alarm', ref: 'elevator-2:fault_trapped' }, contractor: 'KONE', createdAt: r2, dueAt: r2 + 4 * HOUR, arrivedAt: r2 + 50 * MIN, startedAt: r2 + 55 * MIN, completedAt: r2 + 5 * HOUR },
    [
      ['created', r2, 'assigned', alarmRef('elevator-2:fault_trapped', r2)],
      ['arrival', r2 + 50 * MIN],
      ['start', r2 + 55 * MIN, 'in-progress'],
      ['occurrence', r2 + 2 * HOUR, undefined, { ref: `elevator-2:fault_trapped@${r2 + 2 * HOUR}` }],
      ['complete', r2 + 5 * HOUR, 'completed'],
      ['close', r2 + 30 * HOUR, 'closed'],
    ],
  );
  // 3: low pressure on Nov 20, never acknowledged (the ack on Nov 22 belongs to the next episode), still open.
  const r3 = at('2026-11-20T08:00:00Z');
  const r3b = at('2026-11-22T09:00:00Z');
  add(
    { ...corrective, id: 3, asset: 'pump-1', priority: 'high', title: 'Low discharge pressure', faultKey: 'discharge_pressure_low', source: { kind: 'alarm', ref: 'pump-1:discharge_pressure_low' }, assignee: 'li.wei', createdAt: r3, dueAt: r3 + DAY },
    [
      ['created', r3, 'assigned', alarmRef('pump-1:discharge_pressure_low', r3)],
      ['occurrence', r3b, undefined, { ref: `pump-1:discharge_pressure_low@${r3b}` }],
    ],
  );
  // 4: a manual order: door forced, repaired in 2 h.
  const c4 = at('2026-11-25T09:00:00Z');
  add(
    { ...corrective, id: 4, asset: 'door-3', priority: 'medium', title: 'Door closer broken', cause: 'door_forced', source: { kind: 'manual' }, assignee: 'li.wei', createdAt: c4, completedAt: c4 + 2 * HOUR },
    [
      ['created', c4, 'assigned'],
      ['start', c4 + HOUR, 'in-progress'],
      ['complete', c4 + 2 * HOUR, 'completed'],
    ],
  );
  // 5: 15-day elevator maintenance due Nov 15, done 30 h late (tolerance 36 h): on time.
  const d5 = at('2026-11-15T00:00:00Z');
  add({ ...preventive, id: 5, asset: 'elevator-2', priority: 'medium', title: '15-day maintenance', contractor: 'KONE', createdAt: FROM, dueAt: d5, completedAt: d5 + 30 * HOUR }, [
    ['created', FROM, 'assigned'],
    ['start', d5 + 28 * HOUR, 'in-progress'],
    ['complete', d5 + 30 * HOUR, 'completed'],
  ]);
  // 6: weekly pump check due Nov 8 (opened in October), done 36 h late (tolerance 16.8 h): late.
  const d6 = at('2026-11-08T00:00:00Z');
  add({ ...preventive, id: 6, asset: 'pump-1', priority: 'low', title: 'Weekly pump check', createdAt: at('2026-10-31T00:00:00Z'), dueAt: d6, completedAt: d6 + 36 * HOUR }, [
    ['created', at('2026-10-31T00:00:00Z'), 'assigned'],
    ['start', d6 + 35 * HOUR, 'in-progress'],
    ['complete', d6 + 36 * HOUR, 'completed'],
  ]);
  // 7: weekly fire-pump test due Nov 29 12:00, not done; its window closed Nov 30 04:48: missed.
  add({ ...preventive, id: 7, asset: 'fire-pump', priority: 'high', title: 'Weekly fire-pump test', createdAt: at('2026-11-28T00:00:00Z'), dueAt: at('2026-11-29T12:00:00Z') }, [
    ['created', at('2026-11-28T00:00:00Z'), 'assigned'],
  ]);
  // 8: monthly inspection due Nov 30 20:00, window open until Dec 3: pending.
  add({ ...preventive, id: 8, asset: 'fire-panel', priority: 'medium', title: 'Monthly fire-system inspection', createdAt: at('2026-11-30T08:00:00Z'), dueAt: at('2026-11-30T20:00:00Z') }, [
    ['created', at('2026-11-30T08:00:00Z'), 'open'],
  ]);
  // 9: preventive order without a known interval: not measurable.
  add({ ...preventive, id: 9, asset: 'door-3', priority: 'low', title: 'Lubricate hinges', createdAt: at('2026-11-11T00:00:00Z'), dueAt: at('2026-11-12T00:00:00Z'), completedAt: at('2026-11-12T03:00:00Z') }, [
    ['created', at('2026-11-11T00:00:00Z'), 'assigned'],
    ['start', at('2026-11-12T02:00:00Z'), 'in-progress'],
    ['complete', at('2026-11-12T03:00:00Z'), 'completed'],
  ]);
  // 10: a false alarm, cancelled the same day.
  const c10 = at('2026-11-05T07:00:00Z');
  add({ ...corrective, id: 10, asset: 'elevator-1', priority: 'high', title: 'Door reopening', faultKey: 'door_reopen_repeated', source: { kind: 'manual' }, createdAt: c10 }, [
    ['created', c10, 'open'],
    ['cancel', c10 + HOUR, 'cancelled'],
  ]);
  // 11: a bearing fault opened in October, still open; it recurred once in November (no repeat within the month).
  const c11 = at('2026-10-20T00:00:00Z');
  add({ ...corrective, id: 11, asset: 'pump-2', priority: 'low', title: 'Bearing hot', faultKey: 'bearing_hot', source: { kind: 'rule' }, createdAt: c11 }, [
    ['created', c11, 'open'],
    ['occurrence', at('2026-11-05T00:00:00Z')],
  ]);
  // 12: in progress at the end of the month, completed on Dec 2 (after the period).
  const c12 = at('2026-11-28T12:00:00Z');
  add({ ...corrective, id: 12, asset: 'elevator-1', priority: 'medium', title: 'Noisy guide shoe', source: { kind: 'manual' }, contractor: 'KONE', createdAt: c12, dueAt: at('2026-12-03T00:00:00Z'), completedAt: at('2026-12-02T00:00:00Z') }, [
    ['created', c12, 'assigned'],
    ['start', c12 + HOUR, 'in-progress'],
    ['complete', at('2026-12-02T00:00:00Z'), 'completed'],
  ]);
  // 13: 30-day pump service due Nov 20 (the order's own due-by is Nov 23), done Nov 16, 96 h before: on time.
  add({ ...preventive, id: 13, asset: 'pump-1', priority: 'low', title: '30-day pump service', createdAt: at('2026-11-10T00:00:00Z'), dueAt: at('2026-11-23T00:00:00Z'), completedAt: at('2026-11-16T00:00:00Z') }, [
    ['created', at('2026-11-10T00:00:00Z'), 'assigned'],
    ['start', at('2026-11-15T23:00:00Z'), 'in-progress'],
    ['complete', at('2026-11-16T00:00:00Z'), 'completed'],
  ]);
  // 14: weekly test due Nov 18, cancelled: missed.
  add({ ...preventive, id: 14, asset: 'fire-pump', priority: 'high', title: 'Weekly fire-pump test', createdAt: at('2026-11-12T00:00:00Z'), dueAt: at('2026-11-18T00:00:00Z') }, [
    ['created', at('2026-11-12T00:00:00Z'), 'assigned'],
    ['cancel', at('2026-11-17T00:00:00Z'), 'cancelled', undefined],
  ]);

  const alarmTransitions: KpiAlarmTransition[] = [
    { alarmId: 'elevator-2:fault_trapped', action: 'raise', from: 'normal', ts: r1 },
    { alarmId: 'elevator-2:fault_trapped', action: 'ack', from: 'unack-active', ts: r1 + 4 * MIN },
    { alarmId: 'elevator-2:fault_trapped', action: 'clear', from: 'ack-active', ts: r1 + 40 * MIN },
    { alarmId: 'elevator-2:fault_trapped', action: 'raise', from: 'normal', ts: r2 },
    { alarmId: 'elevator-2:fault_trapped', action: 'ack', from: 'unack-active', ts: r2 + 10 * MIN },
    { alarmId: 'pump-1:discharge_pressure_low', action: 'raise', from: 'normal', ts: r3 },
    { alarmId: 'pump-1:discharge_pressure_low', action: 'clear', from: 'unack-active', ts: r3 + HOUR },
    { alarmId: 'pump-1:discharge_pressure_low', action: 'raise', from: 'rtn-unack', ts: r3b },
    { alarmId: 'pump-1:discharge_pressure_low', action: 'ack', from: 'unack-active', ts: r3b + HOUR },
  ];

  const sla: KpiSlaClock[] = [
    { orderId: 1, kind: 'response', deadline: r1 + 30 * MIN, targetMinutes: 30, status: 'met', settledAt: r1 + 25 * MIN, doneAt: r1 + 25 * MIN },
    { orderId: 1, kind: 'resolution', deadline: r1 + 4 * HOUR, targetMinutes: 240, status: 'met', settledAt: r1 + 2 * HOUR, doneAt: r1 + 2 * HOUR },
    { orderId: 2, kind: 'response', deadline: r2 + 30 * MIN, targetMinutes: 30, status: 'breached', settledAt: r2 + 30 * MIN, doneAt: r2 + 50 * MIN },
    { orderId: 2, kind: 'resolution', deadline: r2 + 4 * HOUR, targetMinutes: 240, status: 'breached', settledAt: r2 + 4 * HOUR, doneAt: r2 + 5 * HOUR },
    // Not recorded by a monitor (none ran): as of the end of the month it is breached, still open.
    { orderId: 3, kind: 'resolution', deadline: r3 + DAY, targetMinutes: 1440, status: 'running' },
    { orderId: 10, kind: 'response', deadline: c10 + 2 * HOUR, targetMinutes: 120, status: 'void', settledAt: c10 + HOUR },
    { orderId: 11, kind: 'response', deadline: c11 + 8 * HOUR, targetMinutes: 480, status: 'breached', settledAt: c11 + 8 * HOUR },
    { orderId: 12, kind: 'response', deadline: c12 + 8 * HOUR, targetMinutes: 480, status: 'met', settledAt: c12 + HOUR, doneAt: c12 + HOUR },
    // Met on Dec 2: as of the end of November still running.
    { orderId: 12, kind: 'resolution', deadline: at('2026-12-03T00:00:00Z'), targetMinutes: 6480, status: 'met', settledAt: at('2026-12-02T00:00:00Z') },
  ];

  // As the maintenance schedules record them; 13's order carries a later "due by", its period fell due on Nov 20.
  const planned = new Map<number, PlannedInfo>([
    [5, { intervalMs: 15 * DAY }],
    [6, { intervalMs: 7 * DAY }],
    [7, { intervalMs: 7 * DAY }],
    [8, { intervalMs: 30 * DAY }],
    [13, { dueAt: at('2026-11-20T00:00:00Z'), intervalMs: 30 * DAY }],
    [14, { intervalMs: 7 * DAY }],
  ]);
  return { orders, events, alarmTransitions, sla, planned };
}
