import type { PointValue } from './sample.js';

/**
 * Something a device reports as having happened (a badge refused, a door forced), as opposed to a level
 * held in the point table. Event rules count them; telemetry records them.
 */
export interface DeviceEvent {
  device: string;
  /** Event name from the device profile, e.g. `access_denied`. */
  event: string;
  /** Milliseconds since the Unix epoch, from the gateway's clock. */
  ts: number;
  /** Details copied from the message (badge id, reason). */
  attributes: Record<string, PointValue>;
}
