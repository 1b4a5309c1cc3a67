import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DeviceConfig, MqttLinkConfig } from '../../src/config/schema.js';
import type { DeviceStatusEvent } from '../../src/drivers/driver.js';
import { MqttDriver } from '../../src/drivers/mqtt/mqtt-driver.js';
import type { MqttDeviceEntry } from '../../src/gateway/device-catalog.js';
import { silentLogger } from '../../src/log.js';
import type { DeviceEvent } from '../../src/points/device-event.js';
import type { Sample } from '../../src/points/sample.js';
import { accessControllerProfile, doorProfile } from '../../src/profiles/access-control.js';
import type { MqttProfile } from '../../src/profiles/types.js';
import { SystemClock } from '../../src/time/clock.js';
import { startMosquitto, type MosquittoServer } from '../support/mosquitto.js';

/**
 * MqttDriver against a real Mosquitto (with persistence) on loopback: two controllers with three doors
 * each, played by MQTT.js clients with last wills; malformed payloads injected with Debian's mosquitto_pub;
 * a broker restart in the middle. The tests run in order and share one driver, as a gateway would.
 */

const execFileAsync = promisify(execFile);
const MOSQUITTO_PUB = process.env.MOSQUITTO_PUB_BIN ?? '/usr/bin/mosquitto_pub';
const LINK_ID = 'acs';
const CLIENT_ID = 'facility-gw-it-acs';
const CONTROLLERS = ['ctrl-1', 'ctrl-2'] as const;
const DOORS_PER_CONTROLLER = 3;
const HEARTBEAT_INTERVAL_MS = 200;
/** Short, so the timeout test is quick; ten heartbeat intervals, so a loaded machine does not trip it. */
const HEARTBEAT_TIMEOUT_MS = 2000;
/** Long enough that events published right after the broker restart find the driver still reconnecting. */
const RECONNECT_PERIOD_MS = 2000;
const RESUBSCRIBE_LIMIT_MS = 5000;
const RESTART_EVENTS = 50;
const MAX_PAYLOAD_BYTES = 65_536;
const GARBAGE_BYTES = 1024 * 1024;
const WAIT_MS = 10_000;

const controllerProfile: MqttProfile = {
  ...accessControllerProfile,
  id: 'access-controller-mqtt-it',
  availability: { ...accessControllerProfile.availability, heartbeatTimeoutMs: HEARTBEAT_TIMEOUT_MS },
};

function entry(id: string, profile: MqttProfile, topicVars: Record<string, string>, parent?: string): MqttDeviceEntry {
  const config: DeviceConfig = {
    id,
    type: profile.equipment,
    profile: profile.id,
    link: LINK_ID,
    parent,
    topicVars,
    pollIntervalMs: 1000,
    staleAfterPolls: 3,
    commLossDelayMs: 0,
    enabled: true,
    thresholds: [],
    disableThresholds: [],
    eventRules: [],
  };
  return { config, profile };
}

const doorId = (controller: string, door: number): string => `door-${controller.slice('ctrl-'.length)}-${door}`;
const doorNumbers = Array.from({ length: DOORS_PER_CONTROLLER }, (_, i) => i + 1);

function siteDevices(extraDoor?: number): MqttDeviceEntry[] {
  return CONTROLLERS.flatMap((controller) => [
    entry(controller, controllerProfile, { controller }),
    ...[...doorNumbers, ...(extraDoor === undefined ? [] : [extraDoor])].map((door) => entry(doorId(controller, door), doorProfile, { controller, door: String(door) }, controller)),
  ]);
}

/** A controller as the field device: retained status with a last will, heartbeats, retained state. */
class FakeController {
  client!: MqttClient;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    readonly id: string,
    private readonly url: string,
  ) {}

  async connect(): Promise<void> {
    this.client = await connectAsync(this.url, {
      clientId: `device-${this.id}`,
      reconnectPeriod: 100,
      will: { topic: `acs/${this.id}/status`, payload: Buffer.from('offline'), qos: 1, retain: true },
    });
    await this.client.publishAsync(`acs/${this.id}/status`, 'online', { qos: 1, retain: true });
    // As real controllers do: "online" again after every reconnect, over the will the broker may have sent.
    this.client.on('connect', () => this.client.publish(`acs/${this.id}/status`, 'online', { qos: 1, retain: true }));
    this.startHeartbeat();
  }

  startHeartbeat(): void {
    this.stopHeartbeat();
    this.heartbeat = setInterval(() => this.client.publish(`acs/${this.id}/heartbeat`, String(Date.now()), { qos: 1 }), HEARTBEAT_INTERVAL_MS);
  }

  stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  /** Drops the TCP connection without DISCONNECT, as a controller losing power would: the broker sends the will. */
  crash(): void {
    this.stopHeartbeat();
    this.client.options.reconnectPeriod = 0;
    this.client.stream.destroy();
  }

  async close(): Promise<void> {
    this.stopHeartbeat();
    await this.client.endAsync(true);
  }
}

class Recording {
  readonly batches: Array<{ at: number; samples: Sample[] }> = [];
  readonly statuses: Array<DeviceStatusEvent & { at: number }> = [];
  readonly events: DeviceEvent[] = [];

  samples(): Sample[] {
    return this.batches.flatMap((b) => b.samples);
  }

  latest(point: string): Sample | undefined {
    return this.samples().filter((s) => s.point === point).at(-1);
  }

  statusesOf(device: string): boolean[] {
    return this.statuses.filter((s) => s.device === device).map((s) => s.online);
  }
}

async function until(condition: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
  await vi.waitFor(() => {
    if (!condition()) throw new Error(`waiting for ${what}`);
  }, { timeout: timeoutMs, interval: 10 });
}

describe('MqttDriver against Mosquitto', () => {
  let broker: MosquittoServer;
  let driver: MqttDriver;
  let publisher: MqttClient;
  let tempDir: string;
  const recording = new Recording();
  const controllers = new Map<string, FakeController>();
  const clock = new SystemClock();
  const link: MqttLinkConfig = {
    id: LINK_ID,
    type: 'mqtt',
    clientId: CLIENT_ID,
    keepaliveS: 30,
    reconnectPeriodMs: RECONNECT_PERIOD_MS,
    connectTimeoutMs: 2000,
    maxPayloadBytes: MAX_PAYLOAD_BYTES,
  };

  const newDriver = (devices: MqttDeviceEntry[]): MqttDriver =>
    new MqttDriver({
      link,
      brokerUrl: broker.url,
      siteId: 'it',
      devices,
      context: {
        clock,
        logger: silentLogger(),
        onSamples: (samples) => recording.batches.push({ at: Date.now(), samples: samples.map((s) => ({ ...s })) }),
        onDeviceStatus: (status) => recording.statuses.push({ ...status, at: Date.now() }),
        onEvents: (events) => recording.events.push(...events),
        onDeviceAlarms: () => undefined,
      },
    });

  const health = (id: string) => {
    const found = driver.health().devices.find((d) => d.device === id);
    if (!found) throw new Error(`no health for ${id}`);
    return found;
  };

  const mosquittoPub = async (topic: string, ...message: string[]): Promise<void> => {
    await execFileAsync(MOSQUITTO_PUB, ['-h', broker.host, '-p', String(broker.port), '-q', '1', '-t', topic, ...message]);
  };

  beforeAll(async () => {
    broker = await startMosquitto();
    tempDir = await mkdtemp(join(tmpdir(), 'facility-gw-mqtt-it-'));
    publisher = await connectAsync(broker.url, { clientId: 'it-publisher', reconnectPeriod: 100 });
    // Retained state from before the gateway starts.
    for (const controller of CONTROLLERS) {
      await publisher.publishAsync(`acs/${controller}/state`, JSON.stringify({ mains: true, battery_v: 13.2, tamper: false }), { qos: 1, retain: true });
      for (const door of doorNumbers) {
        await publisher.publishAsync(`acs/${controller}/door/${door}/state`, JSON.stringify({ open: door === 2, locked: door !== 2 }), { qos: 1, retain: true });
      }
      const fake = new FakeController(controller, broker.url);
      await fake.connect();
      controllers.set(controller, fake);
    }
    // An earlier configuration of this gateway had a fourth door on ctrl-1: its subscription stays in the session.
    const earlier = newDriver(siteDevices(9));
    await earlier.start();
    await until(() => earlier.stats().subscribeRounds === 1, 'the earlier driver to subscribe');
    await earlier.stop();
    recording.batches.length = 0;
    recording.statuses.length = 0;

    driver = newDriver(siteDevices());
    await driver.start();
    await until(() => driver.stats().subscribeRounds === 1, 'the driver to subscribe');
  });

  afterAll(async () => {
    await driver?.stop();
    for (const fake of controllers.values()) await fake.close();
    await publisher?.endAsync(true);
    await broker?.stop();
    if (tempDir !== undefined) await rm(tempDir, { recursive: true, force: true });
  });

  it('delivers the retained state of every controller and door, and both controllers online', async () => {
    const points = siteDevices().flatMap((d) => d.profile.points.map((p) => `${d.config.id}.${p.name}`));
    await until(() => points.every((p) => recording.latest(p)?.quality === 'good'), 'every point good');
    await until(() => CONTROLLERS.every((c) => health(c).state === 'online'), 'both controllers online');
    expect(recording.latest('door-1-2.open')?.value).toBe(true);
    expect(recording.latest('door-2-3.locked')?.value).toBe(true);
    expect(recording.latest('ctrl-2.battery_voltage')?.value).toBe(13.2);
    expect(recording.statusesOf('ctrl-1')).toEqual([true]);
    // Doors follow their controller: no status events of their own.
    expect(recording.statuses.every((s) => s.device.startsWith('ctrl-'))).toBe(true);
    expect(health('door-1-1').state).toBe('online');
    expect(driver.stats().sessionPresent).toBe(true);
  });

  it('turns event messages into device events with their attributes', async () => {
    await publisher.publishAsync('acs/ctrl-1/door/3/event', JSON.stringify({ type: 'denied', badge: 'B-17', reason: 'expired' }), { qos: 1 });
    await publisher.publishAsync('acs/ctrl-2/door/1/event', JSON.stringify({ type: 'forced' }), { qos: 1 });
    await publisher.publishAsync('acs/ctrl-2/door/1/event', JSON.stringify({ type: 'granted', badge: 'B-2' }), { qos: 1 });
    await until(() => recording.events.length === 3, 'three events');
    expect(recording.events.map(({ device, event, attributes }) => ({ device, event, attributes }))).toEqual([
      { device: 'door-1-3', event: 'access_denied', attributes: { badge: 'B-17', reason: 'expired' } },
      { device: 'door-2-1', event: 'door_forced', attributes: {} },
      { device: 'door-2-1', event: 'access_granted', attributes: { badge: 'B-2' } },
    ]);
  });

  it('counts malformed payloads from mosquitto_pub on their device while the other devices keep delivering', async () => {
    const garbageFile = join(tempDir, 'garbage.bin');
    await writeFile(garbageFile, randomBytes(GARBAGE_BYTES));
    // Another door keeps publishing throughout.
    let open = false;
    const busy = setInterval(() => {
      open = !open;
      publisher.publish('acs/ctrl-2/door/2/state', JSON.stringify({ open, locked: !open }), { qos: 1 });
    }, 50);
    const injectStart = Date.now();
    try {
      await mosquittoPub('acs/ctrl-1/door/1/state', '-m', 'this is not JSON');
      await mosquittoPub('acs/ctrl-1/door/1/state', '-m', '{"open": "very", "locked": true}');
      await mosquittoPub('acs/ctrl-1/door/1/state', '-m', '{"locked": true}');
      await mosquittoPub('acs/ctrl-1/door/1/state', '-f', garbageFile);
      await until(() => health('door-1-1').errors === 4, 'four rejected messages');
    } finally {
      clearInterval(busy);
    }
    const injectEnd = Date.now();
    expect(health('door-1-1')).toMatchObject({ errors: 4, consecutiveFailures: 4, state: 'degraded' });
    expect(health('door-1-1').lastError).toMatch(/payload of 1048576 bytes is over maxPayloadBytes 65536/);
    expect(driver.stats().oversize).toBe(1);
    // The partly good message still updated `locked`; `open` kept its retained value.
    expect(recording.latest('door-1-1.open')).toMatchObject({ value: false, quality: 'good' });
    for (const other of siteDevices().map((d) => d.config.id).filter((id) => id !== 'door-1-1')) expect(health(other).errors, other).toBe(0);
    const busyBatches = recording.batches.filter((b) => b.at >= injectStart && b.at <= injectEnd && b.samples.some((s) => s.point === 'door-2-2.open'));
    expect(busyBatches.length).toBeGreaterThanOrEqual(Math.floor((injectEnd - injectStart) / 50 / 2));

    await mosquittoPub('acs/ctrl-1/door/1/state', '-m', '{"open": false, "locked": true}');
    await until(() => health('door-1-1').consecutiveFailures === 0, 'a good message again');
    expect(health('door-1-1').state).toBe('online');
  });

  it('counts and drops a message on a topic no device listens on any more', async () => {
    const before = driver.stats().unmatched;
    await mosquittoPub('acs/ctrl-1/door/9/state', '-m', '{"open": true, "locked": true}');
    await until(() => driver.stats().unmatched === before + 1, 'the unmatched message');
    expect(recording.samples().some((s) => s.point.startsWith('door-1-9'))).toBe(false);
  });

  it('takes a controller offline on its last will: one status event, stale samples for it and its doors', async () => {
    const batchesBefore = recording.batches.length;
    const statusesBefore = recording.statuses.length;
    controllers.get('ctrl-1')?.crash();
    await until(() => recording.statuses.length > statusesBefore, 'a status event');
    const offline = recording.statuses.slice(statusesBefore);
    expect(offline.map((s) => [s.device, s.online, s.error])).toEqual([['ctrl-1', false, 'status topic says offline (last will)']]);
    const staleBatches = recording.batches.slice(batchesBefore).filter((b) => b.samples.every((s) => s.quality === 'stale'));
    expect(staleBatches).toHaveLength(1);
    const stale = staleBatches[0]?.samples ?? [];
    expect(new Set(stale.map((s) => s.point.split('.')[0]))).toEqual(new Set(['ctrl-1', 'door-1-1', 'door-1-2', 'door-1-3']));
    expect(stale.find((s) => s.point === 'door-1-2.open')?.value).toBe(true);
    expect(['ctrl-1', 'door-1-1', 'door-1-2', 'door-1-3'].map((id) => health(id).state)).toEqual(['offline', 'offline', 'offline', 'offline']);
    expect(health('ctrl-2').state).toBe('online');

    // Its heartbeat deadline running out later changes nothing: still one communication alarm.
    await clock.sleep(HEARTBEAT_TIMEOUT_MS + 500);
    expect(recording.statusesOf('ctrl-1')).toEqual([true, false]);

    const back = new FakeController('ctrl-1', broker.url);
    await back.connect();
    controllers.set('ctrl-1', back);
    await until(() => health('ctrl-1').state === 'online', 'ctrl-1 back online');
    expect(recording.statusesOf('ctrl-1')).toEqual([true, false, true]);
  });

  it('takes a controller offline when its heartbeat stops, and online on the next one', async () => {
    const fake = controllers.get('ctrl-2');
    if (!fake) throw new Error('no ctrl-2');
    const stoppedAt = Date.now();
    fake.stopHeartbeat();
    await until(() => health('ctrl-2').state === 'offline', 'ctrl-2 offline', HEARTBEAT_TIMEOUT_MS + WAIT_MS);
    const event = recording.statuses.filter((s) => s.device === 'ctrl-2').at(-1);
    expect(event).toMatchObject({ online: false, error: `no heartbeat for ${HEARTBEAT_TIMEOUT_MS} ms` });
    expect((event?.at ?? 0) - stoppedAt).toBeGreaterThanOrEqual(HEARTBEAT_TIMEOUT_MS - HEARTBEAT_INTERVAL_MS);
    fake.startHeartbeat();
    await until(() => health('ctrl-2').state === 'online', 'ctrl-2 online again');
    expect(recording.statusesOf('ctrl-2')).toEqual([true, false, true]);
  });

  it('keeps device states while the broker is down, though Mosquitto sends every client\'s last will as it shuts down', async () => {
    const statusesBefore = recording.statuses.length;
    const roundsBefore = driver.stats().subscribeRounds;
    await broker.pause();
    await until(() => driver.health().state !== 'connected', 'the link to drop');
    // Longer than a heartbeat deadline: a down broker says nothing about the devices behind it.
    await clock.sleep(HEARTBEAT_TIMEOUT_MS + 500);
    expect(CONTROLLERS.map((c) => health(c).state)).toEqual(['online', 'online']);
    expect(recording.statuses.length).toBe(statusesBefore);
    expect(driver.health().lastError).not.toBeNull();
    await broker.restart();
    await until(() => driver.health().state === 'connected', 'the driver to reconnect');
    // The wills it set aside: their retained status is asked for again (now "online" again).
    await until(() => driver.stats().subscribeRounds === roundsBefore + 1, 'the status refresh');
    expect(driver.stats().sessionPresent).toBe(true);
    await clock.sleep(HEARTBEAT_INTERVAL_MS * 3);
    expect(CONTROLLERS.map((c) => health(c).state)).toEqual(['online', 'online']);
    expect(recording.statuses.length).toBe(statusesBefore);
  });

  it('after a broker restart, resubscribes within 5 s and misses no QoS 1 event published while it reconnected', async () => {
    const reconnectsBefore = driver.health().reconnects;
    const eventsBefore = recording.events.length;
    await broker.pause();
    await until(() => driver.health().state !== 'connected', 'the link to drop');
    // Nothing is published while the broker is down. Then, right after it is back, another client publishes.
    await broker.restart();
    const restartedAt = Date.now();
    const sender = await connectAsync(broker.url, { clientId: 'it-restart-sender' });
    try {
      for (let i = 0; i < RESTART_EVENTS; i++) {
        const door = doorNumbers[i % DOORS_PER_CONTROLLER] ?? 1;
        await sender.publishAsync(`acs/ctrl-2/door/${door}/event`, JSON.stringify({ type: 'granted', badge: `R-${i}` }), { qos: 1 });
      }
    } finally {
      await sender.endAsync();
    }
    const stateWhenPublished = driver.health().state;
    await until(() => driver.health().state === 'connected' && driver.health().reconnects > reconnectsBefore, 'the driver to reconnect', RESUBSCRIBE_LIMIT_MS + WAIT_MS);
    const stats = driver.stats();
    // Subscribed again: the broker restored the session from its persistence file, or the driver resubscribed.
    expect(stats.sessionPresent === true || (stats.lastSubscribedAt ?? 0) >= restartedAt).toBe(true);
    const resubscribedMs = Date.now() - restartedAt;
    expect(resubscribedMs).toBeLessThan(RESUBSCRIBE_LIMIT_MS);
    expect(stateWhenPublished, 'the events were published while the driver was still reconnecting').not.toBe('connected');

    await until(() => recording.events.length - eventsBefore >= RESTART_EVENTS, 'every event published during the restart');
    const badges = recording.events.slice(eventsBefore).map((e) => e.attributes.badge);
    expect(new Set(badges)).toEqual(new Set(Array.from({ length: RESTART_EVENTS }, (_, i) => `R-${i}`)));
    // Still live: a message published now arrives too.
    await publisher.publishAsync('acs/ctrl-1/door/1/event', JSON.stringify({ type: 'forced' }), { qos: 1 });
    await until(() => recording.events.at(-1)?.event === 'door_forced', 'a live event after the restart');
  });
});
