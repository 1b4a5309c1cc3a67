import { ACK_LINK_MIGRATIONS } from '../alarms/ack-link-store.js';
import { MIGRATIONS as ALARM_MIGRATIONS, type Migration } from '../alarms/lifecycle/migrations.js';
import { NOTIFY_MIGRATIONS } from '../alarms/notify/migrations.js';
import { MAINTENANCE_MIGRATIONS } from '../maintenance/migrations.js';
import { CMMS_MIGRATIONS } from '../workorders/cmms/migrations.js';
import { REPORT_MIGRATIONS } from '../reports/delivery-store.js';
import { WORK_ORDER_MIGRATIONS } from '../workorders/migrations.js';
import { SLA_MIGRATIONS } from '../workorders/sla-store.js';

/**
 * Every part of the gateway that keeps state in its one SQLite database brings its own migrations; the
 * database is opened with all of them, so each finds its tables.
 */
export const GATEWAY_MIGRATIONS: readonly Migration[] = [
  ...ALARM_MIGRATIONS,
  ...NOTIFY_MIGRATIONS,
  ...ACK_LINK_MIGRATIONS,
  ...WORK_ORDER_MIGRATIONS,
  ...MAINTENANCE_MIGRATIONS,
  ...CMMS_MIGRATIONS,
  ...SLA_MIGRATIONS,
  ...REPORT_MIGRATIONS,
];
