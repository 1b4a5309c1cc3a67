import type { Logger } from '../log.js';
import type { Clock } from '../time/clock.js';
import type { WorkOrderService } from '../workorders/service.js';
import { UNFINISHED, type WorkOrder } from '../workorders/types.js';
import { nextFixed } from './calendar.js';
import { evidenceComment } from './order-text.js';
import type { ObservedRun } from './run-watch.js';
import type { CompiledEvidence, CompiledSchedule, MaintenanceDevice } from './schedules.js';
import type { MaintenanceStore, PlannedOrderRecord } from './store.js';

const BY = 'maintenance';
/** Who an order completed from telemetry is assigned to when nobody was. */
const GATEWAY_ASSIGNEE = 'facility-gw';
/**
 * A run counts for the period it falls in, starting this share of the interval before the period is due:
 * a weekly test run on Sunday evening belongs to the order that opens on Monday morning.
 */
const EARLY_SHARE = 0.1;

export interface EvidencePlan {
  readonly schedule: CompiledSchedule;
  readonly asset: MaintenanceDevice;
}

export interface EvidenceAttacherOptions {
  store: MaintenanceStore;
  orders: WorkOrderService;
  timeZone: string;
  logger: Logger;
  clock: Clock;
}

/**
 * Evidence from telemetry: a test run that lasted long enough (and reached the pressure) is recorded and
 * attached to its period's order as a comment with its start, duration and peak pressure, and completes
 * the order when the rule says so. A run seen before its order exists (the test ran before the order's
 * time) waits in the store and is attached when the order opens. Each run is recorded once.
 */
export class EvidenceAttacher {
  constructor(private readonly o: EvidenceAttacherOptions) {}

  onRun(plan: EvidencePlan, run: ObservedRun): void {
    const ev = plan.schedule.evidence;
    if (ev === undefined) return;
    const refused = whyNot(run, ev);
    const log = { schedule: plan.schedule.id, asset: plan.asset.id, start: run.start, durationMs: run.durationMs, peak: run.peak };
    if (refused !== undefined) {
      this.o.logger.info({ ...log, reason: refused }, 'run seen, but it is no evidence of the test');
      return;
    }
    try {
      this.o.store.transaction(() => {
        const record = this.periodOf(plan, run.start);
        const fresh = this.o.store.recordEvidence(
          { scheduleId: plan.schedule.id, asset: plan.asset.id, runStart: run.start, durationMs: run.durationMs, peak: run.peak, orderId: record?.orderId },
          this.o.clock.now(),
        );
        if (fresh && record !== undefined) this.attach(ev, record.orderId, run);
        this.o.logger.info({ ...log, orderId: record?.orderId }, record === undefined ? 'test run recorded; no order for its period yet' : 'test run attached to its order as evidence');
      });
    } catch (err) {
      this.o.logger.error({ err, ...log }, 'could not record the test run as evidence');
    }
  }

  /** Runs recorded before `order` opened that fall in its period; called in the transaction that opened it. */
  attachPending(plan: EvidencePlan, order: WorkOrder): void {
    const ev = plan.schedule.evidence;
    const record = this.o.store.plannedOrder(order.id);
    if (ev === undefined || record === undefined) return;
    const [from, to] = this.window(plan, record);
    for (const e of this.o.store.evidence(plan.schedule.id, plan.asset.id)) {
      if (e.orderId !== undefined || e.runStart < from || e.runStart >= to) continue;
      this.o.store.setEvidenceOrder(e.scheduleId, e.asset, e.runStart, order.id);
      this.attach(ev, order.id, { start: e.runStart, durationMs: e.durationMs, peak: e.peak });
    }
  }

  /** The order whose period the run falls in: [due − 10% of the interval, next due − 10%). */
  private periodOf(plan: EvidencePlan, ts: number): PlannedOrderRecord | undefined {
    for (const r of this.o.store.ordersOf(plan.schedule.id, plan.asset.id, 3)) {
      const [from, to] = this.window(plan, r);
      if (ts >= from && ts < to) return r;
    }
    return undefined;
  }

  private window(plan: EvidencePlan, r: PlannedOrderRecord): [number, number] {
    const early = (r.intervalMs ?? 0) * EARLY_SHARE;
    const t = plan.schedule.trigger;
    const next = t.kind === 'calendar' ? nextFixed(t.rule, r.dueAt, this.o.timeZone) : undefined;
    return [r.dueAt - early, next === undefined ? Number.POSITIVE_INFINITY : next - early];
  }

  private attach(ev: CompiledEvidence, orderId: number, run: ObservedRun): void {
    const order = this.o.orders.get(orderId);
    if (order === undefined || order.status === 'cancelled') return;
    const text = evidenceComment(run, ev, this.o.timeZone);
    this.o.orders.comment(orderId, BY, text);
    if (!ev.complete || !UNFINISHED.includes(order.status)) return;
    // Walk the lifecycle to completion: open → assigned → in progress (or back from on hold) → completed.
    const status = (this.o.orders.get(orderId) ?? order).status;
    if (status === 'open') this.o.orders.act(orderId, 'assign', { by: BY, assignee: GATEWAY_ASSIGNEE, comment: 'completed from telemetry' });
    if (status === 'open' || status === 'assigned') this.o.orders.act(orderId, 'start', { by: BY });
    if (status === 'on-hold') this.o.orders.act(orderId, 'resume', { by: BY });
    this.o.orders.act(orderId, 'complete', { by: BY, resolution: text });
  }
}

function whyNot(run: ObservedRun, ev: CompiledEvidence): string | undefined {
  if (run.durationMs < ev.minRunMs) return `ran ${Math.round(run.durationMs / 1000)} s, less than the ${Math.round(ev.minRunMs / 1000)} s required`;
  if (ev.minPressure !== undefined && (run.peak === undefined || run.peak < ev.minPressure)) {
    return `${ev.pressurePoint ?? 'pressure'} peaked at ${run.peak ?? 'no reading'}, below the ${ev.minPressure} required`;
  }
  return undefined;
}
