import type { Logger } from 'pino';
import type { BacnetLinkConfig } from '../../config/bacnet-schema.js';
import type { Sample } from '../../points/sample.js';

import type { Clock, TimerHandle } from '../../time/clock.js';
import type { DeviceHealth } from '../driver.js';
import type { BacnetDeviceRuntime } from './bacnet-driver.js';
import { PROP } from './codes.js';
import { isCovCarried, type ObjectRuntime, type PointRuntime } from './device-model.js';
import { isServiceUnsupported, toBacnetError } from './errors.js';
import type { BacnetLinkClient, CovNotification } from './link-client.js';
import { decodePointValue, namedState, decodeStatusFlags, qualityOf } from './values.js';

/** A subscription is renewed when this share of its lifetime has run. */
const RENEW_AT_SHARE = 0.75;

export interface CovManagerOptions {
  link: BacnetLinkConfig;
  clock: Clock;
  logger: Logger;
  client: BacnetLinkClient;
  devices: readonly BacnetDeviceRuntime[];
  emitSamples: (samples: Sample[]) => void;
}

interface Subscription {
  device: BacnetDeviceRuntime;
  object: ObjectRuntime;
  initialTimer: TimerHandle | undefined;
  renewTimer: TimerHandle | undefined;
}

/**
 * COV per object: SubscribeCOV once the device answers polls, renewed before the lifetime runs out.
 * An object's present-value points stop being polled only once the subscription is proven: the
 * initial notification a subscription must trigger has arrived. It falls back to polling by itself,
 * with the reason in health, when
 * - the device refuses SubscribeCOV (or does not know the service),
 * - the initial notification does not come within covInitialNotificationMs,
 * - a verification read (every covVerifyIntervalMs) finds a present-value the notifications never
 *   reported: they stopped,
 * - a renewal fails;
 * and COV is tried again covRetryMs later. A device going offline drops its subscriptions; they are
 * made again when it answers.
 */
export class CovManager {
  private readonly options: CovManagerOptions;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly subscriptions = new Map<number, Subscription>();
  private nextProcessId = 1;
  private stopped = false;

  constructor(options: CovManagerOptions) {
    this.options = options;
    this.clock = options.clock;
    this.log = options.logger.child({ part: 'cov' });
    options.client.covListener = (n) => this.receive(n);
  }

  stop(): void {
    this.stopped = true;
    for (const sub of this.subscriptions.values()) this.clearTimers(sub);
    this.subscriptions.clear();
  }

  /** Whether the object has a point that the poll must read. */
  needsPolling(object: ObjectRuntime): boolean {
    return object.points.some((p) => !isCovCarried(object, p));
  }

  /** Whether a point's value from this poll becomes a sample (COV-carried points only on verification). */
  includeInPoll(object: ObjectRuntime, point: PointRuntime, verifying: boolean): boolean {
    return verifying || !isCovCarried(object, point);
  }

  deviceCovHealth(device: BacnetDeviceRuntime): { state: NonNullable<DeviceHealth['cov']>; reason: string | null } {
    const objects = device.objects.filter((o) => o.cov.mode !== 'off');
    if (objects.length === 0) return { state: 'off', reason: null };
    const active = objects.filter((o) => o.cov.mode === 'active').length;
    const polling = objects.filter((o) => o.cov.mode === 'polling');
    const firstReason = polling[0] ?? objects.find((o) => o.cov.reason !== null);
    const reason = firstReason?.cov.reason ? `${firstReason.label}: ${firstReason.cov.reason}${polling.length > 1 ? ` (and ${polling.length - 1} more)` : ''}` : null;
    if (active === objects.length) return { state: 'active', reason: null };
    if (polling.length === objects.length) return { state: 'polling', reason };
    if (active > 0) return { state: 'partial', reason };
    return { state: polling.length > 0 ? 'polling' : 'pending', reason };
  }

  /** After a poll the device answered: subscribe what is due, one request at a time on the device's queue. */
  async afterPoll(device: BacnetDeviceRuntime): Promise<void> {
    const now = this.clock.now();
    for (const object of device.objects) {
      if (this.stopped || device.state === 'offline') return;
      const cov = object.cov;
      if (cov.subscribing || cov.mode === 'off' || cov.mode === 'active') continue;
      if (cov.mode === 'pending' && cov.processId !== null) continue;
      if (cov.mode === 'polling' && (cov.retryAt === null || now < cov.retryAt)) continue;
      await this.subscribe(device, object, false);
    }
  }

  /** A verification read of an active object: its present-value must be what the notifications said. */
  verify(device: BacnetDeviceRuntime, object: ObjectRuntime, samples: readonly Sample[]): void {
    if (object.cov.mode !== 'active' || object.cov.lastNotified === undefined) return;
    const pv = object.points.find((p) => p.property === PROP.PRESENT_VALUE && p.def.cov !== false);
    const sample = pv && samples.find((s) => s.point === pv.id);
    if (sample === undefined || sample.value === null || sample.value === object.cov.lastNotified) return;
    this.fallBack(device, object, `notifications stopped: a verification read found ${String(sample.value)}, the last notification said ${String(object.cov.lastNotified)}`);
  }

  /** The device stopped answering: its subscriptions are gone or will lapse; resubscribe once it answers. */
  deviceLost(device: BacnetDeviceRuntime): void {
    for (const object of device.objects) {
      if (object.cov.mode === 'off') continue;
      this.drop(object);
      object.cov.mode = 'pending';
      object.cov.reason = 'device not answering; subscribing again when it does';
      object.cov.retryAt = null;
    }
  }

  private async subscribe(device: BacnetDeviceRuntime, object: ObjectRuntime, renewal: boolean): Promise<void> {
    const { link } = this.options;
    const cov = object.cov;
    const processId = cov.processId ?? this.nextProcessId++;
    const sub: Subscription = this.subscriptions.get(processId) ?? { device, object, initialTimer: undefined, renewTimer: undefined };
    cov.subscribing = true;
    if (!renewal) {
      cov.mode = 'pending';
      cov.processId = processId;
      cov.notifications = 0;
      this.subscriptions.set(processId, sub);
    }
    try {
      device.requests++;
      await device.queue.run(() => this.options.client.subscribeCov(device.target, object.typeNumber, object.instance, processId, link.covConfirmed, link.covLifetimeS));
    } catch (err) {
      device.errors++;
      if (this.stopped) return;
      const error = toBacnetError(err, device.target.label);
      const why = error.noAnswer
        ? `SubscribeCOV got no answer`
        : isServiceUnsupported(error)
          ? `the device does not support SubscribeCOV (${error.message})`
          : `the device refused SubscribeCOV (${error.message})`;
      this.fallBack(device, object, why);
      return;
    } finally {
      cov.subscribing = false;
    }
    if (this.stopped || cov.processId !== processId) return;
    this.clearTimers(sub);
    sub.renewTimer = this.clock.setTimeout(() => this.renew(processId), link.covLifetimeS * 1000 * RENEW_AT_SHARE);
    if (!renewal && cov.mode === 'pending' && cov.notifications === 0) {
      sub.initialTimer = this.clock.setTimeout(() => {
        sub.initialTimer = undefined;
        if (cov.processId === processId && cov.mode === 'pending' && cov.notifications === 0) {
          this.fallBack(device, object, `no initial COV notification within ${link.covInitialNotificationMs} ms`);
        }
      }, link.covInitialNotificationMs);
    }
    this.log.debug({ device: device.id, object: object.label, processId, renewal }, 'subscribed to COV');
  }

  private renew(processId: number): void {
    const sub = this.subscriptions.get(processId);
    if (!sub || this.stopped) return;
    sub.renewTimer = undefined;
    if (sub.object.cov.processId !== processId || sub.device.state === 'offline') return;
    void this.subscribe(sub.device, sub.object, true).catch((err: unknown) => this.log.error({ err }, 'COV renewal failed unexpectedly'));
  }

  private fallBack(device: BacnetDeviceRuntime, object: ObjectRuntime, reason: string): void {
    this.drop(object);
    object.cov.mode = 'polling';
    object.cov.reason = reason;
    object.cov.retryAt = this.clock.now() + this.options.link.covRetryMs;
    this.log.warn({ device: device.id, object: object.label, reason, retryInMs: this.options.link.covRetryMs }, 'COV: polling instead');
  }

  private drop(object: ObjectRuntime): void {
    const id = object.cov.processId;
    if (id !== null) {
      const sub = this.subscriptions.get(id);
      if (sub) this.clearTimers(sub);
      this.subscriptions.delete(id);
    }
    object.cov.processId = null;
    object.cov.lastNotified = undefined;
  }

  private clearTimers(sub: Subscription): void {
    this.clock.clearTimeout(sub.initialTimer);
    this.clock.clearTimeout(sub.renewTimer);
    sub.initialTimer = undefined;
    sub.renewTimer = undefined;
  }

  private receive(n: CovNotification): void {
    if (this.stopped) return;
    const sub = this.subscriptions.get(n.processId);
    if (!sub || sub.device.instance !== n.deviceInstance || sub.object.typeNumber !== n.objectType || sub.object.instance !== n.instance) {
      this.log.debug({ from: n.from, processId: n.processId }, 'COV notification for no subscription of ours');
      return;
    }
    const { device, object } = sub;
    if (device.state === 'disabled') return;
    const now = this.clock.now();
    const flags = n.values.find((v) => v.property === PROP.STATUS_FLAGS);
    if (flags) {
      try {
        object.flags = decodeStatusFlags(flags.value);
        if (!object.flags.fault) object.reliability = undefined;
      } catch {
        // Keep the last known flags.
      }
    }
    const pv = n.values.find((v) => v.property === PROP.PRESENT_VALUE);
    object.cov.notifications++;
    if (object.cov.mode === 'pending') {
      object.cov.mode = 'active';
      object.cov.reason = null;
      this.clock.clearTimeout(sub.initialTimer);
      sub.initialTimer = undefined;
      this.log.info({ device: device.id, object: object.label }, 'COV active');
    }
    if (pv === undefined) return;
    const verdict = qualityOf(object.flags, object.reliability, object.type);
    const samples: Sample[] = [];
    for (const point of object.points) {
      if (point.property !== PROP.PRESENT_VALUE || point.def.cov === false) continue;
      try {
        const value = namedState(point.def, decodePointValue(object.type, 'present-value', pv.value));
        object.cov.lastNotified = value;
        if (verdict.quality === 'good') device.lastGood.set(point.id, value);
        samples.push(verdict.reason === undefined ? { point: point.id, value, ts: now, quality: verdict.quality } : { point: point.id, value, ts: now, quality: verdict.quality, error: verdict.reason });
      } catch (err) {
        samples.push({ point: point.id, value: null, ts: now, quality: 'bad', error: `device ${device.id}: ${object.label} present-value in a COV notification: ${err instanceof Error ? err.message : String(err)}` });
      }
    }
    device.lastSeen = now;
    this.options.emitSamples(samples);
  }
}
