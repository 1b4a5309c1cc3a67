import type Database from 'better-sqlite3';
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
  database: Database.Database;
  orders: WorkOrderService;
  findProfile: (id: string) => DeviceProfile | undefined;
  clock: Clock;
  logger: Logger;
  version: string;
}

/**
 * What works on work orders besides the alarms: planned maintenance (calendar and meter schedules, evidence
 * from telemetry) and the CMMS hand-off (signed webhooks out, signed status updates in). Each is built only
 * when the site config asks for it.
 */
export class WorkOrderParts {
  readonly maintenance: MaintenanceService | undefined;
  readonly cmmsOutbound: CmmsOutbound | undefined;
  readonly cmmsInbound: CmmsInbound | undefined;

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

  start(): void {
    this.maintenance?.start();
    this.cmmsOutbound?.start();
  }

  /** Meter schedules and evidence read the sample stream. */
  onSamples(samples: readonly Sample[]): void {
    this.maintenance?.onSamples(samples);
  }

  async stop(): Promise<void> {
    this.maintenance?.stop();
    await this.cmmsOutbound?.stop();
  }
}
