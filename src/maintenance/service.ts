import type Database from 'better-sqlite3';
import type { MaintenanceConfig } from '../config/maintenance-schema.js';
import type { Logger } from '../log.js';
import type { Sample } from '../points/sample.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import type { WorkOrderService } from '../workorders/service.js';
import type { WorkOrder, WorkOrderEvent } from '../workorders/types.js';
import { dueAfterCompletion, firstFloatingDue, intervalAt, nextFixed } from './calendar.js';
import { EvidenceAttacher } from './evidence.js';
import { defaultMaxPerHour, MeterCounter, type CounterStep } from './meter-counter.js';
import { formatDuration, formatLocal, LATE_NOTE_MIN_MS, orderDescription, orderTitle } from './order-text.js';
import { RunWatch, type ObservedRun } from './run-watch.js';
import { compileSchedules, type CompiledSchedule, type MaintenanceDevice, type MeterTrigger } from './schedules.js';
import { MaintenanceStore, type CounterRow, type PlanRow, type PlannedOrderRecord } from './store.js';
import type { MaintenanceStatus } from './status.js';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
/** Timers never wait longer than this: a long setTimeout overflows, and the wall clock may have been set. */
const MAX_TIMER_MS = 6 * 60 * MINUTE_MS;
/** After a failed open (the store refused), try again this much later rather than in a tight loop. */
const RETRY_MS = 5 * MINUTE_MS;
/** Periods missed while the gateway was down that are listed by time in the late order's description. */
const MISSED_LISTED = 5;
/** Catch-up stops counting missed periods here (an hourly schedule after a year's downtime). */
const MISSED_COUNT_MAX = 10_000;
/** A meter order's due time when the schedule gives none. */
const METER_DEFAULT_DUE_MS = 7 * DAY_MS;
const BY = 'maintenance';

export interface MaintenanceServiceOptions {
  config: MaintenanceConfig | undefined;
  /** The site id the orders are for. */
  site: string;
  /** IANA zone of the site (`site.timezone`): calendar schedules run on its wall clock. */
  timeZone: string;
  orders: WorkOrderService;
  /** The gateway's SQLite database, with MAINTENANCE_MIGRATIONS applied. */
  db: Database.Database;
  clock: Clock;
  logger: Logger;
  devices: readonly MaintenanceDevice[];
  /** How often changed meter counters are written to the store, ms (also on every order and at stop). */
  counterFlushMs?: number | undefined;
}

/** One schedule applied to one asset: its persisted row and what is computed from it. */
export interface AssetPlan {
  readonly schedule: CompiledSchedule;
  readonly asset: MaintenanceDevice;
  row: PlanRow;
  /** Calendar: when the next order falls due; undefined while a floating order is open. */
  nextDueAt: number | undefined;
  counter: MeterCounter | undefined;
  retryAt: number | undefined;
}

interface PointHandler {
  counter: MeterCounter | undefined;
  plans: AssetPlan[];
  runs: RunWatch[];
  pressures: RunWatch[];
}

/** Thrown when the maintenance config does not compile against the devices (validate reports the same). */
export class MaintenanceConfigError extends Error {
  override readonly name = 'MaintenanceConfigError';
}

/**
 * Planned maintenance: opens preventive and inspection orders from calendar schedules (on the injected
 * clock, in the site's zone) and from meters counted out of telemetry, once per schedule, asset and period,
 * idempotently across restarts (the order and the period it covers are recorded in one transaction; a
 * period that fell due while the gateway was down is opened late, saying so). Runs seen in telemetry are
 * attached to their period's order as evidence.
 */
export class MaintenanceService {
  readonly schedules: readonly CompiledSchedule[];
  private readonly store: MaintenanceStore;
  private readonly plans = new Map<string, AssetPlan>();
  private readonly calendarPlans: AssetPlan[] = [];
  private readonly meterPlans: AssetPlan[] = [];
  private readonly byPoint = new Map<string, PointHandler>();
  private readonly counters = new Map<string, MeterCounter>();
  private readonly dirtyCounters: MeterCounter[] = [];
  private readonly evidence: EvidenceAttacher;
  private readonly flushMs: number;
  private timer: TimerHandle | undefined;
  private flushTimer: TimerHandle | undefined;
  private unsubscribe: (() => void) | undefined;
  private started = false;

  constructor(private readonly o: MaintenanceServiceOptions) {
    const { schedules, issues } = compileSchedules(o.config, o.timeZone, o.devices);
    if (issues.length > 0) throw new MaintenanceConfigError(`maintenance config: ${issues.map((i) => `${i.segments.join('.')}: ${i.message}`).join('; ')}`);
    this.schedules = schedules;
    this.store = new MaintenanceStore(o.db);
    this.flushMs = o.counterFlushMs ?? 30_000;
    this.evidence = new EvidenceAttacher({ store: this.store, orders: o.orders, timeZone: o.timeZone, logger: o.logger, clock: o.clock });
    const savedCounters = new Map(this.store.counters().map((c) => [`${c.point}|${c.mode}`, c]));
    for (const schedule of schedules) {
      for (const asset of schedule.assets) {
        const plan: AssetPlan = { schedule, asset, row: { scheduleId: schedule.id, asset: asset.id }, nextDueAt: undefined, counter: undefined, retryAt: undefined };
        this.plans.set(planKey(schedule.id, asset.id), plan);
        if (schedule.trigger.kind === 'meter') {
          plan.counter = this.counterFor(asset, schedule.trigger, savedCounters);
          this.handler(`${asset.id}.${schedule.trigger.point}`).plans.push(plan);
          this.meterPlans.push(plan);
        } else {
          this.calendarPlans.push(plan);
          if (schedule.evidence !== undefined) this.watchRuns(plan, schedule.evidence.runningPoint, schedule.evidence.pressurePoint);
        }
      }
    }
  }

  /** Restores the schedules' state, catches up on periods missed while stopped, and sets the timers. */
  start(): void {
    if (this.started) return;
    const now = this.o.clock.now();
    const saved = new Map(this.store.plans().map((r) => [planKey(r.scheduleId, r.asset), r]));
    this.unsubscribe = this.o.orders.subscribe((order, event) => this.onOrderEvent(order, event));
    this.store.transaction(() => {
      for (const [key, plan] of this.plans) {
        const row = saved.get(key);
        if (row !== undefined) plan.row = row;
        else {
          plan.row = this.initialRow(plan, now);
          this.store.savePlan(plan.row, now);
        }
      }
    });
    this.reconcileOpenOrders();
    for (const plan of this.calendarPlans) plan.nextDueAt = this.computeNext(plan);
    this.started = true;
    this.runDue();
    for (const plan of this.meterPlans) this.checkMeter(plan, now);
  }

  stop(): void {
    this.o.clock.clearTimeout(this.timer);
    this.o.clock.clearTimeout(this.flushTimer);
    this.timer = undefined;
    this.flushTimer = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    if (this.started) this.flushCounters();
    this.started = false;
  }

  /**
   * The gateway's sample path: every batch it receives. A map look-up per sample; points no schedule or
   * evidence rule reads cost nothing else.
   */
  onSamples(samples: readonly Sample[]): void {
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i] as Sample;
      const h = this.byPoint.get(s.point);
      if (h === undefined) continue;
      const c = h.counter;
      if (c !== undefined) {
        const wasDirty = c.dirty;
        const step = c.update(s);
        if (!wasDirty && c.dirty) this.markDirty(c);
        if (step !== 'unchanged') this.afterCount(h, c, step, s);
      }
      for (let j = 0; j < h.runs.length; j++) h.runs[j]?.onRunning(s);
      for (let j = 0; j < h.pressures.length; j++) h.pressures[j]?.onPressure(s);
    }
  }

  /** Next due per schedule and asset, and the meters, for the API. */
  status(): MaintenanceStatus {
    return {
      timeZone: this.o.timeZone,
      schedules: this.schedules.map((s) => ({
        id: s.id,
        builtIn: s.builtIn,
        trigger: s.trigger.kind,
        title: s.order.title,
        evidence: s.evidence !== undefined,
        assets: s.assets.map((a) => {
          const plan = this.plans.get(planKey(s.id, a.id));
          const t = s.trigger;
          return {
            asset: a.id,
            ...(plan?.nextDueAt !== undefined ? { nextDueAt: plan.nextDueAt } : {}),
            ...(plan?.row.lastDueAt !== undefined ? { lastDueAt: plan.row.lastDueAt } : {}),
            ...(plan?.row.completedAt !== undefined ? { lastCompletedAt: plan.row.completedAt } : {}),
            ...(plan?.row.openOrder !== undefined ? { openOrder: plan.row.openOrder } : {}),
            ...(t.kind === 'meter' && plan?.counter !== undefined
              ? { meter: { point: t.point, reading: plan.counter.total, dueAt: (plan.row.baseline ?? 0) + t.every, every: t.every } }
              : {}),
          };
        }),
      })),
      counters: [...this.counters.values()].map((c) => ({ point: c.point, mode: c.mode, total: c.total, ...(c.lastRaw !== undefined ? { lastRaw: c.lastRaw } : {}), resets: c.resets })),
    };
  }

  /** Orders opened by schedules whose period fell due within [from, to]: what PM compliance is computed from. */
  plannedOrders(from: number, to: number): PlannedOrderRecord[] {
    return this.store.plannedOrders(from, to);
  }

  /** Writes changed counters now (the timer does it every counterFlushMs). */
  flushCounters(): void {
    if (this.dirtyCounters.length === 0) return;
    try {
      this.store.transaction(() => this.saveDirtyCounters(this.o.clock.now()));
      this.markCountersSaved();
    } catch (err) {
      this.o.logger.error({ err }, 'could not save maintenance counters; kept in memory, retried');
      this.armFlush();
    }
  }

  // --- calendar ------------------------------------------------------------------------------------

  private initialRow(plan: AssetPlan, now: number): PlanRow {
    const t = plan.schedule.trigger;
    const row: PlanRow = { scheduleId: plan.schedule.id, asset: plan.asset.id };
    // A new fixed schedule counts from now: periods before it existed are not owed.
    if (t.kind === 'calendar' && t.rule.kind !== 'floating') row.lastDueAt = now;
    if (t.kind === 'meter') row.baseline = plan.counter?.total ?? 0;
    return row;
  }

  private computeNext(plan: AssetPlan): number | undefined {
    const t = plan.schedule.trigger;
    if (t.kind !== 'calendar') return undefined;
    const tz = this.o.timeZone;
    if (t.rule.kind !== 'floating') return nextFixed(t.rule, plan.row.lastDueAt ?? this.o.clock.now(), tz);
    if (plan.row.openOrder !== undefined) return undefined;
    if (plan.row.completedAt !== undefined) return dueAfterCompletion(t.rule, plan.row.completedAt, tz);
    return plan.row.lastDueAt === undefined ? firstFloatingDue(t.rule, tz) : undefined;
  }

  private runDue(): void {
    if (!this.started) return;
    const now = this.o.clock.now();
    for (const plan of this.calendarPlans) {
      if (plan.nextDueAt === undefined || plan.nextDueAt > now) continue;
      if (plan.retryAt !== undefined && plan.retryAt > now) continue;
      this.openCalendar(plan, now);
    }
    for (const plan of this.meterPlans) if (plan.retryAt !== undefined && plan.retryAt <= now) this.checkMeter(plan, now);
    this.arm();
  }

  private openCalendar(plan: AssetPlan, now: number): void {
    const t = plan.schedule.trigger;
    if (t.kind !== 'calendar' || plan.nextDueAt === undefined) return;
    let due = plan.nextDueAt;
    const missed: number[] = [];
    let missedCount = 0;
    if (t.rule.kind !== 'floating') {
      // Periods that fell due while the gateway was down: the latest is opened, the earlier ones are named.
      for (;;) {
        const next = nextFixed(t.rule, due, this.o.timeZone);
        if (next === undefined || next > now || missedCount >= MISSED_COUNT_MAX) break;
        missedCount++;
        if (missed.length < MISSED_LISTED) missed.push(due);
        due = next;
      }
    }
    const late = this.lateNote(due, now, missed, missedCount);
    const intervalMs = intervalAt(t.rule, due, this.o.timeZone);
    const dueBy = due + (plan.schedule.order.dueMinutes !== undefined ? plan.schedule.order.dueMinutes * MINUTE_MS : Math.round(intervalMs * 0.1));
    const floating = t.rule.kind === 'floating';
    const why = `period due ${formatLocal(due, this.o.timeZone)}`;
    const opened = this.open(plan, { dueAt: due, dueBy, now, why, late, record: { trigger: 'calendar', intervalMs } }, (row, orderId) => ({
      ...row,
      lastDueAt: due,
      openOrder: floating ? orderId : row.openOrder,
    }));
    if (opened) plan.nextDueAt = this.computeNext(plan);
  }

  private lateNote(due: number, now: number, missed: number[], missedCount: number): string | undefined {
    if (now - due < LATE_NOTE_MIN_MS && missedCount === 0) return undefined;
    const tz = this.o.timeZone;
    let note = `Opened late: this period fell due ${formatLocal(due, tz)}, ${formatDuration(now - due)} before the gateway could open it (it was not running).`;
    if (missedCount > 0) {
      const listed = missed.map((m) => formatLocal(m, tz)).join(', ');
      note += ` ${missedCount} earlier period${missedCount === 1 ? '' : 's'} also passed meanwhile (${listed}${missedCount > missed.length ? ', …' : ''}); they are not opened separately.`;
    }
    return note;
  }

  private arm(): void {
    this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.started) return;
    let next = Number.POSITIVE_INFINITY;
    for (const plan of this.calendarPlans) {
      if (plan.nextDueAt !== undefined) next = Math.min(next, Math.max(plan.nextDueAt, plan.retryAt ?? 0));
    }
    for (const plan of this.meterPlans) if (plan.retryAt !== undefined) next = Math.min(next, plan.retryAt);
    const now = this.o.clock.now();
    const delay = Number.isFinite(next) ? Math.min(Math.max(0, next - now), MAX_TIMER_MS) : MAX_TIMER_MS;
    this.timer = this.o.clock.setTimeout(() => this.runDue(), delay);
  }

  // --- meters --------------------------------------------------------------------------------------

  private counterFor(asset: MaintenanceDevice, t: MeterTrigger, saved: ReadonlyMap<string, CounterRow>): MeterCounter {
    const point = `${asset.id}.${t.point}`;
    const key = `${point}|${t.count}`;
    let c = this.counters.get(key);
    if (c === undefined) {
      const unit = asset.points.find((p) => p.name === t.point)?.unit;
      c = new MeterCounter(point, t.count, t.maxPerHour ?? defaultMaxPerHour(unit, t.count), saved.get(key));
      this.counters.set(key, c);
      this.handler(point).counter = c;
    }
    return c;
  }

  private afterCount(h: PointHandler, c: MeterCounter, step: CounterStep, s: Sample): void {
    if (step === 'reset') this.o.logger.info({ point: c.point, reading: s.value, total: c.total }, 'meter counter reset on the device: counting on from its new reading');
    if (step === 'implausible') this.o.logger.warn({ point: c.point, reading: s.value, total: c.total }, 'meter counter jumped more than it can in the time elapsed (replaced controller?): not counted, re-based');
    if (!this.started) return;
    for (let i = 0; i < h.plans.length; i++) {
      const plan = h.plans[i];
      if (plan !== undefined) this.checkMeter(plan, s.ts);
    }
  }

  private checkMeter(plan: AssetPlan, ts: number): void {
    const t = plan.schedule.trigger;
    const c = plan.counter;
    if (!this.started || t.kind !== 'meter' || c === undefined) return;
    if (t.from === 'completion' && plan.row.openOrder !== undefined) return;
    const now = this.o.clock.now();
    if (plan.retryAt !== undefined && plan.retryAt > now) return;
    const base = plan.row.baseline ?? 0;
    const dueReading = base + t.every;
    if (c.total < dueReading) return;
    const reading = Math.round(c.total * 100) / 100;
    const why = `${t.point} reached ${reading} (due at ${Math.round(dueReading * 100) / 100}: every ${t.every} since ${Math.round(base * 100) / 100})`;
    const dueBy = now + (plan.schedule.order.dueMinutes !== undefined ? plan.schedule.order.dueMinutes * MINUTE_MS : METER_DEFAULT_DUE_MS);
    this.open(plan, { dueAt: Math.min(ts, now), dueBy, now, why, late: undefined, record: { trigger: 'meter', meterPoint: c.point, meterEvery: t.every, meterDue: dueReading } }, (row, orderId) => ({
      ...row,
      openOrder: orderId,
      // From the order: the next one is due on the same grid (every N units), however far the meter ran on.
      baseline: t.from === 'order' ? base + t.every * Math.floor((c.total - base) / t.every) : base,
    }));
  }

  // --- orders --------------------------------------------------------------------------------------

  private open(
    plan: AssetPlan,
    p: { dueAt: number; dueBy: number; now: number; why: string; late: string | undefined; record: Pick<PlannedOrderRecord, 'trigger' | 'intervalMs' | 'meterPoint' | 'meterEvery' | 'meterDue'> },
    nextRow: (row: PlanRow, orderId: number | undefined) => PlanRow,
  ): boolean {
    const { schedule, asset } = plan;
    try {
      const order = this.store.transaction((): WorkOrder | undefined => {
        const existing = this.store.orderForPeriod(schedule.id, asset.id, p.dueAt);
        if (existing !== undefined) {
          // Opened before (the plan row was older than the order): only bring the row up to date.
          plan.row = nextRow(plan.row, existing);
          this.store.savePlan(plan.row, p.now);
          return undefined;
        }
        const created = this.o.orders.create(
          {
            site: this.o.site,
            asset: asset.id,
            location: asset.location,
            type: schedule.order.type,
            priority: schedule.order.priority,
            title: orderTitle(schedule, asset),
            description: orderDescription(schedule, p.why, p.late),
            source: { kind: 'schedule', ref: schedule.id },
            assignee: schedule.order.assignee,
            contractor: schedule.order.contractor,
            dueAt: p.dueBy,
          },
          BY,
        );
        this.store.recordOrder({ orderId: created.id, scheduleId: schedule.id, asset: asset.id, dueAt: p.dueAt, openedAt: p.now, lateMs: Math.max(0, p.now - p.dueAt), ...p.record });
        const row = nextRow(plan.row, created.id);
        this.store.savePlan(row, p.now);
        this.saveDirtyCounters(p.now);
        plan.row = row;
        if (schedule.evidence !== undefined) this.evidence.attachPending(plan, created);
        return created;
      });
      plan.retryAt = undefined;
      this.markCountersSaved();
      // The period's order existed already: it may have been finished meanwhile.
      if (order === undefined) this.reconcile(plan);
      if (order !== undefined) {
        this.o.logger.info({ schedule: schedule.id, asset: asset.id, order: order.number, late: p.late !== undefined }, p.late !== undefined ? 'planned-maintenance order opened late' : 'planned-maintenance order opened');
      }
      return true;
    } catch (err) {
      plan.retryAt = p.now + RETRY_MS;
      this.o.logger.error({ err, schedule: schedule.id, asset: asset.id }, 'could not open the planned-maintenance order; retrying in 5 minutes');
      return false;
    }
  }

  /** A completion (or cancellation) moves floating schedules and meters on; a reopen makes the order open again. */
  private onOrderEvent(order: WorkOrder, event: WorkOrderEvent): void {
    if (event.kind !== 'complete' && event.kind !== 'cancel' && event.kind !== 'reopen') return;
    if (order.source.kind !== 'schedule') return;
    const record = this.store.plannedOrder(order.id);
    const plan = record === undefined ? undefined : this.plans.get(planKey(record.scheduleId, record.asset));
    if (plan === undefined) return;
    this.settle(plan, order, event.kind === 'reopen' ? 'reopen' : 'done', event.ts);
  }

  private settle(plan: AssetPlan, order: WorkOrder, how: 'done' | 'reopen', ts: number): void {
    const now = this.o.clock.now();
    const row = { ...plan.row };
    if (how === 'reopen') row.openOrder = order.id;
    else {
      if (row.openOrder === order.id) row.openOrder = undefined;
      // A cancelled period counts as skipped: the next one is due an interval after the cancellation.
      row.completedAt = ts;
      if (plan.schedule.trigger.kind === 'meter' && plan.schedule.trigger.from === 'completion' && plan.counter !== undefined) row.baseline = plan.counter.total;
    }
    try {
      this.store.savePlan(row, now);
      plan.row = row;
    } catch (err) {
      this.o.logger.error({ err, schedule: plan.schedule.id, asset: plan.asset.id }, 'could not save the completion of a planned-maintenance order');
      return;
    }
    if (plan.schedule.trigger.kind === 'calendar') {
      plan.nextDueAt = this.computeNext(plan);
      this.arm();
    }
  }

  /** Orders completed or cancelled while the service was not listening (before a restart). */
  private reconcileOpenOrders(): void {
    for (const plan of this.plans.values()) this.reconcile(plan);
  }

  private reconcile(plan: AssetPlan): void {
    if (plan.row.openOrder === undefined) return;
    const order = this.o.orders.get(plan.row.openOrder);
    if (order === undefined) return;
    if (order.status === 'completed' || order.status === 'closed') this.settle(plan, order, 'done', order.completedAt ?? order.updatedAt);
    else if (order.status === 'cancelled') this.settle(plan, order, 'done', order.updatedAt);
  }

  // --- evidence and counters -----------------------------------------------------------------------

  private watchRuns(plan: AssetPlan, runningPoint: string, pressurePoint: string | undefined): void {
    const watch = new RunWatch(plan.schedule.id, plan.asset.id, (_w, run: ObservedRun) => this.evidence.onRun(plan, run));
    this.handler(`${plan.asset.id}.${runningPoint}`).runs.push(watch);
    if (pressurePoint !== undefined) this.handler(`${plan.asset.id}.${pressurePoint}`).pressures.push(watch);
  }

  private handler(point: string): PointHandler {
    let h = this.byPoint.get(point);
    if (h === undefined) {
      h = { counter: undefined, plans: [], runs: [], pressures: [] };
      this.byPoint.set(point, h);
    }
    return h;
  }

  /** Writes the changed counters, in the caller's transaction; markCountersSaved once it committed. */
  private saveDirtyCounters(now: number): void {
    for (const c of this.dirtyCounters) this.store.saveCounter(c.toRow(), now);
  }

  private markCountersSaved(): void {
    for (const c of this.dirtyCounters) c.dirty = false;
    this.dirtyCounters.length = 0;
  }

  /** A counter changed: it is saved within counterFlushMs (the timer runs only while something is unsaved). */
  private markDirty(c: MeterCounter): void {
    this.dirtyCounters.push(c);
    this.armFlush();
  }

  private armFlush(): void {
    if (this.flushTimer !== undefined || !this.started) return;
    this.flushTimer = this.o.clock.setTimeout(() => {
      this.flushTimer = undefined;
      this.flushCounters();
    }, this.flushMs);
  }
}

function planKey(scheduleId: string, asset: string): string {
  return `${scheduleId}\u0000${asset}`;
}
