import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceStatusEvent, Driver, DriverContext } from '../../src/drivers/driver.js';
import type { DeviceEvent } from '../../src/points/device-event.js';
import { silentLogger } from '../../src/log.js';
import { splitPointId, type Quality, type Sample } from '../../src/points/sample.js';
import { SystemClock, type Clock, type TimerHandle } from '../../src/time/clock.js';

/**
 * The driver contract: one suite of protocol-neutral assertions, run against every protocol driver
 * (Modbus today; BACnet and MQTT later) through a factory that sets up a real protocol peer. It checks
 * what the rest of the gateway relies on: start does not wait for devices, samples are well formed and
 * carry their quality, a dead device is reported once and does not hold up a live one, health tells the
 * truth, and stop is final.
 *
 * Timing: the suite runs on the system clock and waits at most a few seconds. A factory configures its
 * driver so that a healthy device delivers every 100–200 ms and a silent one is given up on within about
 * a second (request timeouts around 150 ms).
 */

/** What a factory hands back: a driver built on the given context, the peer behind it, and what to expect. */
export interface DriverContractFixture {
  /** Built with the DriverContext passed to the factory; not started yet. */
  driver: Driver;
  /** A device that answers, and one that never answers (both configured on this driver). */
  devices: { healthy: string; silent: string };
  /** Point ids (`<device>.<point>`) the driver reads for a device. */
  expectedPoints(deviceId: string): string[];
  /** Stops the protocol peer. Called after the suite has stopped the driver. */
  teardown(): Promise<void>;
}

export type DriverContractFactory = (context: DriverContext) => Promise<DriverContractFixture>;

/** An absolute ceiling on start(); the real check is that it resolves before the silent device is given up on. */
const START_LIMIT_MS = 1000;
const STOP_LIMIT_MS = 2000;
/** How long a healthy device may take to deliver every point, and a silent one to be reported offline. */
const SETTLE_DEADLINE_MS = 5000;
/** Watched after settling: long enough for several polls of the healthy device and retries of the silent one. */
const OBSERVE_MS = 1500;
/** Good batches the healthy device must deliver in the observation window. */
const MIN_HEALTHY_BATCHES = 3;
/** The healthy device's last good batch must be at most this old when the observation window ends. */
const MAX_DELIVERY_GAP_MS = 750;
/** Watched after stop() for anything the driver still emits: several poll intervals and timeouts. */
const QUIET_AFTER_STOP_MS = 600;
const WAIT_STEP_MS = 10;

const QUALITIES: readonly Quality[] = ['good', 'uncertain', 'bad', 'stale'];

interface RecordedBatch {
  receivedAt: number;
  /** Length at delivery, in case the driver reuses its array. */
  size: number;
  /** Copies taken at delivery, in case the driver reuses its sample objects. */
  samples: Sample[];
}

/** A DriverContext that records everything the driver reports, with the time it arrived. */
class Recording {
  readonly batches: RecordedBatch[] = [];
  readonly statuses: Array<DeviceStatusEvent & { receivedAt: number }> = [];
  readonly events: Array<DeviceEvent & { receivedAt: number }> = [];
  readonly context: DriverContext;

  constructor(readonly clock: Clock) {
    this.context = {
      clock,
      logger: silentLogger(),
      onSamples: (samples) => this.batches.push({ receivedAt: clock.now(), size: samples.length, samples: samples.map((s) => ({ ...s })) }),
      onDeviceStatus: (status) => this.statuses.push({ ...status, receivedAt: clock.now() }),
      onEvents: (events) => this.events.push(...events.map((e) => ({ ...e, receivedAt: clock.now() }))),
      onDeviceAlarms: () => undefined,
    };
  }

  samples(): Sample[] {
    return this.batches.flatMap((b) => b.samples);
  }

  samplesOf(device: string): Sample[] {
    return this.samples().filter((s) => splitPointId(s.point).device === device);
  }

  statusesOf(device: string): Array<DeviceStatusEvent & { receivedAt: number }> {
    return this.statuses.filter((s) => s.device === device);
  }

  /** Whether every given point has arrived at least once with quality good. */
  allGood(points: readonly string[]): boolean {
    const good = new Set(this.samples().filter((s) => s.quality === 'good').map((s) => s.point));
    return points.every((p) => good.has(p));
  }

  offlineEvents(device: string): DeviceStatusEvent[] {
    return this.statusesOf(device).filter((s) => !s.online);
  }
}

async function waitUntil(clock: Clock, condition: () => boolean, deadlineMs: number, what: string): Promise<void> {
  const deadline = clock.now() + deadlineMs;
  while (!condition()) {
    if (clock.now() > deadline) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await clock.sleep(WAIT_STEP_MS);
  }
}

/** Resolves with the promise's outcome, or rejects once `limitMs` has passed without one. */
async function within<T>(clock: Clock, promise: Promise<T>, limitMs: number, what: string): Promise<T> {
  let timer: TimerHandle | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(() => reject(new Error(`${what} did not settle within ${limitMs} ms`)), limitMs);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clock.clearTimeout(timer);
  }
}

interface StartedFixture {
  clock: Clock;
  recording: Recording;
  fixture: DriverContractFixture;
  /** Taken before the factory ran: no sample or event may be older. */
  windowStart: number;
  startMs: number;
  /** Whether the silent device had already been reported offline when start() resolved. */
  silentGivenUpBeforeStartResolved: boolean;
}

/** A fresh recording, fixture and started driver; everything is torn down again if start() fails. */
async function startFixture(factory: DriverContractFactory): Promise<StartedFixture> {
  const clock = new SystemClock();
  const recording = new Recording(clock);
  const windowStart = clock.now();
  const fixture = await factory(recording.context);
  const startCalledAt = clock.now();
  try {
    await within(clock, fixture.driver.start(), START_LIMIT_MS, 'start()');
  } catch (err) {
    await shutDown(fixture);
    throw err;
  }
  const startMs = clock.now() - startCalledAt;
  const silentGivenUpBeforeStartResolved = recording.offlineEvents(fixture.devices.silent).length > 0;
  return { clock, recording, fixture, windowStart, startMs, silentGivenUpBeforeStartResolved };
}

async function shutDown(fixture: DriverContractFixture | undefined): Promise<void> {
  if (fixture === undefined) return;
  try {
    await fixture.driver.stop();
  } finally {
    await fixture.teardown();
  }
}

export function driverContract(name: string, factory: DriverContractFactory): void {
  describe(`driver contract: ${name}`, () => {
    describe('with a healthy and a silent device', () => {
      let run: StartedFixture | undefined;
      /** When the silent device was reported offline, and when the observation window after that ended. */
      let offlineAt = 0;
      let observedUntil = 0;

      const started = (): StartedFixture => {
        if (run === undefined) throw new Error('fixture did not start');
        return run;
      };

      beforeAll(async () => {
        run = await startFixture(factory);
        const { clock, recording, fixture } = run;
        const { healthy, silent } = fixture.devices;
        await waitUntil(
          clock,
          () => recording.allGood(fixture.expectedPoints(healthy)) && recording.offlineEvents(silent).length > 0,
          SETTLE_DEADLINE_MS,
          `every point of ${healthy} good and ${silent} reported offline`,
        );
        offlineAt = recording.statusesOf(silent).find((s) => !s.online)?.receivedAt ?? clock.now();
        await clock.sleep(OBSERVE_MS);
        observedUntil = clock.now();
      });

      afterAll(async () => {
        await shutDown(run?.fixture);
      });

      it('start() resolves promptly, without waiting for the silent device', () => {
        const { startMs, silentGivenUpBeforeStartResolved } = started();
        expect(startMs).toBeLessThan(START_LIMIT_MS);
        expect(silentGivenUpBeforeStartResolved, 'start() waited until the silent device was given up on').toBe(false);
      });

      it('emits well-formed samples: known points, timestamps in the test window, valid quality, null only without a value', () => {
        const { clock, recording, fixture, windowStart } = started();
        const { healthy, silent } = fixture.devices;
        const known = new Set([...fixture.expectedPoints(healthy), ...fixture.expectedPoints(silent)]);
        const now = clock.now();
        const samples = recording.samples();
        expect(samples.length).toBeGreaterThan(0);
        for (const sample of samples) {
          expect(known.has(sample.point), `unknown point ${sample.point}`).toBe(true);
          expect(typeof sample.ts === 'number' && Number.isFinite(sample.ts), `${sample.point}: ts ${String(sample.ts)}`).toBe(true);
          expect(sample.ts, sample.point).toBeGreaterThanOrEqual(windowStart);
          expect(sample.ts, sample.point).toBeLessThanOrEqual(now);
          expect(QUALITIES, `${sample.point}: quality`).toContain(sample.quality);
          // A good or uncertain sample always has a value; null means there was none to give (bad, or stale before any read).
          if (sample.value === null) expect(['bad', 'stale'], `${sample.point}: null value`).toContain(sample.quality);
          else expect(['number', 'boolean', 'string'], `${sample.point}: value type`).toContain(typeof sample.value);
          if (sample.quality === 'good' && typeof sample.value === 'number') expect(Number.isFinite(sample.value), sample.point).toBe(true);
        }
      });

      it('delivers every expected point of the healthy device with quality good', () => {
        const { recording, fixture } = started();
        const good = new Set(recording.samples().filter((s) => s.quality === 'good').map((s) => s.point));
        const expected = fixture.expectedPoints(fixture.devices.healthy);
        expect(expected.length).toBeGreaterThan(0);
        expect(expected.filter((p) => !good.has(p))).toEqual([]);
      });

      it('reports the silent device offline exactly once, never online, and none of its points good', () => {
        const { recording, fixture, windowStart } = started();
        const { healthy, silent } = fixture.devices;
        const silentEvents = recording.statusesOf(silent);
        expect(silentEvents.map((s) => s.online)).toEqual([false]);
        expect(silentEvents[0]?.ts).toBeGreaterThanOrEqual(windowStart);
        expect(recording.samplesOf(silent).filter((s) => s.quality === 'good')).toEqual([]);
        // The healthy device becomes reachable once and stays so.
        expect(recording.statusesOf(healthy).map((s) => s.online)).toEqual([true]);
      });

      it('reports both devices and the link in health()', () => {
        const { clock, fixture, windowStart } = started();
        const { healthy, silent } = fixture.devices;
        const health = fixture.driver.health();
        expect(health.link).toBe(fixture.driver.linkId);
        expect(health.protocol.length).toBeGreaterThan(0);
        expect(health.state).toBe('connected');
        const healthyHealth = health.devices.find((d) => d.device === healthy);
        const silentHealth = health.devices.find((d) => d.device === silent);
        expect(healthyHealth?.state).toBe('online');
        expect(healthyHealth?.lastSeen).toBeGreaterThanOrEqual(windowStart);
        expect(healthyHealth?.lastSeen).toBeLessThanOrEqual(clock.now());
        expect(silentHealth?.state).toBe('offline');
        expect(silentHealth?.lastSeen).toBeNull();
      });

      it('keeps the healthy device delivering while the silent one is dead', () => {
        const { recording, fixture } = started();
        const { healthy } = fixture.devices;
        const goodBatchTimes = recording.batches
          .filter((b) => b.receivedAt >= offlineAt && b.samples.some((s) => s.quality === 'good' && splitPointId(s.point).device === healthy))
          .map((b) => b.receivedAt);
        expect(goodBatchTimes.length).toBeGreaterThanOrEqual(MIN_HEALTHY_BATCHES);
        expect(observedUntil - (goodBatchTimes.at(-1) ?? 0)).toBeLessThanOrEqual(MAX_DELIVERY_GAP_MS);
      });

      it('never hands onSamples an empty batch', () => {
        const { recording } = started();
        expect(recording.batches.filter((b) => b.size === 0)).toEqual([]);
      });
    });

    describe('stop()', () => {
      it('resolves, and nothing arrives after it, though the silent device may still have a request pending', async () => {
        const { clock, recording, fixture } = await startFixture(factory);
        try {
          const healthyPoints = fixture.expectedPoints(fixture.devices.healthy);
          await waitUntil(clock, () => recording.allGood(healthyPoints), SETTLE_DEADLINE_MS, 'the healthy device to deliver');
          await within(clock, fixture.driver.stop(), STOP_LIMIT_MS, 'stop()');
          const batchesAtStop = recording.batches.length;
          const statusesAtStop = recording.statuses.length;
          await clock.sleep(QUIET_AFTER_STOP_MS);
          expect(recording.batches.length - batchesAtStop, 'sample batches after stop()').toBe(0);
          expect(recording.statuses.length - statusesAtStop, 'status events after stop()').toBe(0);
          expect(fixture.driver.health().state).toBe('stopped');
          expect(recording.batches.filter((b) => b.size === 0)).toEqual([]);
        } finally {
          await shutDown(fixture);
        }
      });

      it('is harmless when called twice', async () => {
        const { clock, recording, fixture } = await startFixture(factory);
        try {
          await waitUntil(clock, () => recording.batches.length > 0, SETTLE_DEADLINE_MS, 'a first batch');
          await within(clock, fixture.driver.stop(), STOP_LIMIT_MS, 'first stop()');
          await within(clock, fixture.driver.stop(), STOP_LIMIT_MS, 'second stop()');
          expect(fixture.driver.health().state).toBe('stopped');
        } finally {
          await shutDown(fixture);
        }
      });
    });
  });
}
