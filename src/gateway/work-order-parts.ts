import type Database from 'better-sqlite3';
import type { ChatterRule } from '../alarms/kpis.js';
import type { AlarmEvent } from '../alarms/events.js';
import { withDefaults } from '../config/alarm-management-schema.js';
import { MonthlyReportSchema } from '../config/reports-schema.js';
import { monthlyReportTargets } from '../reports/delivery.js';
import { ReportScheduler } from '../reports/scheduler.js';
import { SlaMonitor } from '../workorders/sla.js';
import type { SiteConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import { maintenanceDevices, MaintenanceService } from '../maintenance/index.js';
import type { Sample } from '../points/sample.js';
import type { DeviceProfile } from '../profiles/types.js';
import type { Clock } from '../time/clock.js';
import { CmmsInbound } from '../workorders/cmms/inbound.js';
import { CmmsOutbound } from '../workorders/cmms/outbound.js';
import type { WorkOrderService } from '../workorders/service.js';

export interface WorkOrderPartsOptions {
  config: SiteConfig;
  /** A breached SLA raises a gateway alarm (and clears it when met late): it escalates like any other. */
  onSlaAlarm: (event: AlarmEvent) => void;
  /** The site's chattering rule, for the alarm figures of reports. */
  chatter: ChatterRule;
  database: Database.Database;
  orders: WorkOrderService;
  findProfile: (id: string) => DeviceProfile | undefined;
  clock: Clock;
  logger: Logger;
  version: string;
}

/**
 * What works on work orders besides the alarms: SLA clocks, planned maintenance (calendar and meter
 * schedules, evidence from telemetry), the monthly report and the CMMS hand-off (signed webhooks out,
 * signed status updates in). Each but the SLA clocks is built only when the site config asks for it.
 */
export class WorkOrderParts {
  readonly maintenance: MaintenanceService | undefined;
  readonly cmmsOutbound: CmmsOutbound | undefined;
  readonly cmmsInbound: CmmsInbound | undefined;
  readonly sla: SlaMonitor;
  readonly reports: ReportScheduler | undefined;

  constructor(options: WorkOrderPartsOptions) {
    const { config, database, orders, clock, logger } = options;
    if (config.maintenance !== undefined) {
      this.maintenance = new MaintenanceService({
        config: config.maintenance,
        site: config.site.id,
        timeZone: config.site.timezone,
        orders,
        db: database,
        clock,
        logger: logger.child({ module: 'maintenance' }),
        devices: maintenanceDevices(config, options.findProfile),
      });
    }
    this.sla = new SlaMonitor({
      orders,
      database,
      templates: config.workOrders?.templates ?? [],
      table: config.workOrders?.sla ?? [],
      clock,
      logger: logger.child({ module: 'sla' }),
      timeZone: config.site.timezone,
      raise: options.onSlaAlarm,
      clear: options.onSlaAlarm,
    });
    const monthly = config.reports?.monthly;
    if (monthly !== undefined) {
      const settings = withDefaults(MonthlyReportSchema, monthly);
      this.reports = new ReportScheduler({
        config: settings,
        site: config.site,
        database,
        targets: monthlyReportTargets(settings, config.notifications?.channels ?? [], clock),
        clock,
        logger: logger.child({ module: 'reports' }),
        chatter: options.chatter,
      });
    }
    const cmms = config.cmms;
    if (cmms !== undefined && cmms.outbound.length > 0) {
      const outbound = new CmmsOutbound({
        targets: cmms.outbound,
        db: database,
        clock,
        logger: logger.child({ module: 'cmms' }),
        ...(cmms.inbound !== undefined ? { inboundName: cmms.inbound.name } : {}),
        userAgent: `facility-gw/${options.version}`,
      });
      orders.subscribe(outbound.listener);
      this.cmmsOutbound = outbound;
    }
    if (cmms?.inbound !== undefined) {
      this.cmmsInbound = new CmmsInbound({ config: cmms.inbound, orders, db: database, clock, logger: logger.child({ module: 'cmms' }) });
    }
  }

  /** After the alarms and the notifier: breaches found while catching up are announced. */
  start(): void {
    this.sla.start();
    this.reports?.start();
    this.maintenance?.start();
    this.cmmsOutbound?.start();
  }

  /** Meter schedules and evidence read the sample stream. */
  onSamples(samples: readonly Sample[]): void {
    this.maintenance?.onSamples(samples);
  }

  async stop(): Promise<void> {
    this.maintenance?.stop();
    this.sla.stop();
    await this.reports?.stop();
    await this.cmmsOutbound?.stop();
  }
}
