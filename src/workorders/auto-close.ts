import type { AlarmService } from '../alarms/alarm-service.js';
import type { TransitionRecord } from '../alarms/lifecycle/types.js';
import type { WorkOrderTemplate } from '../config/workorders-schema.js';
import type { Logger } from '../log.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import { WorkOrderError, type WorkOrderService } from './service.js';
import type { WorkOrder, WorkOrderEvent } from './types.js';

const NOT_STARTED: ReadonlySet<string> = new Set(['open', 'assigned']);

export interface AutoCloseOptions {
  orders: WorkOrderService;
  alarms: AlarmService;
  templateFor: (alarmId: string) => WorkOrderTemplate | undefined;
  clock: Clock;
  logger: Logger;
}

/**
 * The template option `autoCloseAfterNormalMinutes`: an order whose alarm has been back to normal that long,
 * with no work started, is closed by itself (cancelled, with the reason) — a fault that cleared on its own
 * needs no visit. Without the option an order stays open until a technician confirms the repair. The timer
 * is rebuilt after a restart from the alarm's last clear in the audit log.
 */
export class AutoCloseOnNormal {
  private readonly timers = new Map<string, TimerHandle>();

  constructor(private readonly options: AutoCloseOptions) {}

  start(): void {
    for (const order of this.options.orders.list({ status: ['open', 'assigned'] })) {
      const alarmId = order.source.kind === 'alarm' ? order.source.ref : undefined;
      if (alarmId === undefined || this.minutesFor(alarmId) === undefined) continue;
      if (this.options.alarms.get(alarmId)?.conditionActive !== false) continue;
      const lastClear = this.options.alarms.history({ alarmId, newestFirst: true, limit: 50 }).find((t) => t.action === 'clear');
      this.schedule(alarmId, lastClear?.ts ?? this.options.clock.now());
    }
  }

  onTransition(t: TransitionRecord): void {
    if (t.action === 'clear') this.schedule(t.alarmId, t.ts);
    else if (t.action === 'raise') this.cancelTimer(t.alarmId);
  }

  onOrderEvent(order: WorkOrder, _event: WorkOrderEvent): void {
    const alarmId = order.source.kind === 'alarm' ? order.source.ref : undefined;
    if (alarmId !== undefined && !NOT_STARTED.has(order.status)) this.cancelTimer(alarmId);
  }

  stop(): void {
    for (const t of this.timers.values()) this.options.clock.clearTimeout(t);
    this.timers.clear();
  }

  private minutesFor(alarmId: string): number | undefined {
    return this.options.templateFor(alarmId)?.autoCloseAfterNormalMinutes;
  }

  private schedule(alarmId: string, clearedAt: number): void {
    const minutes = this.minutesFor(alarmId);
    if (minutes === undefined) return;
    this.cancelTimer(alarmId);
    const delay = Math.max(0, clearedAt + minutes * 60_000 - this.options.clock.now());
    this.timers.set(alarmId, this.options.clock.setTimeout(() => this.close(alarmId, minutes), delay));
  }

  private cancelTimer(alarmId: string): void {
    const timer = this.timers.get(alarmId);
    if (timer === undefined) return;
    this.options.clock.clearTimeout(timer);
    this.timers.delete(alarmId);
  }

  private close(alarmId: string, minutes: number): void {
    this.timers.delete(alarmId);
    if (this.options.alarms.get(alarmId)?.conditionActive !== false) return;
    const orders = this.options.orders.list({ status: ['open', 'assigned'] }).filter((o) => o.source.kind === 'alarm' && o.source.ref === alarmId);
    for (const order of orders) {
      try {
        this.options.orders.act(order.id, 'cancel', { by: 'facility-gw', comment: `Back to normal for ${minutes} min by itself and no work started: closed automatically (template option)` });
        this.options.logger.info({ order: order.number, alarmId }, 'work order closed: its alarm stayed back to normal');
      } catch (err) {
        if (!(err instanceof WorkOrderError)) throw err;
        this.options.logger.warn({ order: order.number, reason: err.message }, 'work order could not be closed automatically');
      }
    }
  }
}
