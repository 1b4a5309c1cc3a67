import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Aedes } from 'aedes';
import { connectAsync, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DeviceConfig, MqttLinkConfig } from '../../../src/config/schema.js';
import type { DeviceStatusEvent } from '../../../src/drivers/driver.js';
import { WILL_GRACE_MS } from '../../../src/drivers/mqtt/availability.js';
import { withoutCredentials } from '../../../src/drivers/mqtt/mqtt-connection.js';
import { MqttDriver } from '../../../src/drivers/mqtt/mqtt-driver.js';
import type { MqttDeviceEntry } from '../../../src/gateway/device-catalog.js';
import { silentLogger } from '../../../src/log.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../src/mqtt/embedded-broker.js';
import type { DeviceEvent } from '../../../src/points/device-event.js';
import type { Sample } from '../../../src/points/sample.js';
import { accessControllerProfile, doorProfile } from '../../../src/profiles/access-control.js';
import type { MqttProfile } from '../../../src/profiles/types.js';
import { VirtualClock } from '../../../src/time/clock.js';

/**
 * MqttDriver against the embedded aedes broker on a free loopback port. The wire runs on real time (MQTT.js
 * has its own timers); the driver's heartbeat deadlines run on a VirtualClock that the tests advance.
 */

const SITE = 'hq';
const LINK_ID = 'acs';
const HEARTBEAT_TIMEOUT_MS = accessControllerProfile.availability?.heartbeatTimeoutMs ?? 30_000;
const MAX_PAYLOAD_BYTES = 1024;
/** Real time allowed for something to cross the broker. */
const WIRE_TIMEOUT_MS = 3000;

const LINK: MqttLinkConfig = {
  id: LINK_ID,
  type: 'mqtt',
  keepaliveS: 30,
  reconnectPeriodMs: 100,
  connectTimeoutMs: 2000,
  maxPayloadBytes: MAX_PAYLOAD_BYTES,
};

function device(id: string, profile: MqttProfile, topicVars: Record<string, string>, extra: Partial<DeviceConfig> = {}): MqttDeviceEntry {
  return {
    config: {
      id,
      type: profile.equipment,
      profile: profile.id,
      link: LINK_ID,
      topicVars,
      pollIntervalMs: 1000,
      staleAfterPolls: 3,
      commLossDelayMs: 0,
      enabled: true,
      thresholds: [],
      disableThresholds: [],
      eventRules: [],
      ...extra,
    },
    profile,
  };
}

/** Controller ctrl-a with doors door-a1 and door-a2; controller ctrl-b with door-b1. */
function site(): MqttDeviceEntry[] {
  return [
    device('ctrl-a', accessControllerProfile, { controller: 'a' }),
    device('door-a1', doorProfile, { controller: 'a', door: '1' }, { parent: 'ctrl-a' }),
    device('door-a2', doorProfile, { controller: 'a', door: '2' }, { parent: 'ctrl-a' }),
    device('ctrl-b', accessControllerProfile, { controller: 'b' }),
    device('door-b1', doorProfile, { controller: 'b', door: '1' }, { parent: 'ctrl-b' }),
  ];
}

interface LogLine {
  level: number;
  msg: string;
  device?: string;
  topic?: string;
  problem?: string;
}

const WARN = 40;

class Harness {
  readonly clock = new VirtualClock();
  readonly batches: Sample[][] = [];
  readonly statuses: DeviceStatusEvent[] = [];
  readonly events: DeviceEvent[] = [];
  readonly logs: LogLine[] = [];
  driver!: MqttDriver;
  publisher!: MqttClient;

  constructor(
    public broker: EmbeddedBroker,
    private readonly devices: MqttDeviceEntry[],
    private readonly link: MqttLinkConfig = LINK,
  ) {}

  static async start(devices = site(), link: MqttLinkConfig = LINK, broker?: EmbeddedBroker): Promise<Harness> {
    const h = new Harness(broker ?? (await startEmbeddedBroker({ host: '127.0.0.1', port: 0, logger: silentLogger() })), devices, link);
    h.publisher = await connectAsync(h.broker.url, { clientId: `publisher-${Math.random()}`, reconnectPeriod: 100 });
    h.driver = h.newDriver();
    await h.driver.start();
    await h.until(() => h.driver.stats().subscribeRounds >= 1, 'the driver to subscribe');
    return h;
  }

  newDriver(devices = this.devices): MqttDriver {
    const logger = pino({ level: 'debug' }, { write: (line: string) => this.logs.push(JSON.parse(line) as LogLine) });
    return new MqttDriver({
      link: this.link,
      brokerUrl: this.broker.url,
      siteId: SITE,
      devices,
      context: {
        clock: this.clock,
        logger,
        onSamples: (samples) => this.batches.push(samples.map((s) => ({ ...s }))),
        onDeviceStatus: (status) => this.statuses.push(status),
        onEvents: (events) => this.events.push(...events),
        onDeviceAlarms: () => undefined,
      },
    });
  }

  async publish(topic: string, payload: string | Buffer, retain = false): Promise<void> {
    await this.publisher.publishAsync(topic, payload, { qos: 1, retain });
  }

  async until(condition: () => boolean, what: string): Promise<void> {
    await vi.waitFor(() => {
      if (!condition()) throw new Error(`waiting for ${what}`);
    }, { timeout: WIRE_TIMEOUT_MS, interval: 5 });
  }

  samples(): Sample[] {
    return this.batches.flat();
  }

  latest(point: string): Sample | undefined {
    return this.samples().filter((s) => s.point === point).at(-1);
  }

  deviceHealth(id: string) {
    const health = this.driver.health().devices.find((d) => d.device === id);
    if (!health) throw new Error(`no health for ${id}`);
    return health;
  }

  warnings(deviceId: string): LogLine[] {
    return this.logs.filter((l) => l.level === WARN && l.device === deviceId && l.msg === 'payload rejected');
  }

  async close(): Promise<void> {
    await this.driver.stop();
    await this.publisher.endAsync(true);
    await this.broker.stop();
  }
}

let harness: Harness | undefined;

async function open(devices?: MqttDeviceEntry[], link?: MqttLinkConfig): Promise<Harness> {
  harness = await Harness.start(devices, link);
  return harness;
}

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('MqttDriver: points and events', () => {
  it('decodes every point of a topic from one message into one batch of good samples', async () => {
    const h = await open();
    await h.publish('acs/a/state', JSON.stringify({ mains: true, battery_v: 13.4, tamper: false }));
    await h.until(() => h.batches.length > 0, 'a batch');
    expect(h.batches).toEqual([
      [
        { point: 'ctrl-a.mains_ok', value: true, ts: h.clock.now(), quality: 'good' },
        { point: 'ctrl-a.battery_voltage', value: 13.4, ts: h.clock.now(), quality: 'good' },
        { point: 'ctrl-a.tamper', value: false, ts: h.clock.now(), quality: 'good' },
      ],
    ]);
    expect(h.deviceHealth('ctrl-a')).toMatchObject({ requests: 1, errors: 0, lastSeen: h.clock.now() });
  });

  it('delivers retained state published before it subscribed', async () => {
    const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, logger: silentLogger() });
    const early = await connectAsync(broker.url);
    await early.publishAsync('acs/a/door/2/state', '{"open": true, "locked": false}', { qos: 1, retain: true });
    await early.endAsync();
    harness = await Harness.start(site(), LINK, broker);
    const h = harness;
    await h.until(() => h.latest('door-a2.locked') !== undefined, 'the retained door state');
    expect(h.latest('door-a2.open')).toMatchObject({ value: true, quality: 'good' });
  });

  it('turns event messages into device events with attributes, not samples', async () => {
    const h = await open();
    await h.publish('acs/a/door/1/event', JSON.stringify({ type: 'denied', badge: 'B-17', reason: 'expired' }));
    await h.publish('acs/a/door/1/event', JSON.stringify({ type: 'forced' }));
    await h.publish('acs/a/door/1/event', JSON.stringify({ type: 'exit_request' }));
    await h.until(() => h.deviceHealth('door-a1').requests === 3, 'three event messages');
    expect(h.events).toEqual([
      { device: 'door-a1', event: 'access_denied', ts: h.clock.now(), attributes: { badge: 'B-17', reason: 'expired' } },
      { device: 'door-a1', event: 'door_forced', ts: h.clock.now(), attributes: {} },
    ]);
    expect(h.batches).toEqual([]);
    expect(h.deviceHealth('door-a1').errors).toBe(0);
  });

  it('counts malformed payloads on their device, keeps the previous value and logs once per change', async () => {
    const h = await open();
    await h.publish('acs/a/door/1/state', '{"open": false, "locked": true}');
    const bad = ['not json', 'still not json', '{"open": "maybe", "locked": true}', '{"open": "ajar", "locked": true}', '{"locked": true}'];
    for (const payload of bad) await h.publish('acs/a/door/1/state', payload);
    await h.publish('acs/a/door/2/state', '{"open": true, "locked": false}');
    await h.until(() => h.deviceHealth('door-a1').requests === 6 && h.latest('door-a2.open') !== undefined, 'all messages');

    expect(h.deviceHealth('door-a1')).toMatchObject({ state: 'unknown', requests: 6, errors: 5, consecutiveFailures: 5, lastError: 'acs/a/door/1/state: open: field open missing' });
    // No sample for what could not be read: the good `locked` values of the partly bad messages still count.
    expect(h.samples().filter((s) => s.point === 'door-a1.open').map((s) => s.value)).toEqual([false]);
    expect(h.samples().every((s) => s.quality === 'good')).toBe(true);
    // Not JSON, wrong type, missing field: three changes, three warnings (not five).
    expect(h.warnings('door-a1').map((l) => l.problem)).toEqual(['not-json', 'wrong-type', 'missing-field']);
    // The other door is not affected.
    expect(h.deviceHealth('door-a2')).toMatchObject({ errors: 0, consecutiveFailures: 0, lastError: null });

    await h.publish('acs/a/door/1/state', '{"open": true, "locked": true}');
    await h.until(() => h.deviceHealth('door-a1').consecutiveFailures === 0, 'a good message');
    expect(h.deviceHealth('door-a1')).toMatchObject({ errors: 5, lastError: null });
    expect(h.logs.filter((l) => l.msg === 'payload problem cleared' && l.device === 'door-a1')).toHaveLength(1);
  });

  it('rejects a payload over maxPayloadBytes before parsing and counts it on the device', async () => {
    const h = await open();
    await h.publish('acs/b/state', Buffer.alloc(MAX_PAYLOAD_BYTES + 1, '{'));
    await h.until(() => h.deviceHealth('ctrl-b').requests === 1, 'the big message');
    expect(h.deviceHealth('ctrl-b')).toMatchObject({ errors: 1, lastError: `acs/b/state: payload of ${MAX_PAYLOAD_BYTES + 1} bytes is over maxPayloadBytes ${MAX_PAYLOAD_BYTES}` });
    expect(h.driver.stats()).toMatchObject({ oversize: 1, unmatched: 0 });
    expect(h.warnings('ctrl-b').map((l) => l.problem)).toEqual(['oversize']);
    expect(h.batches).toEqual([]);
  });

  it('counts and drops a message no device listens on (a subscription left in the session by an older config)', async () => {
    const h = await open();
    // The same client id, one door fewer: the broker keeps door-a2's subscription in the session.
    await h.driver.stop();
    h.driver = h.newDriver(site().filter((d) => d.config.id !== 'door-a2'));
    await h.driver.start();
    await h.until(() => h.driver.stats().subscribeRounds >= 1, 'the new driver to subscribe');
    expect(h.driver.stats().sessionPresent).toBe(true);
    await h.publish('acs/a/door/2/state', '{"open": true, "locked": true}');
    await h.publish('acs/a/door/1/state', '{"open": true, "locked": true}');
    await h.until(() => h.driver.stats().messages === 2, 'both messages');
    expect(h.driver.stats().unmatched).toBe(1);
    expect(h.logs.some((l) => l.msg === 'no device listens on this topic; dropped' && l.topic === 'acs/a/door/2/state')).toBe(true);
    expect(h.samples().map((s) => s.point)).toEqual(['door-a1.open', 'door-a1.locked']);
  });

  it('survives a listener that throws', async () => {
    const h = await open();
    await h.driver.stop();
    let calls = 0;
    h.driver = new MqttDriver({
      link: { ...LINK, clientId: 'throwing' },
      brokerUrl: h.broker.url,
      siteId: SITE,
      devices: site(),
      context: {
        clock: h.clock,
        logger: silentLogger(),
        onSamples: () => {
          calls++;
          throw new Error('listener bug');
        },
        onDeviceStatus: () => undefined,
        onEvents: () => undefined,
        onDeviceAlarms: () => undefined,
      },
    });
    await h.driver.start();
    await h.until(() => h.driver.stats().subscribeRounds >= 1, 'subscribed');
    await h.publish('acs/a/door/1/state', '{"open": true, "locked": true}');
    await h.publish('acs/a/door/1/state', '{"open": false, "locked": true}');
    await h.until(() => calls === 2, 'two batches');
    expect(h.driver.health().state).toBe('connected');
  });
});

describe('MqttDriver: availability', () => {
  it('takes a controller offline on its last will, once, with stale samples for it and its doors', async () => {
    const h = await open();
    await h.publish('acs/a/status', 'online', true);
    await h.publish('acs/a/state', '{"mains": true, "battery_v": 13.1, "tamper": false}');
    await h.publish('acs/a/door/1/state', '{"open": false, "locked": true}');
    await h.until(() => h.statuses.length === 1 && h.batches.length === 2, 'online and two batches');
    expect(h.statuses).toEqual([{ device: 'ctrl-a', online: true, ts: h.clock.now() }]);
    expect(h.deviceHealth('door-a1').state).toBe('online');

    await h.publish('acs/a/status', 'offline', true);
    await h.until(() => h.deviceHealth('ctrl-a').requests === 3, 'the last will');
    // A will takes effect after a short grace (a broker shutting down sends the wills of everyone).
    await h.clock.advance(WILL_GRACE_MS - 1);
    expect(h.statuses).toHaveLength(1);
    await h.clock.advance(1);
    expect(h.statuses).toHaveLength(2);
    expect(h.statuses[1]).toEqual({ device: 'ctrl-a', online: false, ts: h.clock.now(), error: 'status topic says offline (last will)' });
    const stale = h.batches[2] ?? [];
    expect(stale.every((s) => s.quality === 'stale')).toBe(true);
    expect(Object.fromEntries(stale.map((s) => [s.point, s.value]))).toEqual({
      'ctrl-a.mains_ok': true,
      'ctrl-a.battery_voltage': 13.1,
      'ctrl-a.tamper': false,
      'door-a1.open': false,
      'door-a1.locked': true,
      'door-a2.open': null,
      'door-a2.locked': null,
    });
    expect(['ctrl-a', 'door-a1', 'door-a2'].map((id) => h.deviceHealth(id).state)).toEqual(['offline', 'offline', 'offline']);
    expect(h.deviceHealth('ctrl-b').state).toBe('unknown');

    // Again offline: nothing new. Then online: one status event, no samples until values arrive.
    await h.publish('acs/a/status', 'offline', true);
    await h.until(() => h.deviceHealth('ctrl-a').requests === 4, 'the repeated will');
    await h.clock.advance(WILL_GRACE_MS);
    await h.publish('acs/a/status', 'online', true);
    await h.until(() => h.statuses.length === 3, 'online again');
    expect(h.statuses.map((s) => s.online)).toEqual([true, false, true]);
    expect(h.batches).toHaveLength(3);
  });

  it('sets a last will aside when the link drops right after it, and asks for the retained status again', async () => {
    const h = await open();
    await h.publish('acs/a/status', 'online', true);
    await h.until(() => h.statuses.length === 1, 'online');
    await h.publish('acs/a/status', 'offline', true);
    await h.until(() => h.deviceHealth('ctrl-a').requests === 2, 'the will');
    // The broker goes away within the grace: as a broker does that sends everyone's will on shutdown.
    const port = h.broker.port;
    await h.broker.stop();
    await h.until(() => h.driver.health().state !== 'connected', 'the link to drop');
    await h.clock.advance(10 * WILL_GRACE_MS);
    expect(h.deviceHealth('ctrl-a').state).toBe('online');
    expect(h.statuses).toHaveLength(1);
    // The new broker still holds the retained "offline": asked for again after the reconnect, it counts.
    h.broker = await startEmbeddedBroker({ host: '127.0.0.1', port, logger: silentLogger() });
    await h.until(() => h.publisher.connected, 'the publisher to reconnect');
    await h.publish('acs/a/status', 'offline', true);
    // Once or twice: live or retained after the resubscribe, and retained again after the status refresh.
    await h.until(() => h.driver.health().state === 'connected' && h.deviceHealth('ctrl-a').requests >= 3, 'the retained will again');
    await h.clock.advance(WILL_GRACE_MS);
    expect(h.statuses.map((s) => [s.device, s.online])).toEqual([
      ['ctrl-a', true],
      ['ctrl-a', false],
    ]);
  });

  it('rejects an unknown status value, and ignores a cleared (empty) retained status', async () => {
    const h = await open();
    await h.publish('acs/b/status', '', true);
    await h.publish('acs/b/status', 'sleeping');
    await h.until(() => h.deviceHealth('ctrl-b').requests === 2, 'two status messages');
    expect(h.deviceHealth('ctrl-b')).toMatchObject({ state: 'unknown', errors: 1, lastError: 'acs/b/status: expected "online" or "offline", got "sleeping"' });
    expect(h.statuses).toEqual([]);
  });

  it('takes a controller offline when its heartbeat stops, on the virtual clock', async () => {
    const h = await open();
    await h.publish('acs/a/heartbeat', '1');
    await h.until(() => h.statuses.length === 1, 'online by heartbeat');
    await h.clock.advance(HEARTBEAT_TIMEOUT_MS - 1);
    await h.publish('acs/a/heartbeat', '2');
    await h.until(() => h.deviceHealth('ctrl-a').requests === 2, 'the second heartbeat');
    await h.clock.advance(HEARTBEAT_TIMEOUT_MS - 1);
    expect(h.statuses.filter((s) => s.device === 'ctrl-a').map((s) => s.online)).toEqual([true]);
    // ctrl-b never sent one: it is offline since the first deadline ran out.
    expect(h.deviceHealth('ctrl-b').state).toBe('offline');
    await h.clock.advance(1);
    expect(h.statuses.filter((s) => s.device === 'ctrl-a').map((s) => [s.online, s.error])).toEqual([
      [true, undefined],
      [false, `no heartbeat for ${HEARTBEAT_TIMEOUT_MS} ms`],
    ]);
    await h.publish('acs/a/heartbeat', '3');
    await h.until(() => h.statuses.filter((s) => s.device === 'ctrl-a').length === 3, 'back online');
    expect(h.deviceHealth('ctrl-a').state).toBe('online');
  });

  it('keeps device states while the broker is down and pauses heartbeat deadlines', async () => {
    const h = await open();
    await h.publish('acs/a/heartbeat', '1');
    await h.until(() => h.deviceHealth('ctrl-a').state === 'online', 'online');
    const port = h.broker.port;
    await h.broker.stop();
    await h.until(() => h.driver.health().state !== 'connected', 'the link to drop');
    await h.clock.advance(3 * HEARTBEAT_TIMEOUT_MS);
    expect(h.deviceHealth('ctrl-a').state).toBe('online');
    expect(h.deviceHealth('ctrl-b').state).toBe('unknown');
    expect(h.statuses.map((s) => s.online)).toEqual([true]);
    expect(h.logs.filter((l) => l.msg === 'connection lost; reconnecting')).toHaveLength(1);
    // The new broker knows nothing of the session: the driver must subscribe again.
    h.broker = await startEmbeddedBroker({ host: '127.0.0.1', port, logger: silentLogger() });
    await h.until(() => h.driver.stats().subscribeRounds === 2 && h.publisher.connected, 'the driver to subscribe again');
    expect(h.driver.health()).toMatchObject({ state: 'connected', reconnects: 1 });
    expect(h.driver.stats().sessionPresent).toBe(false);
    await h.publish('acs/a/door/1/state', '{"open": true, "locked": false}');
    await h.until(() => h.latest('door-a1.open') !== undefined, 'a message after the restart');
    // The heartbeat deadline starts afresh from the reconnect.
    await h.clock.advance(HEARTBEAT_TIMEOUT_MS);
    expect(h.statuses.filter((s) => s.device === 'ctrl-a').map((s) => s.online)).toEqual([true, false]);
  });

  it('brings a device without availability or parent online on its first message', async () => {
    const lonely = device('door-x', doorProfile, { controller: 'x', door: '1' });
    const h = await open([lonely]);
    expect(h.deviceHealth('door-x').state).toBe('unknown');
    await h.publish('acs/x/door/1/state', 'garbage');
    await h.until(() => h.statuses.length === 1, 'online');
    expect(h.statuses).toEqual([{ device: 'door-x', online: true, ts: h.clock.now() }]);
    expect(h.deviceHealth('door-x').state).toBe('degraded');
  });

  it('reports a disabled device as disabled and does not listen for it', async () => {
    const devices = site().map((d) => (d.config.id === 'door-b1' ? { ...d, config: { ...d.config, enabled: false } } : d));
    const h = await open(devices);
    await h.publish('acs/b/door/1/state', '{"open": true, "locked": true}');
    await h.publish('acs/b/state', '{"mains": true, "battery_v": 12, "tamper": false}');
    await h.until(() => h.batches.length === 1, 'the controller batch');
    expect(h.deviceHealth('door-b1')).toMatchObject({ state: 'disabled', requests: 0 });
    expect(h.driver.stats().messages).toBe(1);
  });
});

describe('MqttDriver: link', () => {
  it('reports link health with the MQTT protocol, every device unknown before any message', async () => {
    const h = await open();
    const health = h.driver.health();
    expect(health).toMatchObject({ link: LINK_ID, protocol: 'mqtt', state: 'connected', reconnects: 0, lastError: null, queueDepth: 0 });
    expect(health.devices.map((d) => [d.device, d.state, d.nextAttemptAt, d.overruns])).toEqual(
      ['ctrl-a', 'door-a1', 'door-a2', 'ctrl-b', 'door-b1'].map((id) => [id, 'unknown', null, 0]),
    );
  });

  it('stops promptly while the broker is unreachable, and emits nothing after stop', async () => {
    const h = await open();
    await h.broker.stop();
    await h.until(() => h.driver.health().state !== 'connected', 'the link to drop');
    const started = Date.now();
    await h.driver.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(h.driver.health().state).toBe('stopped');
    const count = h.batches.length + h.statuses.length;
    await h.clock.advance(2 * HEARTBEAT_TIMEOUT_MS);
    expect(h.batches.length + h.statuses.length).toBe(count);
    // Fresh peers for the shared teardown.
    await h.publisher.endAsync(true);
    h.broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, logger: silentLogger() });
    h.publisher = await connectAsync(h.broker.url);
  });

  it('destroys the socket when a graceful stop hangs (a broker that never acknowledges the SUBSCRIBE)', async () => {
    const CONNACK_ACCEPTED = Buffer.from([0x20, 0x02, 0x00, 0x00]);
    const SUBSCRIBE_TYPE = 0x82;
    let subscribeSeen = false;
    let closed = false;
    const sockets = new Set<Socket>();
    const server = createTcpServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => (closed = true));
      socket.on('data', (chunk) => {
        if (chunk[0] === 0x10) socket.write(CONNACK_ACCEPTED);
        if (chunk.includes(SUBSCRIBE_TYPE)) subscribeSeen = true;
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const clock = new VirtualClock();
    const driver = new MqttDriver({
      link: LINK,
      brokerUrl: `mqtt://127.0.0.1:${address.port}`,
      siteId: SITE,
      devices: site(),
      context: { clock, logger: silentLogger(), onSamples: () => undefined, onDeviceStatus: () => undefined, onEvents: () => undefined, onDeviceAlarms: () => undefined },
    });
    try {
      await driver.start();
      await vi.waitFor(() => expect(subscribeSeen).toBe(true), { timeout: WIRE_TIMEOUT_MS });
      let stopped = false;
      const stopping = driver.stop().then(() => (stopped = true));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(stopped).toBe(false);
      await clock.advance(1000);
      await stopping;
      await vi.waitFor(() => expect(closed).toBe(true), { timeout: WIRE_TIMEOUT_MS });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('masks credentials of a broker URL in logs', () => {
    expect(withoutCredentials('mqtts://gw:secret@broker.example:8883')).toBe('mqtts://***@broker.example:8883');
    expect(withoutCredentials('mqtt://127.0.0.1:1883')).toBe('mqtt://127.0.0.1:1883');
  });

  it('fails start with the unreadable TLS file named', async () => {
    const h = await open();
    const driver = new MqttDriver({
      link: { ...LINK, tls: { caFile: 'no-such-dir/ca.pem', rejectUnauthorized: true } },
      brokerUrl: 'mqtts://127.0.0.1:1',
      siteId: SITE,
      devices: [],
      context: { clock: h.clock, logger: silentLogger(), onSamples: () => undefined, onDeviceStatus: () => undefined, onEvents: () => undefined, onDeviceAlarms: () => undefined },
    });
    await expect(driver.start()).rejects.toThrow(/MQTT link acs: cannot read tls.caFile no-such-dir\/ca.pem: ENOENT/);
    await driver.stop();
  });

  it('refuses a device whose topic variables are missing, naming device and variable', () => {
    expect(
      () =>
        new MqttDriver({
          link: LINK,
          brokerUrl: 'mqtt://127.0.0.1:1',
          siteId: SITE,
          devices: [device('door-z', doorProfile, { controller: 'z' })],
          context: { clock: new VirtualClock(), logger: silentLogger(), onSamples: () => undefined, onDeviceStatus: () => undefined, onEvents: () => undefined, onDeviceAlarms: () => undefined },
        }),
    ).toThrow(/device door-z: topic acs\/\{controller\}\/door\/\{door\}\/state needs topic variable \{door\}/);
  });
});

describe('MqttDriver: TLS with a client certificate, and credentials', () => {
  const run = promisify(execFile);
  const USERNAME = 'gateway';
  const PASSWORD = 's3cret';
  let dir: string;
  let server: TlsServer;
  let aedes: Aedes;
  let url: string;
  let clientNames: string[];
  let authAttempts: number;

  /** A throw-away CA that signs a server certificate for 127.0.0.1 and a client certificate. */
  async function makeCertificates(): Promise<void> {
    const openssl = (...args: string[]) => run('openssl', args, { cwd: dir });
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    await openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=test-ca');
    await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
    for (const [name, subject, ext] of [['server', '/CN=127.0.0.1', ['-extfile', 'server.ext']], ['client', '/CN=gateway-client', []]] as const) {
      await openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
      await openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', ...ext);
    }
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'facility-gw-mqtt-tls-'));
    await makeCertificates();
    aedes = await Aedes.createBroker({
      authenticate: (_client, username, password, done) => {
        authAttempts++;
        done(null, username === USERNAME && password?.toString() === PASSWORD);
      },
    });
    const [key, cert, ca] = await Promise.all(['server.key', 'server.pem', 'ca.pem'].map((f) => readFile(join(dir, f))));
    server = createTlsServer({ key, cert, ca, requestCert: true, rejectUnauthorized: true }, (socket: TLSSocket) => {
      clientNames.push(String(socket.getPeerCertificate().subject?.CN));
      aedes.handle(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    url = `mqtts://127.0.0.1:${address.port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => aedes.close(() => resolve()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  async function tlsDriver(password: string): Promise<{ driver: MqttDriver; batches: Sample[][] }> {
    clientNames = [];
    authAttempts = 0;
    const batches: Sample[][] = [];
    const driver = new MqttDriver({
      link: {
        ...LINK,
        username: USERNAME,
        password,
        tls: { caFile: join(dir, 'ca.pem'), certFile: join(dir, 'client.pem'), keyFile: join(dir, 'client.key'), rejectUnauthorized: true },
      },
      brokerUrl: url,
      siteId: SITE,
      devices: [device('ctrl-a', accessControllerProfile, { controller: 'a' })],
      context: { clock: new VirtualClock(), logger: silentLogger(), onSamples: (s) => batches.push(s), onDeviceStatus: () => undefined, onEvents: () => undefined, onDeviceAlarms: () => undefined },
    });
    await driver.start();
    return { driver, batches };
  }

  it('connects over TLS with the CA, client certificate and credentials from the link, and receives', async () => {
    const { driver, batches } = await tlsDriver(PASSWORD);
    try {
      await vi.waitFor(() => expect(driver.stats().subscribeRounds).toBe(1), { timeout: WIRE_TIMEOUT_MS });
      expect(clientNames).toEqual(['gateway-client']);
      aedes.publish({ cmd: 'publish', topic: 'acs/a/state', payload: Buffer.from('{"mains": false, "battery_v": 12.1, "tamper": true}'), qos: 1, retain: false, dup: false }, () => undefined);
      await vi.waitFor(() => expect(batches.flat().map((s) => s.value)).toEqual([false, 12.1, true]), { timeout: WIRE_TIMEOUT_MS });
    } finally {
      await driver.stop();
    }
  });

  it('keeps retrying a broker that refuses its credentials, with the reason in health', async () => {
    const { driver } = await tlsDriver('wrong');
    try {
      await vi.waitFor(() => expect(authAttempts).toBeGreaterThanOrEqual(2), { timeout: WIRE_TIMEOUT_MS });
      expect(driver.health().state).not.toBe('connected');
      expect(driver.health().lastError).toMatch(/Connection refused: Bad username or password|Not authorized/);
    } finally {
      await driver.stop();
    }
  });
});
