import type { ActiveAlarmView, DevicePoints, DeviceSummary, Health } from './schemas.js';

/** What the HTTP API reads from a running gateway. Kept narrow so the API can be tested on its own. */
export interface GatewayView {
  health(): Health;
  devices(): DeviceSummary[];
  /** undefined when no such device exists. */
  devicePoints(deviceId: string): DevicePoints | undefined;
  activeAlarms(filter?: { device?: string; priority?: string }): ActiveAlarmView[];
}
