import type Database from 'better-sqlite3';
import { computeAlarmKpis, DEFAULT_CHATTER_RULE, DEFAULT_FLOOD_RULE, type AlarmKpis, type ChatterRule, type KpiSnapshot, type KpiTransition } from '../alarms/kpis.js';
import type { AlarmFlags, AlarmSnapshot } from '../alarms/lifecycle/types.js';
import type { AlarmPriority } from '../profiles/types.js';
import { computeWorkOrderKpis, type KpiSlaClock, type PlannedInfo, type WorkOrderKpis } from '../workorders/kpis.js';
import { SlaStore } from '../workorders/sla-store.js';
import { slaStartOf } from '../workorders/sla-targets.js';
import { WorkOrderStore } from '../workorders/store.js';
import type { WorkOrder, WorkOrderEvent } from '../workorders/types.js';
import type { ReportPeriod } from './period.js';

/** Everything a period report shows; the renderers only lay it out. */
export interface PeriodReport {
  site: { id: string; name: string; timeZone: string };
  period: ReportPeriod;
  generatedAt: number;
  workOrders: WorkOrderKpis;
  alarms: AlarmKpis;
  /** What the reader must know about the figures (missing data, assumptions). */
  notes: string[];
}

/**
 * What planned-maintenance compliance of a preventive order is measured against: its schedule's due time and
 * interval. The maintenance schedules record them per order (`maintenance_order`: due_at, interval_ms); an
 * order without such a record may carry `intervalMs` in its `created` event data (the detail a schedule passes
 * to `openOrAppend`), measured against its own `dueAt`.
 */
export type PlannedOf = (order: WorkOrder, created: WorkOrderEvent | undefined) => PlannedInfo | undefined;

export const plannedFromCreatedEvent: PlannedOf = (_order, created) => {
  const v = created?.data?.intervalMs;
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? { intervalMs: v } : undefined;
};

export interface ReportContext {
  site: { id: string; name: string; timezone: string };
  /** The site's chattering rule (alarmManagement.chatter). */
  chatter?: ChatterRule;
  /** Overrides where the due time and interval of preventive orders come from (default: see PlannedOf). */
  plannedOf?: PlannedOf;
}

/** The store cannot give a report (not a gateway store, or too old); the message says which. */
export class ReportError extends Error {
  override readonly name = 'ReportError';
}

/**
 * Reads the period's data from a gateway store and computes its KPIs. Only reads: works on a read-only
 * connection to the database of a running gateway (WAL lets a reader see the last commit without blocking
 * the writer).
 */
export function buildReport(db: Database.Database, period: ReportPeriod, context: ReportContext, generatedAt: number): PeriodReport {
  const notes: string[] = [];
  for (const table of ['work_order', 'work_order_event', 'alarm_transition', 'alarm_state']) {
    if (!hasTable(db, table)) throw new ReportError(`the store has no ${table} table: is it a facility-gw store, written by a version with work orders?`);
  }
  const store = new WorkOrderStore(db);
  const orders = store.list();
  const events = store.eventsBetween(0, period.to - 1);
  const createdOf = new Map<number, WorkOrderEvent>();
  for (const e of events) if (e.kind === 'created' && !createdOf.has(e.orderId)) createdOf.set(e.orderId, e);

  let sla: KpiSlaClock[];
  if (SlaStore.available(db)) {
    sla = new SlaStore(db).list();
    const clocked = new Set(sla.map((c) => `${c.orderId}:${c.kind}`));
    // Orders the SLA monitor never saw (opened before it ran): their due time is the resolution deadline.
    sla.push(...resolutionFromDueTimes(orders.filter((o) => !clocked.has(`${o.id}:resolution`)), createdOf));
  } else {
    sla = resolutionFromDueTimes(orders, createdOf);
    notes.push('This gateway kept no SLA clocks: resolution compliance comes from the orders’ due times, response compliance is not available.');
  }

  const scheduled = hasTable(db, 'maintenance_order') ? readScheduledOrders(db) : new Map<number, PlannedInfo>();
  const plannedOf = context.plannedOf ?? ((o: WorkOrder, created: WorkOrderEvent | undefined) => scheduled.get(o.id) ?? plannedFromCreatedEvent(o, created));
  const planned = new Map<number, PlannedInfo>();
  for (const o of orders) {
    if (o.type !== 'preventive') continue;
    const info = plannedOf(o, createdOf.get(o.id));
    if (info !== undefined) planned.set(o.id, info);
  }

  const historyFrom = period.from - DEFAULT_FLOOD_RULE.windowMs;
  const transitions = readTransitions(db, historyFrom, period.to);
  const snapshots = readSnapshots(db);
  const workOrders = computeWorkOrderKpis({ from: period.from, to: period.to, orders, events, alarmTransitions: transitions, sla, planned });
  const siteOfAlarm = new Map(snapshots.map((s) => [s.alarmId, s.site]));
  const alarms = computeAlarmKpis({
    transitions,
    snapshots,
    from: period.from,
    to: period.to,
    siteOf: (alarmId) => siteOfAlarm.get(alarmId) ?? context.site.id,
    sites: [context.site.id],
    chatter: context.chatter ?? DEFAULT_CHATTER_RULE,
  });
  const unmeasured = workOrders.plannedMaintenance.counts['not-measurable'];
  if (unmeasured > 0) notes.push(`${unmeasured} preventive order(s) have no schedule interval or due time: not counted in planned-maintenance compliance.`);
  return { site: { id: context.site.id, name: context.site.name, timeZone: context.site.timezone }, period, generatedAt, workOrders, alarms, notes };
}

function resolutionFromDueTimes(orders: readonly WorkOrder[], createdOf: ReadonlyMap<number, WorkOrderEvent>): KpiSlaClock[] {
  return orders.flatMap((o): KpiSlaClock[] => {
    if (o.dueAt === undefined) return [];
    const start = slaStartOf(o, createdOf.get(o.id));
    const done = o.completedAt;
    const met = done !== undefined && done <= o.dueAt;
    const status = met ? 'met' : done !== undefined ? 'breached' : o.status === 'cancelled' ? 'void' : 'running';
    return [
      {
        orderId: o.id,
        kind: 'resolution',
        deadline: o.dueAt,
        targetMinutes: Math.round((o.dueAt - start) / 60_000),
        status,
        ...(met ? { settledAt: done } : {}),
        ...(done !== undefined ? { doneAt: done } : {}),
        source: 'order.dueAt',
      },
    ];
  });
}

/** The maintenance schedules' record of the orders they opened (src/maintenance/migrations.ts). */
function readScheduledOrders(db: Database.Database): Map<number, PlannedInfo> {
  const rows = db.prepare('SELECT order_id, due_at, interval_ms FROM maintenance_order').all() as { order_id: number; due_at: number; interval_ms: number | null }[];
  return new Map(rows.map((r) => [r.order_id, { dueAt: r.due_at, ...(r.interval_ms !== null ? { intervalMs: r.interval_ms } : {}) }]));
}

function hasTable(db: Database.Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

interface TransitionRow {
  seq: number;
  alarm_id: string;
  action: string;
  from_state: string;
  to_state: string;
  ts: number;
  annunciate: number;
  flags: string;
  priority: string | null;
}

/** The alarm audit log of [from, to], read without the AlarmStore (which migrates, i.e. writes, on open). */
function readTransitions(db: Database.Database, from: number, to: number): KpiTransition[] {
  const rows = db
    .prepare('SELECT seq, alarm_id, action, from_state, to_state, ts, annunciate, flags, priority FROM alarm_transition WHERE ts >= ? AND ts <= ? ORDER BY ts, seq')
    .all(from, to) as TransitionRow[];
  return rows.map((r) => ({
    seq: r.seq,
    alarmId: r.alarm_id,
    action: r.action as KpiTransition['action'],
    from: r.from_state as KpiTransition['from'],
    to: r.to_state as KpiTransition['to'],
    ts: r.ts,
    annunciate: r.annunciate === 1,
    flags: JSON.parse(r.flags) as AlarmFlags,
    ...(r.priority !== null ? { priority: r.priority as AlarmPriority } : {}),
  }));
}

function readSnapshots(db: Database.Database): KpiSnapshot[] {
  return (db.prepare('SELECT snapshot FROM alarm_state ORDER BY alarm_id').all() as { snapshot: string }[]).map((r) => JSON.parse(r.snapshot) as AlarmSnapshot);
}
