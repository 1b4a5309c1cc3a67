import type Database from 'better-sqlite3';
import type { AlarmEvent } from '../alarms/events.js';
import type { SlaTarget, WorkOrderTemplate } from '../config/workorders-schema.js';
import type { Logger } from '../log.js';
import { toLocalMs } from '../notify/time-zone.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import type { WorkOrderService } from './service.js';
import { SlaStore, type SlaClockRecord } from './sla-store.js';
import { deadlinesOf, doneAtOf, type SlaKind, type SlaTargetContext } from './sla-targets.js';
import { UNFINISHED, type WorkOrder, type WorkOrderEvent } from './types.js';

/** Node's timers hold at most 2^31 − 1 ms (24.8 days); a later deadline is reached in steps. */
const MAX_TIMER_MS = 2_147_483_647;
const MINUTE_MS = 60_000;
/** The actor of the SLA monitor's own comments on orders. */
export const SLA_ACTOR = 'sla';

export interface SlaMonitorOptions {
  orders: WorkOrderService;
  /** The database the work orders live in (the gateway's one store): a breach and its comment commit together. */
  database: Database.Database;
  templates: readonly WorkOrderTemplate[];
  /** `workOrders.sla`: the site's table by priority, fault kind and type. */
  table: readonly SlaTarget[];
  clock: Clock;
  logger: Logger;
  /** `site.timezone`, for the times in messages. */
  timeZone: string;
  /** Raises the breach as a gateway alarm (the gateway's alarm path: lifecycle, notifier, escalation). */
  raise: (event: AlarmEvent) => void;
  /** Clears it: met late, cancelled or closed. */
  clear: (event: AlarmEvent) => void;
}

/** The alarm id of an order's breach: `<asset>:sla_<response|resolution>_<order number>`. */
export function slaAlarmId(order: Pick<WorkOrder, 'asset' | 'number'>, kind: SlaKind): string {
  return `${order.asset}:${slaRule(order, kind)}`;
}

function slaRule(order: Pick<WorkOrder, 'number'>, kind: SlaKind): string {
  return `sla_${kind}_${order.number}`;
}

/**
 * SLA clocks of work orders. Each order gets a response clock (technician on site) and a resolution clock
 * (work completed) when a target applies (sla-targets.ts says which); each running clock has one timer on
 * the Clock at its deadline. A missed deadline is recorded once — the clock's row turns `breached` and a
 * comment by `sla` goes on the order, in one transaction — and raised as a gateway alarm of kind
 * `sla-breach`, which the alarm notifier escalates like any other. The alarm clears when the order meets
 * the target late, or is cancelled or closed.
 *
 * After a restart `start()` takes the clocks up again from the store: a deadline that passed while the
 * gateway was down breaches at once (once: the row's status guards it), and an order that met its target
 * meanwhile settles without an alarm.
 */
export class SlaMonitor {
  readonly store: SlaStore;
  private readonly context: SlaTargetContext;
  private readonly timers = new Map<string, TimerHandle>();
  private unsubscribe: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly options: SlaMonitorOptions) {
    this.store = new SlaStore(options.database);
    this.context = { templates: new Map(options.templates.map((t) => [t.id, t])), table: options.table };
  }

  /** Listens to the orders, then resumes every clock kept in the store and starts those of unfinished orders. */
  start(): void {
    this.stopped = false;
    this.unsubscribe = this.options.orders.subscribe((order, event) => this.onOrderEvent(order, event));
    const ids = new Set<number>(this.store.unsettled().map((c) => c.orderId));
    for (const order of this.options.orders.list({ status: UNFINISHED })) ids.add(order.id);
    for (const id of [...ids].sort((a, b) => a - b)) {
      const order = this.options.orders.get(id);
      if (order !== undefined) this.guard(order, () => this.sync(order, undefined, true));
    }
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const handle of this.timers.values()) this.options.clock.clearTimeout(handle);
    this.timers.clear();
  }

  /** The clocks of an order (API, reports). */
  clocks(orderId: number): SlaClockRecord[] {
    return this.store.forOrder(orderId);
  }

  /** Deadlines with a timer waiting. */
  pendingTimers(): number {
    return this.timers.size;
  }

  private onOrderEvent(order: WorkOrder, event: WorkOrderEvent): void {
    if (event.by === SLA_ACTOR && event.kind === 'comment') return;
    this.guard(order, () => this.sync(order, event.kind === 'created' ? event : undefined));
  }

  private guard(order: WorkOrder, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.options.logger.error({ err, order: order.number }, 'SLA clock update failed');
    }
  }

  /**
   * Brings the order's clocks in line with the order as it is now. An order first seen at start-up (opened
   * before SLA clocks existed, e.g. before an upgrade) gets its clocks too, but a deadline of it that passed
   * long ago is recorded as breached without an alarm: escalating old news would only bury the current ones.
   */
  private sync(order: WorkOrder, created: WorkOrderEvent | undefined, atStart = false): void {
    if (this.stopped) return;
    let clocks = this.store.forOrder(order.id);
    let firstSight = false;
    if (clocks.length === 0 && UNFINISHED.includes(order.status)) {
      const createdEvent = created ?? this.options.orders.events(order.id).find((e) => e.kind === 'created');
      for (const d of deadlinesOf(order, createdEvent, this.context)) this.store.insert({ orderId: order.id, ...d });
      clocks = this.store.forOrder(order.id);
      firstSight = atStart;
    }
    for (const clock of clocks) this.syncClock(order, clock, !firstSight);
  }

  private syncClock(order: WorkOrder, c: SlaClockRecord, escalate = true): void {
    const now = this.options.clock.now();
    const done = doneAtOf(order, c.kind);
    const ended = order.status === 'cancelled' || order.status === 'closed';
    switch (c.status) {
      case 'running': {
        this.cancelTimer(order.id, c.kind);
        if (done !== undefined) {
          if (done <= c.deadline) this.store.update(order.id, c.kind, 'running', { status: 'met', settledAt: done, doneAt: done });
          // Met, but only after the deadline, which passed unseen (the gateway was down): recorded, nothing to escalate.
          else this.breach(order, c, done, false);
        } else if (ended) {
          const endedAt = this.options.orders.events(order.id).find((e) => e.kind === 'cancel' || e.kind === 'close')?.ts ?? order.updatedAt;
          if (endedAt < c.deadline) this.store.update(order.id, c.kind, 'running', { status: 'void', settledAt: endedAt });
          else this.breach(order, c, undefined, false);
        } else if (c.deadline <= now) {
          this.breach(order, c, undefined, escalate);
        } else {
          this.schedule(order.id, c);
        }
        return;
      }
      case 'breached': {
        if (done !== undefined && c.doneAt === undefined) {
          // An arrival recorded afterwards may be dated before the deadline: the target was met after all.
          const metAfterAll = done <= c.deadline;
          this.store.update(order.id, c.kind, 'breached', metAfterAll ? { status: 'met', settledAt: done, doneAt: done } : { doneAt: done });
          if (metAfterAll) this.options.orders.comment(order.id, SLA_ACTOR, `SLA ${c.kind} target met after all: ${doneText(c.kind)} at ${this.localTime(done)}, recorded after the deadline.`);
          this.clearAlarm(order, { ...c, status: metAfterAll ? 'met' : 'breached' }, this.doneMessage(order, c, done));
          return;
        }
        if (c.alarmRaisedAt !== undefined && c.alarmClearedAt === undefined && (done !== undefined || ended)) {
          this.clearAlarm(order, c, done !== undefined ? this.doneMessage(order, c, done) : `${order.number} ${order.status}`);
          return;
        }
        // Breach committed but its alarm not raised (the process stopped in between): raise it now.
        if (c.escalate && c.alarmRaisedAt === undefined && done === undefined && !ended) this.raiseAlarm(order, c);
        return;
      }
      case 'met':
      case 'void':
        return;
    }
  }

  /**
   * Records the breach once (the row's status guards it; the comment commits with it), then raises the
   * alarm when there is still something to escalate.
   */
  private breach(order: WorkOrder, c: SlaClockRecord, done: number | undefined, escalate: boolean): void {
    const recorded = this.store.transaction(() => {
      const changes = { status: 'breached' as const, settledAt: c.deadline, escalate, ...(done !== undefined ? { doneAt: done } : {}) };
      if (!this.store.update(order.id, c.kind, 'running', changes)) return false;
      this.options.orders.comment(order.id, SLA_ACTOR, this.breachComment(order, c, done));
      return true;
    });
    if (!recorded) return;
    this.options.logger.warn({ order: order.number, kind: c.kind, deadline: c.deadline }, `SLA ${c.kind} target missed`);
    if (escalate) this.raiseAlarm(order, { ...c, status: 'breached' });
  }

  private raiseAlarm(order: WorkOrder, c: SlaClockRecord): void {
    const now = this.options.clock.now();
    this.options.raise(this.alarmEvent('raise', order, c, this.breachMessage(order, c, now)));
    this.store.update(order.id, c.kind, 'breached', { alarmRaisedAt: now });
  }

  private clearAlarm(order: WorkOrder, c: SlaClockRecord, message: string): void {
    if (c.alarmRaisedAt === undefined || c.alarmClearedAt !== undefined) return;
    const now = this.options.clock.now();
    this.options.clear(this.alarmEvent('clear', order, c, message));
    this.store.update(order.id, c.kind, c.status, { alarmClearedAt: now });
  }

  private schedule(orderId: number, c: SlaClockRecord): void {
    const delay = Math.min(c.deadline - this.options.clock.now(), MAX_TIMER_MS);
    const key = timerKey(orderId, c.kind);
    const handle = this.options.clock.setTimeout(() => {
      this.timers.delete(key);
      const order = this.options.orders.get(orderId);
      if (order !== undefined) this.guard(order, () => this.sync(order, undefined));
    }, delay);
    this.timers.set(key, handle);
  }

  private cancelTimer(orderId: number, kind: SlaKind): void {
    const key = timerKey(orderId, kind);
    this.options.clock.clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }

  private alarmEvent(type: 'raise' | 'clear', order: WorkOrder, c: SlaClockRecord, message: string): AlarmEvent {
    const now = this.options.clock.now();
    const who = order.contractor ?? order.assignee;
    return {
      type,
      alarmId: slaAlarmId(order, c.kind),
      site: order.site,
      device: order.asset,
      rule: slaRule(order, c.kind),
      kind: 'sla-breach',
      priority: order.priority,
      message,
      conditionSince: type === 'raise' ? c.deadline : now,
      ts: now,
      rationale: {
        cause: `${order.number} missed its ${c.kind} target: ${targetText(c)}.`,
        consequence: c.kind === 'response' ? 'Nobody is on site for the fault; the SLA is breached.' : 'The fault stays unrepaired past its due time; the SLA is breached.',
        action:
          c.kind === 'response'
            ? `Get a technician on site${who !== undefined ? ` (${who})` : ''} and record the arrival on ${order.number}.`
            : `Find out what holds ${order.number} up${who !== undefined ? ` with ${who}` : ''}; complete it or agree a new date.`,
      },
    };
  }

  private breachMessage(order: WorkOrder, c: SlaClockRecord, now: number): string {
    const late = now - c.deadline;
    return `SLA breach: ${order.number} "${order.title}" — ${targetText(c)}, due ${this.localTime(c.deadline)}${late >= MINUTE_MS ? `, ${formatDuration(late)} late` : ''}`;
  }

  private breachComment(order: WorkOrder, c: SlaClockRecord, done: number | undefined): string {
    const base = `SLA ${c.kind} target missed: ${targetText(c)} (due ${this.localTime(c.deadline)})`;
    if (done === undefined) return `${base}.`;
    return `${base}; ${doneText(c.kind)} at ${this.localTime(done)}, ${formatDuration(done - c.deadline)} late.`;
  }

  private doneMessage(order: WorkOrder, c: SlaClockRecord, done: number): string {
    const late = done - c.deadline;
    return `${order.number}: ${doneText(c.kind)} at ${this.localTime(done)}${late > 0 ? `, ${formatDuration(late)} late` : ', within the target'}`;
  }

  private localTime(ts: number): string {
    return `${new Date(toLocalMs(ts, this.options.timeZone)).toISOString().slice(0, 16).replace('T', ' ')} ${this.options.timeZone}`;
  }
}

function timerKey(orderId: number, kind: SlaKind): string {
  return `${orderId}:${kind}`;
}

function targetText(c: Pick<SlaClockRecord, 'kind' | 'targetMinutes'>): string {
  const within = formatDuration(c.targetMinutes * MINUTE_MS);
  return c.kind === 'response' ? `technician on site within ${within} of the fault` : `work completed within ${within} of the fault`;
}

function doneText(kind: SlaKind): string {
  return kind === 'response' ? 'technician on site' : 'work completed';
}

/** `45 min`, `4 h`, `2 h 5 min`, `3 d 4 h` — whole minutes, the two largest units. */
export function formatDuration(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / MINUTE_MS));
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  return `${m} min`;
}
