import type { Logger } from 'pino';
import type { Sample } from '../../points/sample.js';
import type { MqttAvailability } from '../../profiles/types.js';
import type { Clock, TimerHandle } from '../../time/clock.js';
import type { DeviceStatusEvent } from '../driver.js';
import type { DeviceRuntime } from './device-runtime.js';
import { describeValue, type Decoded, type MessagePayload } from './payload-decoder.js';

/**
 * Whether each MQTT device is there. Two signals, either or both per profile:
 *
 * - A status topic, retained, that the device sets to `onlineValue` when it connects and that its last
 *   will sets to `offlineValue` when the broker loses it.
 * - A heartbeat topic: the device is offline once no heartbeat has come for `heartbeatTimeoutMs`.
 *
 * The latest evidence wins (a heartbeat after a retained "offline" means the device is back). A device
 * without a signal of its own follows its parent (doors follow their controller); one without a parent
 * is online from its first message. Going offline emits one status event for that device only and one
 * batch of stale samples for its points and its followers'.
 *
 * The broker's own downtime says nothing about the devices: heartbeat deadlines pause while the link is
 * down and start afresh when it is back. A broker that shuts down also publishes the last will of every
 * client it drops, just before it drops us (Mosquitto does): so a will takes effect only after
 * WILL_GRACE_MS, and is set aside if our link drops meanwhile. After the reconnect the driver asks for
 * the retained status of those devices again, so a will that was real is not lost.
 */

export type Availability = 'unknown' | 'online' | 'offline';

export const DEFAULT_ONLINE_VALUE = 'online';
export const DEFAULT_OFFLINE_VALUE = 'offline';
/** How long a last will waits before the device counts as offline; short next to any comm-loss delay. */
export const WILL_GRACE_MS = 1000;

/** Whether a profile gives its devices a signal of their own (otherwise they follow a parent, if any). */
export function hasOwnAvailability(availability: MqttAvailability | undefined): boolean {
  return availability?.statusTopic !== undefined || availability?.heartbeatTopic !== undefined;
}

/**
 * What a status message says: true online, false offline, undefined for an empty payload (a retained
 * status being cleared says nothing about the device). Anything else is rejected.
 */
export function readStatus(payload: MessagePayload, availability: MqttAvailability): Decoded<boolean | undefined> {
  const text = payload.text().trim();
  if (text.length === 0) return { ok: true, value: undefined };
  const online = availability.onlineValue ?? DEFAULT_ONLINE_VALUE;
  const offline = availability.offlineValue ?? DEFAULT_OFFLINE_VALUE;
  if (text === online) return { ok: true, value: true };
  if (text === offline) return { ok: true, value: false };
  return { ok: false, rejection: { kind: 'unknown-status', message: `expected "${online}" or "${offline}", got ${describeValue(text)}` } };
}

export interface AvailabilityTrackerOptions {
  clock: Clock;
  logger: Logger;
  /** Enabled devices, owners and followers already linked. */
  devices: readonly DeviceRuntime[];
  emitStatus: (status: DeviceStatusEvent) => void;
  emitSamples: (samples: Sample[]) => void;
  /** Asks the broker to send the retained messages of these status filters again. */
  refreshStatus: (filters: string[]) => void;
}

export class AvailabilityTracker {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly options: AvailabilityTrackerOptions;
  private readonly heartbeatTimers = new Map<DeviceRuntime, TimerHandle>();
  private readonly pendingWills = new Map<DeviceRuntime, TimerHandle>();
  /** Devices whose will was set aside because our link dropped: their retained status is asked for again. */
  private readonly setAside = new Set<DeviceRuntime>();
  private linkUp = false;

  constructor(options: AvailabilityTrackerOptions) {
    this.options = options;
    this.clock = options.clock;
    this.log = options.logger;
    for (const device of options.devices) {
      if (device.profile.availability?.heartbeatTopic !== undefined && device.heartbeatTimeoutMs === undefined) {
        this.log.warn({ device: device.id }, 'heartbeat topic without heartbeatTimeoutMs: heartbeats only bring it online');
      }
    }
  }

  /** A message on the device's status topic said online (true) or offline (false, its last will). */
  status(device: DeviceRuntime, online: boolean): void {
    if (online) {
      this.alive(device);
      return;
    }
    if (device.availability === 'offline' || this.pendingWills.has(device)) return;
    const timer = this.clock.setTimeout(() => {
      this.pendingWills.delete(device);
      this.goOffline(device, 'status topic says offline (last will)');
    }, WILL_GRACE_MS);
    this.pendingWills.set(device, timer);
  }

  /** A heartbeat, or a status "online": the device is there now. */
  alive(device: DeviceRuntime): void {
    this.clock.clearTimeout(this.pendingWills.get(device));
    this.pendingWills.delete(device);
    this.armHeartbeat(device);
    this.setOnline(device);
  }

  /** Any message from a device with no signal of its own and no parent to follow. */
  published(device: DeviceRuntime): void {
    if (!device.ownAvailability && device.owner === device && device.availability !== 'online') this.setOnline(device);
  }

  onLinkUp(): void {
    this.linkUp = true;
    for (const device of this.options.devices) if (device.availability !== 'offline') this.armHeartbeat(device);
    if (this.setAside.size === 0) return;
    const filters = [...this.setAside].flatMap((d) => (d.statusFilter === undefined ? [] : [d.statusFilter]));
    this.setAside.clear();
    this.options.refreshStatus(filters);
  }

  onLinkDown(): void {
    this.linkUp = false;
    for (const device of this.clearTimers()) {
      this.setAside.add(device);
      this.log.info({ device: device.id }, 'last will set aside: our link dropped right after it (broker shutting down?)');
    }
  }

  stop(): void {
    this.linkUp = false;
    this.clearTimers();
    this.setAside.clear();
  }

  /** Clears every deadline; returns the devices whose will was still pending. */
  private clearTimers(): DeviceRuntime[] {
    for (const timer of [...this.heartbeatTimers.values(), ...this.pendingWills.values()]) this.clock.clearTimeout(timer);
    const pending = [...this.pendingWills.keys()];
    this.heartbeatTimers.clear();
    this.pendingWills.clear();
    return pending;
  }

  private armHeartbeat(device: DeviceRuntime): void {
    const timeoutMs = device.heartbeatTimeoutMs;
    if (timeoutMs === undefined || !this.linkUp) return;
    this.clock.clearTimeout(this.heartbeatTimers.get(device));
    const timer = this.clock.setTimeout(() => {
      this.heartbeatTimers.delete(device);
      this.goOffline(device, `no heartbeat for ${timeoutMs} ms`);
    }, timeoutMs);
    this.heartbeatTimers.set(device, timer);
  }

  private setOnline(device: DeviceRuntime): void {
    if (device.availability === 'online') return;
    const previous = device.availability;
    device.availability = 'online';
    if (device.consecutiveFailures === 0) device.lastError = null;
    this.log.info({ device: device.id }, previous === 'offline' ? 'device back online' : 'device online');
    this.options.emitStatus({ device: device.id, online: true, ts: this.clock.now() });
  }

  private goOffline(device: DeviceRuntime, error: string): void {
    this.clock.clearTimeout(this.heartbeatTimers.get(device));
    this.heartbeatTimers.delete(device);
    if (device.availability === 'offline') return;
    device.availability = 'offline';
    device.lastError = error;
    const now = this.clock.now();
    this.log.warn({ device: device.id, followers: device.followers.length, err: error }, 'device offline');
    this.options.emitStatus({ device: device.id, online: false, ts: now, error });
    this.options.emitSamples([device, ...device.followers].flatMap((d) => d.staleSamples(now, `${device.id} offline: ${error}`)));
  }
}
