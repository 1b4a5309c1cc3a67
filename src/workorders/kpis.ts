import type { StoredTransition } from '../alarms/lifecycle/sqlite-store.js';
import type { AlarmPriority } from '../profiles/types.js';
import type { SlaClockRecord } from './sla-store.js';
import { episodeTimeOf, type SlaKind } from './sla-targets.js';
import { UNFINISHED, type WorkOrder, type WorkOrderEvent, type WorkOrderStatus, type WorkOrderType } from './types.js';

/**
 * Work-order KPIs of a period [from, to): what the property-management office is judged by (DOMAIN.md
 * "Work orders"). Pure functions over the orders, their event history, the alarm audit log and the SLA
 * clocks: no clock, no I/O. Everything is evaluated *as of `to`*: an event at or after `to` has not happened
 * yet, so the report of a month gives the same figures whenever it is produced.
 *
 * Definitions:
 * - *Fault time* of an order: the raise of the alarm that opened it (the `created` event's episode key
 *   `<alarmId>@<raisedAt>`), else the order's creation (manual, rule, schedule and CMMS orders).
 * - *MTTA* (mean time to acknowledge): over the orders opened by an alarm whose opening raise falls in the
 *   period, acknowledge − raise, where acknowledge is the first `ack` of that alarm in the audit log after the
 *   raise, before the alarm's next episode and before `to`. Episodes without one are counted as
 *   unacknowledged, not averaged.
 * - *MTTR* (mean time to repair): over corrective orders whose last completion before `to` falls in the
 *   period, completion − fault time. Preventive and inspection orders are not repairs.
 * - *SLA compliance*, per kind (response: technician on site; resolution: work completed): a clock counts in
 *   the period when its outcome was settled in it — met on time (arrival/completion at or before the
 *   deadline) at that moment, or breached at its deadline (also a clock still running whose deadline passed
 *   before `to`: as of `to` it is breached). % met = met / (met + breached). Voided clocks (order cancelled
 *   before the deadline) do not count.
 * - *Planned-maintenance compliance* (SMRP 5.4.14): preventive orders whose period fell due in the period
 *   (`planned[id].dueAt`, the schedule's due time, else the order's `dueAt`), with the interval of their
 *   schedule (`planned[id].intervalMs`). On time: completed no later than due + `pmTolerance` (10 %) of the
 *   interval (earlier is fine). Late: completed after that. Missed: cancelled, or not completed by then.
 *   Pending: still within that window at `to` (not counted). % on time = on time / (on time + late + missed).
 *   An order without an interval or due time (meter-triggered ones) cannot be measured and is counted apart.
 * - *Backlog*: orders unfinished (open, assigned, in progress, on hold) at `to`, by age (to − creation),
 *   type and priority; overdue when their due time is before `to`.
 * - *Repeat faults*: fault occurrences (an order's `created` event and each `occurrence` appended to it) with
 *   a fault time in the period, grouped by asset and fault kind (the order's fault key, else its cause): a
 *   group with more than one occurrence is a repeat fault. Per contractor: the same, grouped by the
 *   contractor of the order that took each occurrence (`(in-house)` when it has none).
 */

export const IN_HOUSE = '(in-house)';
export const DEFAULT_PM_TOLERANCE = 0.1;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Backlog age buckets: [minimum age, label]; an order falls in the last bucket whose minimum it reaches. */
export const BACKLOG_AGE_BUCKETS: ReadonlyArray<readonly [number, string]> = [
  [0, 'under 1 day'],
  [DAY_MS, '1–7 days'],
  [7 * DAY_MS, '7–30 days'],
  [30 * DAY_MS, '30 days or more'],
];

export type KpiAlarmTransition = Pick<StoredTransition, 'alarmId' | 'action' | 'from' | 'ts'>;
export type KpiSlaClock = Pick<SlaClockRecord, 'orderId' | 'kind' | 'deadline' | 'targetMinutes' | 'status'> & Partial<Pick<SlaClockRecord, 'settledAt' | 'doneAt' | 'source'>>;

export interface WorkOrderKpiInput {
  /** Period start, ms since epoch (inclusive). */
  from: number;
  /** Period end, ms since epoch (exclusive). */
  to: number;
  orders: readonly WorkOrder[];
  /** The events of those orders, any time, any order. */
  events: readonly WorkOrderEvent[];
  /** The alarm audit log from `from` to `to` at least (acknowledgements; raises mark new episodes). */
  alarmTransitions: readonly KpiAlarmTransition[];
  /** The SLA clocks of those orders. */
  sla: readonly KpiSlaClock[];
  /** Preventive order id → its schedule's due time and interval (the maintenance schedules keep them). */
  planned?: ReadonlyMap<number, PlannedInfo>;
  /** Share of the interval a preventive order may be done early or late and still be on time (0.1). */
  pmTolerance?: number;
}

export interface DurationStats {
  count: number;
  meanMs: number | null;
  medianMs: number | null;
  /** Nearest-rank 90th percentile. */
  p90Ms: number | null;
  maxMs: number | null;
}

export interface OrderRef {
  orderId: number;
  number: string;
  asset: string;
  title: string;
  priority: AlarmPriority;
  contractor?: string;
  assignee?: string;
}

export interface MttaSample extends OrderRef {
  alarmId: string;
  raisedAt: number;
  acknowledgedAt?: number;
  ackMs?: number;
}

export interface MttrSample extends OrderRef {
  faultAt: number;
  /** Whether the fault time is the alarm's raise or the order's creation. */
  faultFrom: 'alarm' | 'created';
  completedAt: number;
  repairMs: number;
}

export interface GroupStats {
  key: string;
  stats: DurationStats;
}

export interface SlaCompliance {
  met: number;
  breached: number;
  /** null when nothing was settled in the period. */
  percentMet: number | null;
  /** Running at `to`, deadline still ahead. */
  running: number;
}

export interface SlaBreach extends OrderRef {
  kind: SlaKind;
  targetMinutes: number;
  deadline: number;
  /** Arrival / completion, when it happened before `to`. */
  doneAt?: number;
  /** done − deadline; for a breach still open at `to`, to − deadline. */
  lateMs: number;
  openAtEnd: boolean;
}

/** What planned-maintenance compliance is measured against, per preventive order. */
export interface PlannedInfo {
  /** When the schedule's period fell due; default: the order's `dueAt`. */
  dueAt?: number | undefined;
  /** The schedule's interval, ms (calendar schedules; meter schedules have none). */
  intervalMs?: number | undefined;
}

export type PmOutcome = 'on-time' | 'late' | 'missed' | 'pending' | 'not-measurable';

export interface PmItem extends OrderRef {
  dueAt?: number;
  intervalMs?: number;
  toleranceMs?: number;
  completedAt?: number;
  /** completion − due (negative: before the due time). */
  deviationMs?: number;
  outcome: PmOutcome;
}

export interface BacklogItem extends OrderRef {
  status: WorkOrderStatus;
  type: WorkOrderType;
  createdAt: number;
  ageMs: number;
  dueAt?: number;
  overdue: boolean;
}

export interface RepeatFault {
  asset: string;
  faultKind: string;
  occurrences: number;
  orders: string[];
  contractors: string[];
  firstAt: number;
  lastAt: number;
}

export interface ContractorRepeats {
  contractor: string;
  /** Asset + fault kind groups that recurred on this contractor's orders. */
  repeatFaults: number;
  /** Occurrences in those groups. */
  occurrences: number;
  /** Every occurrence on this contractor's orders in the period. */
  allOccurrences: number;
  assets: string[];
}

export interface WorkOrderKpis {
  from: number;
  to: number;
  volume: { opened: number; completed: number; cancelled: number; byType: Record<WorkOrderType, { opened: number; completed: number }> };
  mtta: { stats: DurationStats; unacknowledged: number; samples: MttaSample[] };
  mttr: { stats: DurationStats; byAsset: GroupStats[]; byContractor: GroupStats[]; samples: MttrSample[] };
  sla: { response: SlaCompliance; resolution: SlaCompliance; breaches: SlaBreach[] };
  plannedMaintenance: { counts: Record<PmOutcome, number>; percentOnTime: number | null; tolerance: number; items: PmItem[] };
  backlog: {
    total: number;
    overdue: number;
    byAge: { label: string; count: number }[];
    byType: Record<WorkOrderType, number>;
    byPriority: Record<AlarmPriority, number>;
    items: BacklogItem[];
  };
  repeatFaults: { byAsset: RepeatFault[]; byContractor: ContractorRepeats[] };
}

export function computeWorkOrderKpis(input: WorkOrderKpiInput): WorkOrderKpis {
  const { from, to } = input;
  const eventsByOrder = groupEvents(input.events, to);
  const history = (o: WorkOrder) => eventsByOrder.get(o.id) ?? [];
  // Orders that exist as of `to`.
  const orders = input.orders.filter((o) => o.createdAt < to);
  return {
    from,
    to,
    volume: volumeOf(orders, history, from, to),
    mtta: mttaOf(orders, history, input.alarmTransitions, from, to),
    mttr: mttrOf(orders, history, from, to),
    sla: slaOf(orders, input.sla, from, to),
    plannedMaintenance: pmOf(orders, history, input.planned ?? new Map(), input.pmTolerance ?? DEFAULT_PM_TOLERANCE, from, to),
    backlog: backlogOf(orders, history, to),
    repeatFaults: repeatsOf(orders, history, from, to),
  };
}

// ---- helpers shared by the measures ----

type History = (o: WorkOrder) => readonly WorkOrderEvent[];

function groupEvents(events: readonly WorkOrderEvent[], to: number): Map<number, WorkOrderEvent[]> {
  const map = new Map<number, WorkOrderEvent[]>();
  for (const e of events) {
    if (e.ts >= to) continue;
    const list = map.get(e.orderId) ?? [];
    list.push(e);
    map.set(e.orderId, list);
  }
  for (const list of map.values()) list.sort((a, b) => a.ts - b.ts || a.seq - b.seq);
  return map;
}

export function refOf(o: WorkOrder): OrderRef {
  return {
    orderId: o.id,
    number: o.number,
    asset: o.asset,
    title: o.title,
    priority: o.priority,
    ...(o.contractor !== undefined ? { contractor: o.contractor } : {}),
    ...(o.assignee !== undefined ? { assignee: o.assignee } : {}),
  };
}

/** The status an order had just before `to` (its history is cut at `to`). */
function statusAt(o: WorkOrder, events: readonly WorkOrderEvent[]): WorkOrderStatus {
  for (let i = events.length - 1; i >= 0; i--) {
    const to = events[i]?.to;
    if (to !== undefined) return to;
  }
  return o.status;
}

/** The last completion before `to`: a reopened order counts when it was finally completed. */
function completionAt(events: readonly WorkOrderEvent[]): number | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (e?.kind === 'complete') return e.ts;
    if (e?.kind === 'reopen') return undefined;
  }
  return undefined;
}

function faultTimeOf(o: WorkOrder, events: readonly WorkOrderEvent[]): { at: number; from: 'alarm' | 'created' } {
  const created = events.find((e) => e.kind === 'created');
  const raisedAt = o.source.kind === 'alarm' ? episodeTimeOf(created?.data?.ref) : undefined;
  return raisedAt !== undefined && raisedAt <= o.createdAt ? { at: raisedAt, from: 'alarm' } : { at: o.createdAt, from: 'created' };
}

const inPeriod = (t: number, from: number, to: number) => t >= from && t < to;

export function durationStats(values: readonly number[]): DurationStats {
  if (values.length === 0) return { count: 0, meanMs: null, medianMs: null, p90Ms: null, maxMs: null };
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const at = (i: number) => sorted[Math.min(n - 1, Math.max(0, i))] ?? 0;
  const median = n % 2 === 1 ? at((n - 1) / 2) : (at(n / 2 - 1) + at(n / 2)) / 2;
  return {
    count: n,
    meanMs: sorted.reduce((s, v) => s + v, 0) / n,
    medianMs: median,
    p90Ms: at(Math.ceil(0.9 * n) - 1),
    maxMs: at(n - 1),
  };
}

function percent(part: number, whole: number): number | null {
  return whole === 0 ? null : (100 * part) / whole;
}

const TYPES: readonly WorkOrderType[] = ['corrective', 'preventive', 'inspection'];
const PRIORITIES: readonly AlarmPriority[] = ['critical', 'high', 'medium', 'low'];

// ---- the measures ----

function volumeOf(orders: readonly WorkOrder[], history: History, from: number, to: number): WorkOrderKpis['volume'] {
  const byType = Object.fromEntries(TYPES.map((t) => [t, { opened: 0, completed: 0 }])) as Record<WorkOrderType, { opened: number; completed: number }>;
  let opened = 0;
  let completed = 0;
  let cancelled = 0;
  for (const o of orders) {
    const events = history(o);
    if (inPeriod(o.createdAt, from, to)) {
      opened++;
      byType[o.type].opened++;
    }
    const done = completionAt(events);
    if (done !== undefined && inPeriod(done, from, to)) {
      completed++;
      byType[o.type].completed++;
    }
    const cancel = events.find((e) => e.kind === 'cancel');
    if (cancel !== undefined && inPeriod(cancel.ts, from, to)) cancelled++;
  }
  return { opened, completed, cancelled, byType };
}

function mttaOf(orders: readonly WorkOrder[], history: History, log: readonly KpiAlarmTransition[], from: number, to: number): WorkOrderKpis['mtta'] {
  const byAlarm = new Map<string, KpiAlarmTransition[]>();
  for (const t of log) {
    if (t.ts >= to || (t.action !== 'ack' && t.action !== 'raise')) continue;
    const list = byAlarm.get(t.alarmId) ?? [];
    list.push(t);
    byAlarm.set(t.alarmId, list);
  }
  for (const list of byAlarm.values()) list.sort((a, b) => a.ts - b.ts);
  const samples: MttaSample[] = [];
  for (const o of orders) {
    if (o.source.kind !== 'alarm') continue;
    const created = history(o).find((e) => e.kind === 'created');
    const ref = created?.data?.ref;
    const raisedAt = episodeTimeOf(ref);
    if (typeof ref !== 'string' || raisedAt === undefined || !inPeriod(raisedAt, from, to)) continue;
    const alarmId = ref.slice(0, ref.lastIndexOf('@'));
    let ackAt: number | undefined;
    for (const t of byAlarm.get(alarmId) ?? []) {
      if (t.ts < raisedAt) continue;
      // A raise from normal or returned-unacknowledged starts the alarm's next episode.
      if (t.action === 'raise' && t.ts > raisedAt && (t.from === 'normal' || t.from === 'rtn-unack')) break;
      if (t.action === 'ack') {
        ackAt = t.ts;
        break;
      }
    }
    samples.push({ ...refOf(o), alarmId, raisedAt, ...(ackAt !== undefined ? { acknowledgedAt: ackAt, ackMs: ackAt - raisedAt } : {}) });
  }
  samples.sort((a, b) => a.raisedAt - b.raisedAt);
  const acked = samples.flatMap((s) => (s.ackMs !== undefined ? [s.ackMs] : []));
  return { stats: durationStats(acked), unacknowledged: samples.length - acked.length, samples };
}

function mttrOf(orders: readonly WorkOrder[], history: History, from: number, to: number): WorkOrderKpis['mttr'] {
  const samples: MttrSample[] = [];
  for (const o of orders) {
    if (o.type !== 'corrective') continue;
    const events = history(o);
    const completedAt = completionAt(events);
    if (completedAt === undefined || !inPeriod(completedAt, from, to)) continue;
    const fault = faultTimeOf(o, events);
    samples.push({ ...refOf(o), faultAt: fault.at, faultFrom: fault.from, completedAt, repairMs: completedAt - fault.at });
  }
  samples.sort((a, b) => a.completedAt - b.completedAt);
  const grouped = (keyOf: (s: MttrSample) => string): GroupStats[] => {
    const groups = new Map<string, number[]>();
    for (const s of samples) groups.set(keyOf(s), [...(groups.get(keyOf(s)) ?? []), s.repairMs]);
    return [...groups].map(([key, values]) => ({ key, stats: durationStats(values) })).sort((a, b) => a.key.localeCompare(b.key));
  };
  return {
    stats: durationStats(samples.map((s) => s.repairMs)),
    byAsset: grouped((s) => s.asset),
    byContractor: grouped((s) => s.contractor ?? IN_HOUSE),
    samples,
  };
}

function slaOf(orders: readonly WorkOrder[], clocks: readonly KpiSlaClock[], from: number, to: number): WorkOrderKpis['sla'] {
  const byId = new Map(orders.map((o) => [o.id, o]));
  const compliance = (): SlaCompliance => ({ met: 0, breached: 0, percentMet: null, running: 0 });
  const result = { response: compliance(), resolution: compliance(), breaches: [] as SlaBreach[] };
  for (const c of clocks) {
    const o = byId.get(c.orderId);
    if (o === undefined || c.status === 'void') continue;
    const tally = result[c.kind];
    const metAt = c.status === 'met' ? c.settledAt : undefined;
    if (metAt !== undefined && metAt < to) {
      if (metAt >= from) tally.met++;
      continue;
    }
    // Not met as of `to`: breached once the deadline passed, else still running.
    if (c.status !== 'met' && c.deadline < to) {
      if (c.deadline < from) continue;
      tally.breached++;
      const doneAt = c.doneAt !== undefined && c.doneAt < to ? c.doneAt : undefined;
      result.breaches.push({
        ...refOf(o),
        kind: c.kind,
        targetMinutes: c.targetMinutes,
        deadline: c.deadline,
        ...(doneAt !== undefined ? { doneAt } : {}),
        lateMs: (doneAt ?? to) - c.deadline,
        openAtEnd: doneAt === undefined,
      });
    } else {
      tally.running++;
    }
  }
  for (const k of ['response', 'resolution'] as const) result[k].percentMet = percent(result[k].met, result[k].met + result[k].breached);
  result.breaches.sort((a, b) => a.deadline - b.deadline || a.orderId - b.orderId);
  return result;
}

function pmOf(
  orders: readonly WorkOrder[],
  history: History,
  planned: ReadonlyMap<number, PlannedInfo>,
  tolerance: number,
  from: number,
  to: number,
): WorkOrderKpis['plannedMaintenance'] {
  const counts: Record<PmOutcome, number> = { 'on-time': 0, late: 0, missed: 0, pending: 0, 'not-measurable': 0 };
  const items: PmItem[] = [];
  for (const o of orders) {
    if (o.type !== 'preventive') continue;
    const intervalMs = planned.get(o.id)?.intervalMs;
    const due = planned.get(o.id)?.dueAt ?? o.dueAt;
    if (due !== undefined && !inPeriod(due, from, to)) continue;
    // Without a due time the order cannot be placed in a period; it is listed when created in this one.
    if (due === undefined && !inPeriod(o.createdAt, from, to)) continue;
    const events = history(o);
    const completedAt = completionAt(events);
    let item: PmItem;
    if (due === undefined || intervalMs === undefined || intervalMs <= 0) {
      item = { ...refOf(o), ...(due !== undefined ? { dueAt: due } : {}), ...(completedAt !== undefined ? { completedAt } : {}), outcome: 'not-measurable' };
    } else {
      const toleranceMs = tolerance * intervalMs;
      let outcome: PmOutcome;
      if (completedAt !== undefined) outcome = completedAt > due + toleranceMs ? 'late' : 'on-time';
      else if (statusAt(o, events) === 'cancelled' || due + toleranceMs < to) outcome = 'missed';
      else outcome = 'pending';
      item = {
        ...refOf(o),
        dueAt: due,
        intervalMs,
        toleranceMs,
        ...(completedAt !== undefined ? { completedAt, deviationMs: completedAt - due } : {}),
        outcome,
      };
    }
    counts[item.outcome]++;
    items.push(item);
  }
  items.sort((a, b) => (a.dueAt ?? Infinity) - (b.dueAt ?? Infinity) || a.orderId - b.orderId);
  const measured = counts['on-time'] + counts.late + counts.missed;
  return { counts, percentOnTime: percent(counts['on-time'], measured), tolerance, items };
}

function backlogOf(orders: readonly WorkOrder[], history: History, to: number): WorkOrderKpis['backlog'] {
  const items: BacklogItem[] = [];
  for (const o of orders) {
    const status = statusAt(o, history(o));
    if (!UNFINISHED.includes(status)) continue;
    items.push({
      ...refOf(o),
      status,
      type: o.type,
      createdAt: o.createdAt,
      ageMs: to - o.createdAt,
      ...(o.dueAt !== undefined ? { dueAt: o.dueAt } : {}),
      overdue: o.dueAt !== undefined && o.dueAt < to,
    });
  }
  items.sort((a, b) => a.createdAt - b.createdAt || a.orderId - b.orderId);
  const byAge = BACKLOG_AGE_BUCKETS.map(([, label]) => ({ label, count: 0 }));
  const byType = Object.fromEntries(TYPES.map((t) => [t, 0])) as Record<WorkOrderType, number>;
  const byPriority = Object.fromEntries(PRIORITIES.map((p) => [p, 0])) as Record<AlarmPriority, number>;
  for (const item of items) {
    let bucket = 0;
    BACKLOG_AGE_BUCKETS.forEach(([min], i) => {
      if (item.ageMs >= min) bucket = i;
    });
    const b = byAge[bucket];
    if (b !== undefined) b.count++;
    byType[item.type]++;
    byPriority[item.priority]++;
  }
  return { total: items.length, overdue: items.filter((i) => i.overdue).length, byAge, byType, byPriority, items };
}

function repeatsOf(orders: readonly WorkOrder[], history: History, from: number, to: number): WorkOrderKpis['repeatFaults'] {
  interface Occ {
    asset: string;
    kind: string;
    contractor: string;
    order: string;
    at: number;
  }
  const occurrences: Occ[] = [];
  for (const o of orders) {
    const kind = o.faultKey ?? o.cause;
    if (kind === undefined) continue;
    for (const e of history(o)) {
      if (e.kind !== 'created' && e.kind !== 'occurrence') continue;
      const at = episodeTimeOf(e.data?.ref) ?? e.ts;
      if (inPeriod(at, from, to)) occurrences.push({ asset: o.asset, kind, contractor: o.contractor ?? IN_HOUSE, order: o.number, at });
    }
  }
  const group = <K extends string>(keyOf: (o: Occ) => K) => {
    const map = new Map<K, Occ[]>();
    for (const occ of occurrences) map.set(keyOf(occ), [...(map.get(keyOf(occ)) ?? []), occ]);
    return map;
  };
  const byAsset: RepeatFault[] = [];
  for (const list of group((o) => `${o.asset}\u0000${o.kind}`).values()) {
    if (list.length < 2) continue;
    const first = list[0];
    if (first === undefined) continue;
    const times = list.map((o) => o.at);
    byAsset.push({
      asset: first.asset,
      faultKind: first.kind,
      occurrences: list.length,
      orders: [...new Set(list.map((o) => o.order))].sort(),
      contractors: [...new Set(list.map((o) => o.contractor))].sort(),
      firstAt: Math.min(...times),
      lastAt: Math.max(...times),
    });
  }
  byAsset.sort((a, b) => b.occurrences - a.occurrences || a.asset.localeCompare(b.asset) || a.faultKind.localeCompare(b.faultKind));

  const perContractor = new Map<string, ContractorRepeats>();
  for (const [key, list] of group((o) => `${o.contractor}\u0000${o.asset}\u0000${o.kind}`)) {
    const contractor = key.split('\u0000')[0] ?? IN_HOUSE;
    const entry = perContractor.get(contractor) ?? { contractor, repeatFaults: 0, occurrences: 0, allOccurrences: 0, assets: [] };
    entry.allOccurrences += list.length;
    if (list.length > 1) {
      entry.repeatFaults++;
      entry.occurrences += list.length;
      const asset = list[0]?.asset;
      if (asset !== undefined && !entry.assets.includes(asset)) entry.assets.push(asset);
    }
    perContractor.set(contractor, entry);
  }
  const byContractor = [...perContractor.values()]
    .map((c) => ({ ...c, assets: [...c.assets].sort() }))
    .sort((a, b) => b.repeatFaults - a.repeatFaults || b.occurrences - a.occurrences || a.contractor.localeCompare(b.contractor));
  return { byAsset, byContractor };
}
