import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { MaintenanceConfig, MaintenanceScheduleConfig } from '../../../src/config/maintenance-schema.js';
import { migrate } from '../../../src/alarms/lifecycle/migrations.js';
import { GATEWAY_MIGRATIONS } from '../../../src/gateway/store-migrations.js';
import { silentLogger } from '../../../src/log.js';
import { MAINTENANCE_MIGRATIONS } from '../../../src/maintenance/migrations.js';
import type { MaintenanceDevice } from '../../../src/maintenance/schedules.js';
import { MaintenanceService } from '../../../src/maintenance/service.js';
import { elevatorProfile } from '../../../src/profiles/elevator.js';
import { pumpProfile } from '../../../src/profiles/pump.js';
import type { Sample } from '../../../src/points/sample.js';
import type { VirtualClock } from '../../../src/time/clock.js';
import { WorkOrderService } from '../../../src/workorders/service.js';
import { WorkOrderStore } from '../../../src/workorders/store.js';

export const DEVICES: MaintenanceDevice[] = [
  { id: 'lift-1', type: 'elevator', name: 'Lift 1', location: 'Core A', points: elevatorProfile.points },
  { id: 'lift-2', type: 'elevator', name: 'Lift 2', points: elevatorProfile.points },
  { id: 'fire-pump-1', type: 'pump', name: 'Fire pump', points: pumpProfile.points },
  { id: 'booster-1', type: 'pump', name: 'Booster 1', points: pumpProfile.points },
];

export function config(partial: Partial<MaintenanceConfig>): MaintenanceConfig {
  return { schedules: [], builtIn: [], evidence: [], ...partial };
}

export function schedule(s: Partial<MaintenanceScheduleConfig> & Pick<MaintenanceScheduleConfig, 'id' | 'kind'>): MaintenanceScheduleConfig {
  return { floating: false, assets: { equipment: ['elevator'] }, type: 'preventive', title: '{deviceName}: {schedule}', checklist: ['Check it'], ...s };
}

/** One gateway process: its database file (opened anew on every call, as after a restart), orders and maintenance. */
export function openGateway(dir: string, clock: VirtualClock, cfg: MaintenanceConfig, timeZone: string, devices: MaintenanceDevice[] = DEVICES) {
  const db = new Database(join(dir, 'gw.db'));
  db.pragma('journal_mode = WAL');
  migrate(db, [...GATEWAY_MIGRATIONS, ...MAINTENANCE_MIGRATIONS]);
  const orders = new WorkOrderService(new WorkOrderStore(db), clock);
  const service = new MaintenanceService({ config: cfg, site: 'tower', timeZone, orders, db, clock, logger: silentLogger(), devices, counterFlushMs: 10_000 });
  return {
    db,
    orders,
    service,
    close(): void {
      service.stop();
      db.close();
    },
  };
}

export const good = (point: string, value: number | boolean, ts: number): Sample => ({ point, value, ts, quality: 'good' });

/** Completes an order the way a technician does: start (assign first if needed), then complete. */
export function completeOrder(orders: WorkOrderService, id: number): void {
  const o = orders.get(id);
  if (o?.status === 'open') orders.act(id, 'assign', { by: 'office', assignee: 'wang' });
  orders.act(id, 'start', { by: 'wang' });
  orders.act(id, 'complete', { by: 'wang', resolution: 'done as listed' });
}
