import type Database from 'better-sqlite3';
import type { ChatterRule } from '../alarms/kpis.js';
import type { MonthlyReportConfig } from '../config/reports-schema.js';
import type { Logger } from '../log.js';
import { NotifyError } from '../notify/channels/channel.js';
import { fromLocalMs, parseTimeOfDay, toLocalMs } from '../notify/time-zone.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import type { ReportTarget } from './delivery.js';
import { DeliveryStore } from './delivery-store.js';
import { monthKey, previousMonth } from './period.js';
import { buildReport } from './report-data.js';
import { renderReport } from './render.js';

/** Node's timers hold at most 2^31 − 1 ms (24.8 days); a month is waited for in steps. */
const MAX_TIMER_MS = 2_147_483_647;
const MINUTE_MS = 60_000;

export interface ReportSchedulerOptions {
  /** `reports.monthly`, defaults filled in. */
  config: MonthlyReportConfig;
  site: { id: string; name: string; timezone: string };
  /** The gateway's database: the report is read from it and each delivery recorded in it. */
  database: Database.Database;
  targets: readonly ReportTarget[];
  clock: Clock;
  logger: Logger;
  /** The site's chattering rule (alarmManagement.chatter), for the alarm figures. */
  chatter?: ChatterRule;
  /** Retries of a delivery that may succeed later: first wait, doubling up to the longest (1 min, 1 h). */
  retryFirstMs?: number;
  retryMaxMs?: number;
}

/**
 * Sends the report of the month before on the configured day and time of the site's time zone, to every target.
 * Each target's delivery is recorded per month (report_delivery), so that:
 * - a restart never sends a month to a target twice (one that failed is retried, the others are not);
 * - a gateway that was not running at the send time sends the report when it starts, the same month (a send
 *   time before the schedule was first started is not caught up: a new install waits for the next one);
 * - a delivery that fails for a reason that may pass (network, 5xx, SMTP 4xx) is retried with backoff until it
 *   goes through or the next month's report is due; one refused for good (4xx, SMTP 5xx) is logged and kept.
 * One timer on the Clock waits for the next send time.
 */
export class ReportScheduler {
  private readonly deliveries: DeliveryStore;
  private readonly minuteOfDay: number;
  private timer: TimerHandle | undefined;
  private next: number | undefined;
  private running: Promise<void> | undefined;
  private retries = 0;
  private stopped = true;

  constructor(private readonly options: ReportSchedulerOptions) {
    this.deliveries = new DeliveryStore(options.database);
    const minute = parseTimeOfDay(options.config.time);
    if (minute === undefined) throw new Error(`reports.monthly.time: "${options.config.time}" is not HH:MM`);
    this.minuteOfDay = minute;
    if (options.targets.length === 0) throw new Error('reports.monthly: no email or webhook to send the report to');
  }

  /** Sends a report that is due and not delivered yet, then waits for the next send time. */
  start(): void {
    this.stopped = false;
    this.plan();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.next = undefined;
    await this.running;
    for (const t of this.options.targets) await t.close?.();
  }

  /** When the scheduler acts next (a send time or a retry), ms since epoch. */
  nextRunAt(): number | undefined {
    return this.next;
  }

  /** Resolves when a send in progress is over (tests, shutdown). */
  async idle(): Promise<void> {
    await this.running;
  }

  /** The send time in the local month of `ts`. */
  sendTimeOfMonth(ts: number): number {
    const local = new Date(toLocalMs(ts, this.options.site.timezone));
    return fromLocalMs(Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), this.options.config.day) + this.minuteOfDay * MINUTE_MS, this.options.site.timezone);
  }

  private nextMonthSendTime(ts: number): number {
    const local = new Date(toLocalMs(ts, this.options.site.timezone));
    return fromLocalMs(Date.UTC(local.getUTCFullYear(), local.getUTCMonth() + 1, this.options.config.day) + this.minuteOfDay * MINUTE_MS, this.options.site.timezone);
  }

  private plan(): void {
    if (this.stopped) return;
    const now = this.options.clock.now();
    const thisMonth = this.sendTimeOfMonth(now);
    const since = this.deliveries.since('monthly', now);
    if (now >= thisMonth && thisMonth >= since && this.pendingTargets(thisMonth).length > 0) {
      this.runFor(thisMonth);
      return;
    }
    this.retries = 0;
    this.wakeAt(now >= thisMonth ? this.nextMonthSendTime(now) : thisMonth, () => this.plan());
  }

  private periodKey(sendTime: number): string {
    return `monthly:${monthKey(previousMonth(sendTime, this.options.site.timezone))}`;
  }

  private pendingTargets(sendTime: number): ReportTarget[] {
    const key = this.periodKey(sendTime);
    return this.options.targets.filter((t) => !this.deliveries.sent(key, t.id));
  }

  private runFor(sendTime: number): void {
    this.running = this.send(sendTime).catch((err: unknown) => {
      this.options.logger.error({ err }, 'monthly report failed');
      this.retryOrGiveUp(sendTime);
    });
  }

  private async send(sendTime: number): Promise<void> {
    const { site, clock, logger } = this.options;
    const period = previousMonth(sendTime, site.timezone);
    const key = this.periodKey(sendTime);
    const report = buildReport(this.options.database, period, { site, ...(this.options.chatter ? { chatter: this.options.chatter } : {}) }, clock.now());
    const rendered = renderReport(report, this.options.config.format);
    const file = { ...rendered, filename: `maintenance-report-${site.id}-${monthKey(period)}.${rendered.extension}` };
    let retry = false;
    for (const target of this.pendingTargets(sendTime)) {
      if (this.stopped) return;
      try {
        await target.send(report, file, `${site.id}/${key}`);
        this.deliveries.markSent(key, target.id, clock.now());
        logger.info({ target: target.id, period: period.label }, 'monthly report sent');
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        this.deliveries.markFailed(key, target.id, message, clock.now());
        const retryable = !(err instanceof NotifyError) || err.retryable;
        if (retryable) retry = true;
        logger.error({ target: target.id, period: period.label, err: message, retryable }, retryable ? 'monthly report not delivered; will retry' : 'monthly report refused by the target; not retried');
      }
    }
    if (retry) this.retryOrGiveUp(sendTime);
    else {
      this.retries = 0;
      this.wakeAt(this.nextMonthSendTime(sendTime), () => this.plan());
    }
  }

  private retryOrGiveUp(sendTime: number): void {
    const first = this.options.retryFirstMs ?? MINUTE_MS;
    const max = this.options.retryMaxMs ?? 60 * MINUTE_MS;
    const at = this.options.clock.now() + Math.min(max, first * 2 ** this.retries);
    this.retries++;
    const nextMonth = this.nextMonthSendTime(sendTime);
    if (at >= nextMonth) {
      this.options.logger.error({ period: this.periodKey(sendTime) }, 'monthly report could not be delivered before the next one was due; giving up on it');
      this.retries = 0;
      this.wakeAt(nextMonth, () => this.plan());
      return;
    }
    this.wakeAt(at, () => this.runFor(sendTime));
  }

  /** One timer; a time beyond the longest timer is reached in steps. */
  private wakeAt(at: number, fn: () => void): void {
    if (this.stopped) return;
    this.options.clock.clearTimeout(this.timer);
    this.next = at;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, at - this.options.clock.now()));
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.options.clock.now() < at) this.wakeAt(at, fn);
      else fn();
    }, delay);
  }
}
