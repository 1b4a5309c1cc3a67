import { connectAsync, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { AlarmEvent } from '../../../src/alarms/events.js';
import type { MqttLinkConfig } from '../../../src/config/schema.js';
import { EventBus } from '../../../src/events/event-bus.js';
import type { GatewayEvents } from '../../../src/gateway/gateway.js';
import { silentLogger } from '../../../src/log.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../../src/mqtt/embedded-broker.js';
import { NorthboundPublisher, type NorthboundPublisherContext } from '../../../src/northbound/mqtt-publisher.js';
import { NorthboundTopics } from '../../../src/northbound/topics.js';
import type { Quality } from '../../../src/points/sample.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { TcpProxy } from '../../support/tcp-proxy.js';
import { sleep, waitUntil } from '../../support/wait.js';

/**
 * The northbound publisher against the embedded broker, watched by a plain MQTT subscriber. A small TCP
 * proxy between publisher and broker cuts the connection abruptly (for the last will), refuses connections
 * (a broker that is down) or leads to another broker (one that lost its retained messages).
 */

const HOST = '127.0.0.1';
const SITE = 'hq';
const topics = new NorthboundTopics('facility-gw', SITE);
/** Quick reconnects, so that recovery shows within a test. */
const RECONNECT_PERIOD_MS = 50;
const WAIT_TIMEOUT_MS = 10_000;
/** Time for a message that should not come to show up anyway, before a test concludes it did not. */
const SETTLE_MS = 150;

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  // Last registered first: publishers stop before the proxies and brokers they talk to.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function broker(): Promise<EmbeddedBroker> {
  const started = await startEmbeddedBroker({ host: HOST, port: 0, logger: silentLogger() });
  cleanups.push(() => started.stop());
  return started;
}

function link(url: string): MqttLinkConfig {
  return { id: 'bms', type: 'mqtt', url, keepaliveS: 30, reconnectPeriodMs: RECONNECT_PERIOD_MS, connectTimeoutMs: 2000, maxPayloadBytes: 65_536 };
}

interface Harness {
  publisher: NorthboundPublisher;
  bus: EventBus<GatewayEvents>;
  clock: VirtualClock;
}

async function startPublisher(url: string, options: Partial<NorthboundPublisherContext> = {}): Promise<Harness> {
  const clock = new VirtualClock();
  const bus = new EventBus<GatewayEvents>(silentLogger());
  const publisher = new NorthboundPublisher({
    siteId: SITE,
    prefix: 'facility-gw',
    qos: 1,
    brokerUrl: url,
    link: link(url),
    clock,
    logger: silentLogger(),
    pointMinIntervalMs: 0,
    ...options,
  });
  publisher.attach(bus);
  await publisher.start();
  cleanups.push(() => publisher.stop());
  return { publisher, bus, clock };
}

async function connected(publisher: NorthboundPublisher): Promise<void> {
  await waitUntil(() => publisher.status().connected, 'the publisher is connected', WAIT_TIMEOUT_MS);
}

/** Everything handed over has been acknowledged by the broker. */
async function flushed(publisher: NorthboundPublisher): Promise<void> {
  await waitUntil(() => publisher.status().connected && publisher.status().queued === 0, 'the publisher has delivered everything', WAIT_TIMEOUT_MS);
}

function sample(point: string, value: number | boolean | null, ts: number, quality: Quality = 'good') {
  return { point, value, ts, quality };
}

function alarm(type: 'raise' | 'clear', ts: number, overrides: Partial<AlarmEvent> = {}): AlarmEvent {
  return {
    type,
    alarmId: 'pump-1:motor_temp_high',
    site: SITE,
    device: 'pump-1',
    point: 'pump-1.motor_temp',
    rule: 'motor_temp_high',
    kind: 'threshold-high',
    priority: 'high',
    message: 'Motor temperature high',
    value: 95,
    quality: 'good',
    limit: 90,
    conditionSince: ts,
    ts,
    ...overrides,
  };
}

/** Generous for a loaded 2-core machine; each test takes well under a second when idle. */
const TEST_TIMEOUT_MS = 20_000;

describe('northbound publisher (embedded broker)', { timeout: TEST_TIMEOUT_MS }, () => {
  it('sets the status online (retained) on connect and offline on a clean stop', async () => {
    const { url } = await broker();
    const { publisher } = await startPublisher(url);
    await connected(publisher);
    const live = await Subscriber.connect(url, topics.status);
    await live.waitFor(() => live.last(topics.status)?.payload === 'online', 'online arrives');
    expect(live.last(topics.status)?.retain).toBe(true);

    await publisher.stop();
    await live.waitFor(() => live.last(topics.status)?.payload === 'offline', 'offline arrives');
    const late = await Subscriber.connect(url, topics.status);
    await late.waitFor(() => late.last(topics.status)?.payload === 'offline', 'the retained status is offline');
    expect(late.last(topics.status)?.retain).toBe(true);
  });

  it('gives a late subscriber the current picture from retained messages: device states and points', async () => {
    const { url } = await broker();
    const units: Record<string, string> = { 'pump-1.flow': 'm3/h' };
    const { publisher, bus, clock } = await startPublisher(url, { units: (id) => units[id] });
    const t0 = clock.now();
    bus.emit('deviceStatus', { device: 'pump-1', online: true, ts: t0 });
    bus.emit('samples', [sample('pump-1.flow', 12.5, t0), sample('pump-1.running', true, t0)]);
    bus.emit('samples', [sample('pump-2.flow', 3, t0)]);
    bus.emit('deviceStatus', { device: 'pump-2', online: false, ts: t0 + 500, error: 'timeout after 1000 ms' });
    await flushed(publisher);

    const late = await Subscriber.connect(url, topics.all());
    await late.waitFor(() => late.messages.length >= 6, 'the retained picture arrives');
    expect(late.messages.every((m) => m.retain)).toBe(true);
    expect(late.json(topics.status)).toBe('online');
    expect(late.json(topics.deviceState('pump-1'))).toEqual({ device: 'pump-1', state: 'online', lastSeen: t0, ts: t0 });
    // pump-2 last answered with its sample at t0; it was declared offline later.
    expect(late.json(topics.deviceState('pump-2'))).toEqual({ device: 'pump-2', state: 'offline', lastSeen: t0, ts: t0 + 500, error: 'timeout after 1000 ms' });
    expect(late.json(topics.point('pump-1', 'flow'))).toEqual({ value: 12.5, quality: 'good', ts: t0, unit: 'm3/h' });
    expect(late.json(topics.point('pump-1', 'running'))).toEqual({ value: true, quality: 'good', ts: t0 });
    expect(late.json(topics.point('pump-2', 'flow'))).toEqual({ value: 3, quality: 'good', ts: t0 });
  });

  it('publishes a point only when its value or quality changed, and a device state only when it changed', async () => {
    const { url } = await broker();
    const { publisher, bus, clock } = await startPublisher(url);
    await connected(publisher);
    const live = await Subscriber.connect(url, topics.all());
    const flow = topics.point('pump-1', 'flow');
    const t0 = clock.now();
    for (let poll = 0; poll < 5; poll++) bus.emit('samples', [sample('pump-1.flow', 7, t0 + poll * 1000)]);
    bus.emit('samples', [sample('pump-1.flow', null, t0 + 5000, 'bad')]);
    bus.emit('samples', [sample('pump-1.flow', null, t0 + 6000, 'bad')]);
    bus.emit('samples', [sample('pump-1.flow', 7, t0 + 7000, 'stale')]);
    bus.emit('samples', [sample('pump-1.flow', 8, t0 + 8000, 'stale')]);
    for (let poll = 0; poll < 3; poll++) bus.emit('deviceStatus', { device: 'pump-1', online: false, ts: t0 + poll, error: 'timeout' });
    // Messages of one publisher arrive in order: once the marker is here, nothing else is on its way.
    bus.emit('samples', [sample('pump-9.marker', 1, t0)]);
    await live.waitFor(() => live.last(topics.point('pump-9', 'marker')) !== undefined, 'the marker arrives');

    expect(live.on(flow).map((m) => JSON.parse(m.payload) as unknown)).toEqual([
      { value: 7, quality: 'good', ts: t0 },
      { value: null, quality: 'bad', ts: t0 + 5000 },
      { value: 7, quality: 'stale', ts: t0 + 7000 },
      { value: 8, quality: 'stale', ts: t0 + 8000 },
    ]);
    expect(live.on(topics.deviceState('pump-1'))).toHaveLength(1);
    await flushed(publisher);
    // online, 4 point messages, 1 device state, the marker
    expect(publisher.status().published).toBe(7);
  });

  it('rate-limits a chatty point: the first change goes at once, the latest of the rest when the interval ends', async () => {
    const { url } = await broker();
    const { publisher, bus, clock } = await startPublisher(url, { pointMinIntervalMs: 1000 });
    await connected(publisher);
    const live = await Subscriber.connect(url, topics.all());
    const pressure = topics.point('pump-1', 'pressure');
    const t0 = clock.now();
    bus.emit('samples', [sample('pump-1.pressure', 1.0, t0)]);
    for (const value of [1.1, 1.2, 1.3]) {
      await clock.advance(100);
      bus.emit('samples', [sample('pump-1.pressure', value, clock.now())]);
    }
    bus.emit('samples', [sample('pump-9.marker', 1, clock.now())]);
    await live.waitFor(() => live.last(topics.point('pump-9', 'marker')) !== undefined, 'the marker arrives');
    expect(live.on(pressure).map((m) => (JSON.parse(m.payload) as { value: number }).value)).toEqual([1.0]);

    await clock.advanceTo(t0 + 999);
    // Another point: the first marker is rate-limited as well.
    bus.emit('samples', [sample('pump-9.marker2', 1, clock.now())]);
    await live.waitFor(() => live.last(topics.point('pump-9', 'marker2')) !== undefined, 'the second marker arrives');
    expect(live.on(pressure)).toHaveLength(1);

    await clock.advanceTo(t0 + 1000);
    await live.waitFor(() => live.on(pressure).length === 2, 'the held value arrives when the interval ends');
    expect(live.json(pressure)).toEqual({ value: 1.3, quality: 'good', ts: t0 + 300 });

    // The interval restarts when a message leaves: a change now waits for t0 + 2000.
    bus.emit('samples', [sample('pump-1.pressure', 1.4, clock.now())]);
    await clock.advanceTo(t0 + 2000);
    await live.waitFor(() => live.on(pressure).length === 3, 'the next change arrives one interval later');
    expect(clock.pending()).toBe(0);
  });

  it('publishes the last value held by the rate limit when it stops', async () => {
    const { url } = await broker();
    const { publisher, bus, clock } = await startPublisher(url, { pointMinIntervalMs: 60_000 });
    await connected(publisher);
    const t0 = clock.now();
    bus.emit('samples', [sample('pump-1.pressure', 1, t0)]);
    bus.emit('samples', [sample('pump-1.pressure', 2, t0 + 10)]);
    await publisher.stop();
    const late = await Subscriber.connect(url, topics.all());
    await late.waitFor(() => late.last(topics.status)?.payload === 'offline', 'the retained status arrives');
    await late.waitFor(() => late.json(topics.point('pump-1', 'pressure')) !== undefined, 'the point arrives');
    expect(late.json(topics.point('pump-1', 'pressure'))).toEqual({ value: 2, quality: 'good', ts: t0 + 10 });
  });

  it('retains an active alarm; on clear publishes the clear, then removes the retained message', async () => {
    const { url } = await broker();
    const { publisher, bus, clock } = await startPublisher(url);
    await connected(publisher);
    const live = await Subscriber.connect(url, topics.all());
    const topic = topics.alarm('pump-1', 'motor_temp_high');
    const t0 = clock.now();
    const raise = alarm('raise', t0);
    bus.emit('alarm', raise);
    await flushed(publisher);
    const whileActive = await Subscriber.connect(url, `${topics.base}/alarms/#`);
    await whileActive.waitFor(() => whileActive.last(topic) !== undefined, 'the retained raise arrives');
    expect(whileActive.last(topic)?.retain).toBe(true);
    expect(whileActive.json(topic)).toEqual(raise);

    const clear = alarm('clear', t0 + 60_000, { value: 80 });
    bus.emit('alarm', clear);
    await live.waitFor(() => live.on(topic).length === 3, 'raise, clear and the removal arrive');
    expect(live.on(topic).map((m) => m.payload)).toEqual([JSON.stringify(raise), JSON.stringify(clear), '']);

    const afterClear = await Subscriber.connect(url, [`${topics.base}/alarms/#`, topics.status]);
    await afterClear.waitFor(() => afterClear.last(topics.status) !== undefined, 'the status arrives');
    await sleep(SETTLE_MS);
    expect(afterClear.on(topic)).toEqual([]);
  });

  it('publishes device events without retaining them', async () => {
    const { url } = await broker();
    const { publisher, bus, clock } = await startPublisher(url);
    await connected(publisher);
    const live = await Subscriber.connect(url, topics.all());
    const event = { device: 'door-3', event: 'access_denied', ts: clock.now(), attributes: { badge: '0042', reason: 'expired' } };
    const topic = topics.event('door-3', 'access_denied');
    bus.emit('deviceEvent', event);
    await live.waitFor(() => live.last(topic) !== undefined, 'the event arrives');
    expect(live.json(topic)).toEqual(event);
    await flushed(publisher);

    const late = await Subscriber.connect(url, [`${topics.base}/events/#`, topics.status]);
    await late.waitFor(() => late.last(topics.status) !== undefined, 'the status arrives');
    await sleep(SETTLE_MS);
    expect(late.on(topic)).toEqual([]);
  });

  it('leaves offline on the status topic through its last will when its connection dies abruptly, then comes back online', async () => {
    const { url, port } = await broker();
    const proxy = await TcpProxy.start(port);
    cleanups.push(() => proxy.close());
    const { publisher } = await startPublisher(proxy.url);
    await connected(publisher);
    const live = await Subscriber.connect(url, topics.status);
    await live.waitFor(() => live.last(topics.status)?.payload === 'online', 'online arrives');

    proxy.refuse(true);
    proxy.cut();
    await live.waitFor(() => live.last(topics.status)?.payload === 'offline', 'the broker publishes the will');
    await waitUntil(() => !publisher.status().connected, 'the publisher notices', WAIT_TIMEOUT_MS);

    proxy.refuse(false);
    await live.waitFor(() => live.last(topics.status)?.payload === 'online', 'online again after the reconnect');
    expect(live.on(topics.status).map((m) => m.payload)).toEqual(['online', 'offline', 'online']);
  });

  it('starts while the broker is down, bounds what it holds, never drops alarms, and catches up when the broker is back', async () => {
    const { url, port } = await broker();
    const proxy = await TcpProxy.start(port);
    cleanups.push(() => proxy.close());
    proxy.refuse(true);
    const maxQueued = 40;
    const { publisher, bus, clock } = await startPublisher(proxy.url, { maxQueued });
    await waitUntil(() => publisher.status().lastError !== null, 'a connection error is recorded', WAIT_TIMEOUT_MS);
    expect(publisher.status().connected).toBe(false);

    const t0 = clock.now();
    const pointCount = 100;
    const poll = (round: number): void => {
      bus.emit('samples', Array.from({ length: pointCount }, (_, i) => sample(`pump-1.p${i}`, round, t0 + round * 1000)));
    };
    bus.emit('deviceStatus', { device: 'pump-1', online: true, ts: t0 });
    const alarms = Array.from({ length: 5 }, (_, i) => alarm('raise', t0 + i, { alarmId: `pump-1:rule_${i}`, rule: `rule_${i}` }));
    for (const event of alarms) bus.emit('alarm', event);
    for (let round = 1; round <= 20; round++) {
      poll(round);
      bus.emit('deviceEvent', { device: 'door-3', event: 'access_denied', ts: t0 + round, attributes: {} });
      expect(publisher.status().queued).toBeLessThanOrEqual(maxQueued);
    }
    expect(publisher.status().dropped).toBeGreaterThan(0);

    const live = await Subscriber.connect(url, topics.all());
    proxy.refuse(false);
    const alarmTopics = alarms.map((event) => topics.alarm('pump-1', event.rule));
    await live.waitFor(() => alarmTopics.every((topic) => live.last(topic) !== undefined), 'every alarm arrives');
    alarms.forEach((event, i) => expect(live.json(alarmTopics[i] ?? '')).toEqual(event));
    await live.waitFor(() => live.last(topics.deviceState('pump-1')) !== undefined, 'the device state arrives');
    expect(live.json(topics.deviceState('pump-1'))).toMatchObject({ state: 'online' });
    await flushed(publisher);

    // Points dropped while the broker was away go out at their next sample, although unchanged.
    poll(20);
    await flushed(publisher);
    const late = await Subscriber.connect(url, `${topics.base}/devices/pump-1/points/#`);
    await late.waitFor(() => late.messages.length === pointCount, 'every point is retained');
    for (let i = 0; i < pointCount; i++) expect(late.json(topics.point('pump-1', `p${i}`))).toMatchObject({ value: 20 });
  });

  it('publishes the whole retained picture again after reconnecting to a broker that lost it', async () => {
    const first = await broker();
    const proxy = await TcpProxy.start(first.port);
    cleanups.push(() => proxy.close());
    const { publisher, bus, clock } = await startPublisher(proxy.url);
    const t0 = clock.now();
    bus.emit('deviceStatus', { device: 'pump-1', online: true, ts: t0 });
    bus.emit('samples', [sample('pump-1.flow', 4, t0)]);
    bus.emit('alarm', alarm('raise', t0));
    bus.emit('alarm', alarm('raise', t0, { alarmId: 'pump-1:gone', rule: 'gone' }));
    bus.emit('alarm', alarm('clear', t0 + 1, { alarmId: 'pump-1:gone', rule: 'gone' }));
    await flushed(publisher);

    // A fresh broker behind the same address: nothing retained.
    const second = await broker();
    proxy.retarget(second.port);
    proxy.cut();
    await waitUntil(() => second.connectedClients() > 0, 'the publisher reconnects', WAIT_TIMEOUT_MS);
    await flushed(publisher);

    const late = await Subscriber.connect(second.url, topics.all());
    await late.waitFor(() => late.messages.length >= 4, 'the picture arrives');
    await sleep(SETTLE_MS);
    expect(late.messages.map((m) => m.topic).sort()).toEqual(
      [topics.status, topics.deviceState('pump-1'), topics.point('pump-1', 'flow'), topics.alarm('pump-1', 'motor_temp_high')].sort(),
    );
    expect(late.json(topics.point('pump-1', 'flow'))).toEqual({ value: 4, quality: 'good', ts: t0 });
  });

  it('publishes with QoS 0 too: a burst larger than the in-flight window goes out whole', async () => {
    const { url } = await broker();
    const { publisher, bus, clock } = await startPublisher(url, { qos: 0, maxInFlight: 5 });
    await connected(publisher);
    const pointCount = 2000;
    bus.emit('samples', Array.from({ length: pointCount }, (_, i) => sample(`pump-1.p${i}`, i, clock.now())));
    await flushed(publisher);
    expect(publisher.status()).toMatchObject({ published: 1 + pointCount, dropped: 0 });
    const late = await Subscriber.connect(url, `${topics.base}/devices/pump-1/points/#`);
    await late.waitFor(() => late.messages.length === pointCount, 'every point is retained');
  });

  it('never rejects start() when its TLS files cannot be read: it reports the error instead', async () => {
    const { url } = await broker();
    const publisher = new NorthboundPublisher({
      siteId: SITE,
      prefix: 'facility-gw',
      qos: 1,
      brokerUrl: url,
      link: { ...link(url), tls: { caFile: 'no-such-dir/ca.pem', rejectUnauthorized: true } },
      clock: new VirtualClock(),
      logger: silentLogger(),
    });
    await publisher.start();
    expect(publisher.status()).toMatchObject({ connected: false, lastError: expect.stringContaining('no-such-dir/ca.pem') as unknown });
    await publisher.stop();
  });
});

// ---- helpers -----------------------------------------------------------------------------------------

interface Received {
  topic: string;
  payload: string;
  retain: boolean;
}

/** A plain MQTT client that records what it receives. */
class Subscriber {
  readonly messages: Received[] = [];

  private constructor(private readonly client: MqttClient) {
    client.on('message', (topic, payload, packet) => this.messages.push({ topic, payload: payload.toString('utf8'), retain: packet.retain }));
  }

  static async connect(url: string, filter: string | string[]): Promise<Subscriber> {
    const client = await connectAsync(url, { reconnectPeriod: 0 });
    const subscriber = new Subscriber(client);
    cleanups.push(() => client.endAsync(true));
    await client.subscribeAsync(filter, { qos: 1 });
    return subscriber;
  }

  on(topic: string): Received[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  last(topic: string): Received | undefined {
    return this.on(topic).at(-1);
  }

  /** The last payload of the topic, parsed; `online`/`offline` are plain text and come back as they are. */
  json(topic: string): unknown {
    const payload = this.last(topic)?.payload;
    if (payload === undefined) return undefined;
    return payload === 'online' || payload === 'offline' ? payload : JSON.parse(payload);
  }

  async waitFor(condition: () => boolean, what: string): Promise<void> {
    await waitUntil(condition, what, WAIT_TIMEOUT_MS);
  }
}


