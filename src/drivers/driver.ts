import type { Logger } from 'pino';
import type { AlarmEvent } from '../alarms/events.js';
import type { Clock } from '../time/clock.js';
import type { DeviceEvent } from '../points/device-event.js';
import type { Sample } from '../points/sample.js';

/**
 * Every protocol driver (Modbus, BACnet, MQTT) implements this one small interface: start, stop, a stream
 * of Samples and device status changes, and its health. A shared contract suite runs against each.
 */
export interface DriverContext {
  clock: Clock;
  logger: Logger;
  /** Called with each batch of samples as it is read (one device's poll, one message). Must not throw. */
  onSamples: (samples: Sample[]) => void;
  /** Called when a device becomes reachable or unreachable. Must not throw. */
  onDeviceStatus: (status: DeviceStatusEvent) => void;
  /** Called with events devices report (protocols that carry events, such as MQTT). Must not throw. */
  onEvents: (events: DeviceEvent[]) => void;
  /**
   * Called with alarms a device raises and clears itself (BACnet event notifications: intrinsic and
   * algorithmic alarms), kind `intrinsic`. Must not throw.
   */
  onDeviceAlarms: (events: AlarmEvent[]) => void;
}

export interface DeviceStatusEvent {
  device: string;
  online: boolean;
  ts: number;
  /** Why it went offline. */
  error?: string;
}

export type LinkState = 'connecting' | 'connected' | 'disconnected' | 'stopped';
export type DeviceState = 'unknown' | 'online' | 'degraded' | 'offline' | 'disabled';

export interface DeviceHealth {
  device: string;
  state: DeviceState;
  /** Last successful response, ms since epoch. */
  lastSeen: number | null;
  requests: number;
  errors: number;
  consecutiveFailures: number;
  lastError: string | null;
  /** While backed off: when the next attempt is due. */
  nextAttemptAt: number | null;
  /** Poll cycles that started late because the previous one was still running. */
  overruns: number;
  /**
   * BACnet: how the device's values arrive. `active`: every object meant for COV is subscribed and
   * notifying; `partial`: some are, the others are polled; `polling`: all are polled (COV refused or its
   * notifications stopped; retried later); `pending`: subscriptions under way; `off`: nothing uses COV.
   */
  cov?: 'active' | 'partial' | 'polling' | 'pending' | 'off';
  /** Why COV is not (fully) active, when it is not. */
  covReason?: string | null;
}

export interface LinkHealth {
  link: string;
  protocol: string;
  state: LinkState;
  reconnects: number;
  lastError: string | null;
  /** Requests waiting in the link's serial queue. */
  queueDepth: number;
  devices: DeviceHealth[];
  /** Datagrams the link refused as malformed or unsolicited (BACnet), counted since start. */
  rejectedFrames?: number;
}

export interface Driver {
  readonly linkId: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): LinkHealth;
}
