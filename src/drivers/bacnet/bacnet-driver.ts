import type { Logger } from 'pino';
import { DriverOutput, noteProblem } from '../driver-output.js';
import type { BacnetLinkConfig } from '../../config/bacnet-schema.js';
import type { DeviceConfig } from '../../config/schema.js';
import type { PointValue, Sample } from '../../points/sample.js';
import type { BacnetProfile } from '../../profiles/types.js';
import type { Clock, TimerHandle } from '../../time/clock.js';
import type { DeviceHealth, DeviceState, Driver, DriverContext, LinkHealth, LinkState } from '../driver.js';
import { CircuitBreaker } from '../modbus/backoff.js';
import { SerialQueue } from '../modbus/serial-queue.js';
import { OBJ, PROP } from './codes.js';
import { CovManager } from './cov-manager.js';
import { buildObjects, readItemOf, samplesFromRead, type ObjectReadResult, type ObjectRuntime } from './device-model.js';
import { BacnetError, isReplyTooBig, isServiceUnsupported, isUnknownObject, isUnknownProperty, propertyErrorText, toBacnetError } from './errors.js';
import { toAlarmEvent } from './intrinsic-alarms.js';
import { BacnetLinkClient, type EventNotification, type RequestTarget } from './link-client.js';
import { planBatches, replyBudget, shrinkBudget, type ReadItem } from './rpm-planner.js';
import { decodeStatusFlags } from './values.js';

/** Used until the device tells its own (I-Am or its device object) and when it will not say. */
const DEFAULT_MAX_APDU = 1476;

export interface BacnetDeviceEntry {
  config: DeviceConfig;
  profile: BacnetProfile;
}

export interface BacnetDriverOptions {
  link: BacnetLinkConfig;
  siteId: string;
  devices: readonly BacnetDeviceEntry[];
  context: DriverContext;
}

export interface BacnetDeviceRuntime {
  readonly id: string;
  readonly config: DeviceConfig;
  readonly instance: number;
  readonly target: RequestTarget;
  readonly objects: ObjectRuntime[];
  readonly queue: SerialQueue;
  readonly breaker: CircuitBreaker;
  state: DeviceState;
  timer: TimerHandle | undefined;
  nextDueAt: number;
  polling: boolean;
  /** Max APDU from config, I-Am or the device object; null until known. */
  maxApdu: number | null;
  /** Reply budget of a ReadPropertyMultiple; shrinks when the device aborts a too-big reply. */
  budgetBytes: number;
  /** False once the device refused ReadPropertyMultiple: one ReadProperty per property from then on. */
  rpm: boolean;
  lastVerifyAt: number;
  /** Last good value per point, for the stale batch when the device goes quiet. */
  readonly lastGood: Map<string, PointValue>;
  readonly problems: Map<string, string>;
  lastSeen: number | null;
  requests: number;
  errors: number;
  lastError: string | null;
  overruns: number;
}

type PollOutcome = { answered: boolean; samples: Sample[]; failure: BacnetError | undefined };

/**
 * Reads the devices of one BACnet/IP link. It never writes: the link client has no write service.
 *
 * - Schedule: each enabled device polls every pollIntervalMs on the clock, one request at a time per
 *   device. A poll reads the device's objects that are not carried by an active COV subscription (and,
 *   every covVerifyIntervalMs, those too, to verify the notifications), batched into
 *   ReadPropertyMultiple requests that fit the device's max APDU; ReadProperty per property on devices
 *   without RPM. With nothing to poll, one read of the device object's system-status checks it is alive.
 * - Reachability: a poll the device answers nothing to (after retries) reports it offline once, turns its
 *   points stale (last values kept) and backs it off; the first answer reports it online.
 * - COV (cov-manager.ts): subscribed per object after the device answered; falls back to polling by
 *   itself and says why in health.
 * - Intrinsic alarms: event notifications become alarm events (intrinsic-alarms.ts).
 */
export class BacnetDriver implements Driver {
  readonly linkId: string;
  private readonly link: BacnetLinkConfig;
  private readonly siteId: string;
  private readonly clock: Clock;
  private readonly context: DriverContext;
  private readonly log: Logger;
  private readonly output: DriverOutput;
  readonly client: BacnetLinkClient;
  private readonly cov: CovManager;
  private readonly devices: BacnetDeviceRuntime[];
  private linkState: LinkState = 'disconnected';
  private linkError: string | null = null;
  private reconnects = 0;
  private reopenTimer: TimerHandle | undefined;
  private registrationTimer: TimerHandle | undefined;
  private started = false;
  private stopped = false;

  constructor(options: BacnetDriverOptions) {
    this.link = options.link;
    this.linkId = options.link.id;
    this.siteId = options.siteId;
    this.context = options.context;
    this.clock = options.context.clock;
    this.log = options.context.logger.child({ module: 'bacnet', link: options.link.id });
    this.output = new DriverOutput(options.context, this.log, () => this.stopped);
    this.client = new BacnetLinkClient({
      interface: options.link.interface,
      port: options.link.port,
      broadcastAddress: options.link.broadcastAddress,
      apduTimeoutMs: options.link.apduTimeoutMs,
      retries: options.link.retries,
      clock: this.clock,
      logger: this.log,
    });
    const ids = new Set<string>();
    this.devices = options.devices.map(({ config, profile }) => {
      if (config.link !== this.linkId) throw new Error(`device ${config.id} is on link ${config.link}, not ${this.linkId}`);
      if (ids.has(config.id)) throw new Error(`device ${config.id} appears twice on link ${this.linkId}`);
      ids.add(config.id);
      return this.newDevice(config, profile);
    });
    this.cov = new CovManager({
      link: this.link,
      clock: this.clock,
      logger: this.log,
      client: this.client,
      devices: this.devices,
      emitSamples: (samples) => this.output.samples(samples),
    });
    this.client.eventListener = (n) => this.receiveEvent(n);
    this.client.onIAm((iAm) => {
      const device = this.devices.find((d) => d.instance === iAm.deviceInstance && d.target.address === iAm.address);
      if (device && device.config.maxApdu === undefined && device.maxApdu === null) this.learnMaxApdu(device, iAm.maxApdu);
    });
  }

  /** Binds the socket (a matter of milliseconds) and schedules the polls; never waits for a device. */
  async start(): Promise<void> {
    if (this.stopped) throw new Error(`bacnet driver ${this.linkId} was stopped; create a new one`);
    if (this.started) return;
    this.started = true;
    const now = this.clock.now();
    for (const device of this.polledDevices()) this.schedule(device, now);
    await this.open();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.linkState = 'stopped';
    this.clock.clearTimeout(this.reopenTimer);
    this.clock.clearTimeout(this.registrationTimer);
    for (const device of this.devices) {
      this.clock.clearTimeout(device.timer);
      device.queue.clear(new Error('driver stopped'));
    }
    this.cov.stop();
    this.client.close();
    this.log.info('stopped');
    await Promise.resolve();
  }

  health(): LinkHealth {
    return {
      link: this.linkId,
      protocol: 'bacnet',
      state: this.linkState,
      reconnects: this.reconnects,
      lastError: this.linkError,
      queueDepth: this.devices.reduce((sum, d) => sum + d.queue.depth, 0),
      rejectedFrames: this.client.transport.rejectedTotal,
      devices: this.devices.map((d): DeviceHealth => {
        const cov = this.cov.deviceCovHealth(d);
        return {
          device: d.id,
          state: d.state,
          lastSeen: d.lastSeen,
          requests: d.requests,
          errors: d.errors,
          consecutiveFailures: d.breaker.consecutiveFailures,
          lastError: d.lastError,
          nextAttemptAt: d.breaker.state === 'closed' ? null : d.breaker.nextAttemptAt,
          overruns: d.overruns,
          cov: cov.state,
          covReason: cov.reason,
        };
      }),
    };
  }

  /** Rejected datagrams by reason, for stats. */
  rejectedFrames(): Record<string, number> {
    return { ...this.client.transport.rejected };
  }

  private polledDevices(): BacnetDeviceRuntime[] {
    return this.devices.filter((d) => d.state !== 'disabled');
  }

  private newDevice(config: DeviceConfig, profile: BacnetProfile): BacnetDeviceRuntime {
    if (config.address === undefined || config.deviceInstance === undefined) {
      throw new Error(`device ${config.id} on BACnet link ${this.linkId} needs address and deviceInstance`);
    }
    const maxApdu = config.maxApdu ?? null;
    return {
      id: config.id,
      config,
      instance: config.deviceInstance,
      target: { address: normaliseAddress(config.address), label: `device ${config.id}` },
      objects: buildObjects(config, profile),
      queue: new SerialQueue({ clock: this.clock }),
      breaker: new CircuitBreaker({ clock: this.clock, backoffInitialMs: this.link.backoffInitialMs, backoffMaxMs: this.link.backoffMaxMs }),
      state: config.enabled ? 'unknown' : 'disabled',
      timer: undefined,
      nextDueAt: 0,
      polling: false,
      maxApdu,
      budgetBytes: replyBudget(maxApdu ?? DEFAULT_MAX_APDU),
      rpm: true,
      lastVerifyAt: this.clock.now(),
      lastGood: new Map(),
      problems: new Map(),
      lastSeen: null,
      requests: 0,
      errors: 0,
      lastError: null,
      overruns: 0,
    };
  }

  // ── Link ────────────────────────────────────────────────────────────────────────────────────────────

  private async open(): Promise<void> {
    this.linkState = 'connecting';
    try {
      await this.client.open();
    } catch (err) {
      this.linkError = err instanceof Error ? err.message : String(err);
      this.linkState = 'disconnected';
      this.log.error({ err: this.linkError }, 'cannot open the BACnet/IP socket');
      return;
    }
    if (this.stopped) return;
    this.linkState = 'connected';
    this.linkError = null;
    this.log.info({ interface: this.link.interface, port: this.client.localPort }, 'BACnet/IP socket open');
    if (this.link.foreignDevice) this.registerForeignDevice();
  }

  /** Registers with the BBMD, and again when half the TTL has run (the BBMD drops us at the TTL plus 30 s). */
  private registerForeignDevice(): void {
    const fd = this.link.foreignDevice;
    if (!fd || this.stopped) return;
    const bbmd = `${fd.bbmdAddress}:${fd.bbmdPort}`;
    this.client.registerForeignDevice(bbmd, fd.ttlS).then(
      () => {
        if (this.linkError?.startsWith('foreign-device registration')) this.linkError = null;
        this.log.info({ bbmd, ttlS: fd.ttlS }, 'registered as a foreign device');
        this.scheduleRegistration((fd.ttlS * 1000) / 2);
      },
      (err: unknown) => {
        this.linkError = `foreign-device registration with ${bbmd} failed: ${toBacnetError(err, 'register').message}`;
        this.log.warn({ bbmd, err: this.linkError }, 'foreign-device registration failed');
        this.scheduleRegistration(Math.min(this.link.backoffMaxMs, (fd.ttlS * 1000) / 4));
      },
    );
  }

  private scheduleRegistration(delayMs: number): void {
    if (this.stopped) return;
    this.clock.clearTimeout(this.registrationTimer);
    this.registrationTimer = this.clock.setTimeout(() => this.registerForeignDevice(), delayMs);
  }

  // ── Schedule ────────────────────────────────────────────────────────────────────────────────────────

  private schedule(device: BacnetDeviceRuntime, dueAt: number): void {
    this.clock.clearTimeout(device.timer);
    device.nextDueAt = dueAt;
    device.timer = this.clock.setTimeout(() => this.tick(device), dueAt - this.clock.now());
  }

  private tick(device: BacnetDeviceRuntime): void {
    device.timer = undefined;
    if (this.stopped) return;
    const intervalMs = device.config.pollIntervalMs;
    const now = this.clock.now();
    const next = device.nextDueAt + intervalMs > now ? device.nextDueAt + intervalMs : now + intervalMs;
    this.schedule(device, next);
    if (device.polling) {
      device.overruns++;
      return;
    }
    if (this.linkState !== 'connected' || !device.breaker.canAttempt()) return;
    device.polling = true;
    void this.poll(device).finally(() => {
      device.polling = false;
    });
  }

  // ── Poll ────────────────────────────────────────────────────────────────────────────────────────────

  /** Never rejects. */
  private async poll(device: BacnetDeviceRuntime): Promise<void> {
    try {
      const outcome = await device.queue.run(() => this.readDevice(device));
      if (this.stopped) return;
      this.finishPoll(device, outcome);
      if (outcome.answered) await this.cov.afterPoll(device);
    } catch (err) {
      if (!this.stopped) this.log.error({ err, device: device.id }, 'poll failed unexpectedly');
    }
  }

  private async readDevice(device: BacnetDeviceRuntime): Promise<PollOutcome> {
    const now = this.clock.now();
    const verify = now - device.lastVerifyAt >= this.link.covVerifyIntervalMs;
    const objects = device.objects.filter((o) => verify || this.cov.needsPolling(o));
    if (verify) device.lastVerifyAt = now;
    try {
      if (device.maxApdu === null) await this.readMaxApdu(device);
      if (objects.length === 0) {
        await this.request(device, () => this.client.readProperty(device.target, OBJ.DEVICE, device.instance, PROP.SYSTEM_STATUS));
        return { answered: true, samples: [], failure: undefined };
      }
      const results = device.rpm ? await this.readByRpm(device, objects) : await this.readByRp(device, objects);
      const ts = this.clock.now();
      const samples: Sample[] = [];
      for (const object of objects) {
        const result = results.get(object.key);
        if (result === undefined) continue;
        const include = (p: ObjectRuntime['points'][number]) => this.cov.includeInPoll(object, p, verify);
        const read = samplesFromRead(device.id, object, result, ts, include);
        for (const [key, problem] of read.problems) noteProblem(device.problems, this.log, device.id, key, problem);
        this.cov.verify(device, object, read.samples);
        samples.push(...read.samples);
      }
      return { answered: true, samples, failure: undefined };
    } catch (err) {
      const error = toBacnetError(err, device.target.label);
      return { answered: !error.noAnswer, samples: [], failure: error };
    }
  }

  /** Counts the request on the device; refusals and silence both count as errors. */
  private async request<T>(device: BacnetDeviceRuntime, send: () => Promise<T>): Promise<T> {
    device.requests++;
    try {
      return await send();
    } catch (err) {
      device.errors++;
      throw err;
    }
  }

  private async readMaxApdu(device: BacnetDeviceRuntime): Promise<void> {
    try {
      const values = await this.request(device, () => this.client.readProperty(device.target, OBJ.DEVICE, device.instance, PROP.MAX_APDU_LENGTH_ACCEPTED));
      const first = values[0]?.value;
      this.learnMaxApdu(device, typeof first === 'number' ? first : DEFAULT_MAX_APDU);
    } catch (err) {
      const error = toBacnetError(err, device.target.label);
      if (error.noAnswer) throw error;
      // A device that will not say gets the BACnet/IP maximum; too-big aborts shrink the batches.
      this.learnMaxApdu(device, DEFAULT_MAX_APDU);
    }
  }

  private learnMaxApdu(device: BacnetDeviceRuntime, maxApdu: number): void {
    device.maxApdu = Math.max(50, Math.min(DEFAULT_MAX_APDU, maxApdu));
    device.budgetBytes = replyBudget(device.maxApdu);
    this.log.debug({ device: device.id, maxApdu: device.maxApdu }, 'max APDU learned');
  }

  /**
   * ReadPropertyMultiple in batches. A too-big abort halves the budget and re-plans what is left; an
   * Error for a whole batch (some devices answer so for one unknown object) is retried one object at a
   * time so the others still read; "service not supported" switches the device to ReadProperty.
   */
  private async readByRpm(device: BacnetDeviceRuntime, objects: readonly ObjectRuntime[]): Promise<Map<string, ObjectReadResult>> {
    const results = new Map<string, ObjectReadResult>();
    const byKey = new Map(objects.map((o) => [o.key, o]));
    let pending: ReadItem[] = objects.map(readItemOf);
    while (pending.length > 0) {
      const [batch] = planBatches(pending, device.budgetBytes);
      if (batch === undefined) break;
      try {
        const reply = await this.request(device, () =>
          this.client.readPropertyMultiple(
            device.target,
            batch.map((item) => ({ objectId: { type: item.objectType, instance: item.instance }, properties: item.properties.map((id) => ({ id, index: 0xffffffff })) })),
          ),
        );
        for (const item of batch) results.set(item.key, rpmResultFor(item, reply));
        pending = pending.slice(batch.length);
      } catch (err) {
        const error = toBacnetError(err, device.target.label);
        if (error.noAnswer) throw error;
        if (isReplyTooBig(error) && batch.length > 1) {
          device.budgetBytes = shrinkBudget(batch);
          this.log.info({ device: device.id, budgetBytes: device.budgetBytes }, 'reply too big: smaller ReadPropertyMultiple batches from now on');
          continue;
        }
        if (isServiceUnsupported(error)) {
          device.rpm = false;
          this.log.info({ device: device.id, err: error.message }, 'no ReadPropertyMultiple: reading one property at a time');
          const rest = pending.map((item) => byKey.get(item.key)).filter((o): o is ObjectRuntime => o !== undefined);
          for (const [key, result] of await this.readByRp(device, rest)) results.set(key, result);
          return results;
        }
        if (batch.length > 1) {
          // Read this batch object by object: the error belongs to one of them.
          const single = batch.map((item) => [item]);
          for (const [item] of single) {
            if (item === undefined) continue;
            results.set(item.key, await this.readSingleObject(device, item));
          }
        } else if (batch[0] !== undefined) {
          results.set(batch[0].key, wholeObjectError(batch[0], error));
        }
        pending = pending.slice(batch.length);
      }
    }
    return results;
  }

  private async readSingleObject(device: BacnetDeviceRuntime, item: ReadItem): Promise<ObjectReadResult> {
    try {
      const reply = await this.request(device, () =>
        this.client.readPropertyMultiple(device.target, [{ objectId: { type: item.objectType, instance: item.instance }, properties: item.properties.map((id) => ({ id, index: 0xffffffff })) }]),
      );
      return rpmResultFor(item, reply);
    } catch (err) {
      const error = toBacnetError(err, device.target.label);
      if (error.noAnswer) throw error;
      return wholeObjectError(item, error);
    }
  }

  /**
   * One ReadProperty per property. Reliability is read only when the status flags say FAULT (it explains
   * the fault; without one it is no-fault-detected by definition), which saves a request per object.
   */
  private async readByRp(device: BacnetDeviceRuntime, objects: readonly ObjectRuntime[]): Promise<Map<string, ObjectReadResult>> {
    const results = new Map<string, ObjectReadResult>();
    for (const object of objects) {
      const result: ObjectReadResult = { values: new Map(), errors: new Map() };
      const properties = [...new Set(object.points.map((p) => p.property)), PROP.STATUS_FLAGS];
      for (const property of properties) await this.readOne(device, object, property, result);
      let fault: boolean;
      try {
        const flags = result.values.get(PROP.STATUS_FLAGS);
        fault = flags !== undefined && decodeStatusFlags(flags).fault;
      } catch {
        fault = false;
      }
      if (fault && object.readReliability) await this.readOne(device, object, PROP.RELIABILITY, result);
      results.set(object.key, result);
    }
    return results;
  }

  private async readOne(device: BacnetDeviceRuntime, object: ObjectRuntime, property: number, result: ObjectReadResult): Promise<void> {
    try {
      result.values.set(property, await this.request(device, () => this.client.readProperty(device.target, object.typeNumber, object.instance, property)));
    } catch (err) {
      const error = toBacnetError(err, device.target.label);
      if (error.noAnswer) throw error;
      result.errors.set(property, describeError(error));
    }
  }

  private finishPoll(device: BacnetDeviceRuntime, outcome: PollOutcome): void {
    const now = this.clock.now();
    device.lastError = outcome.failure?.message ?? null;
    if (outcome.answered) {
      device.lastSeen = now;
      device.breaker.recordSuccess();
      for (const s of outcome.samples) if (s.quality === 'good' && s.value !== null) device.lastGood.set(s.point, s.value);
      const degraded = outcome.failure !== undefined || outcome.samples.some((s) => s.quality === 'bad' && s.error?.startsWith(`device ${device.id}:`));
      if (outcome.failure) noteProblem(device.problems, this.log, device.id, 'poll', outcome.failure.message);
      else noteProblem(device.problems, this.log, device.id, 'poll', undefined);
      this.setState(device, degraded ? 'degraded' : 'online', now);
      this.output.samples(outcome.samples);
      return;
    }
    device.breaker.recordFailure();
    const wasReachable = device.state !== 'offline';
    this.setState(device, 'offline', now, outcome.failure?.message);
    if (wasReachable) {
      this.cov.deviceLost(device);
      const error = `device not answering: ${outcome.failure?.message ?? 'no answer'}`;
      this.output.samples(device.objects.flatMap((o) => o.points.map((p): Sample => ({ point: p.id, value: device.lastGood.get(p.id) ?? null, ts: now, quality: 'stale', error }))));
    }
  }

  // ── Events ──────────────────────────────────────────────────────────────────────────────────────────

  private receiveEvent(n: EventNotification): void {
    if (this.stopped) return;
    const device = this.devices.find((d) => d.instance === n.deviceInstance && d.state !== 'disabled');
    if (device === undefined) {
      this.log.debug({ from: n.from, deviceInstance: n.deviceInstance }, 'event notification from a device not configured on this link');
      return;
    }
    const object = device.objects.find((o) => o.typeNumber === n.objectType && o.instance === n.instance);
    const point = object?.points[0];
    const event = toAlarmEvent(n, { site: this.siteId, device: device.id, point: point ? { name: point.def.name, id: point.id } : undefined, now: this.clock.now() });
    if (event === undefined) return;
    this.log.info({ device: device.id, alarm: event.alarmId, type: event.type, toState: n.toState, priority: n.priority }, 'device event notification');
    try {
      this.output.alarms([event]);
    } catch (err) {
      this.log.error({ err }, 'onDeviceAlarms listener threw');
    }
  }

  // ── State, logs ─────────────────────────────────────────────────────────────────────────────────────

  private setState(device: BacnetDeviceRuntime, next: DeviceState, now: number, error?: string): void {
    const previous = device.state;
    device.state = next;
    const wasReachable = previous === 'online' || previous === 'degraded';
    const reachable = next === 'online' || next === 'degraded';
    if (previous !== 'unknown' && wasReachable === reachable) return;
    if (reachable) {
      this.log.info({ device: device.id }, previous === 'offline' ? 'device answering again' : 'device answering');
      this.output.status({ device: device.id, online: true, ts: now });
    } else {
      const message = error ?? 'not answering';
      this.log.warn({ device: device.id, err: message }, 'device not answering');
      this.output.status({ device: device.id, online: false, ts: now, error: message });
    }
  }

}

/** `10.0.0.5:47808` and `10.0.0.5` are one device: the library writes the default port without `:port`. */
export function normaliseAddress(address: string): string {
  return address.endsWith(':47808') ? address.slice(0, -':47808'.length) : address;
}

function rpmResultFor(item: ReadItem, reply: Awaited<ReturnType<BacnetLinkClient['readPropertyMultiple']>>): ObjectReadResult {
  const result: ObjectReadResult = { values: new Map(), errors: new Map() };
  const object = reply.find((o) => o.objectType === item.objectType && o.instance === item.instance);
  for (const property of item.properties) {
    const answer = object?.properties.find((p) => p.property === property);
    if (answer === undefined) result.errors.set(property, 'missing from the ReadPropertyMultiple reply');
    else if (answer.error) result.errors.set(property, errorText(answer.error));
    else result.values.set(property, answer.value);
  }
  return result;
}

function wholeObjectError(item: ReadItem, error: BacnetError): ObjectReadResult {
  const text = describeError(error);
  return { values: new Map(), errors: new Map(item.properties.map((p) => [p, text])) };
}

function errorText(err: { errorClass: number; errorCode: number }): string {
  if (isUnknownObject(err)) return 'unknown object';
  if (isUnknownProperty(err)) return 'unknown property';
  return propertyErrorText(err);
}

function describeError(error: BacnetError): string {
  if (error.kind === 'error') return errorText({ errorClass: error.errorClass ?? -1, errorCode: error.errorCode ?? -1 });
  return error.message;
}
