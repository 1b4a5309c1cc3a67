/** Planned maintenance: calendar and meter schedules that open work orders, built-in templates, evidence. */
export { MaintenanceService, MaintenanceConfigError, type MaintenanceServiceOptions } from './service.js';
export { MAINTENANCE_MIGRATIONS } from './migrations.js';
export { maintenanceDevices, checkMaintenance } from './config-checks.js';
export { completedOnTime, type PlannedOrderRecord } from './store.js';
export { BUILT_IN_TEMPLATES, BUILT_IN_GROUPS } from './built-in.js';
export type { MaintenanceDevice, CompiledSchedule } from './schedules.js';
export type { MaintenanceStatus, ScheduleStatus, AssetScheduleStatus, CounterStatus } from './status.js';
