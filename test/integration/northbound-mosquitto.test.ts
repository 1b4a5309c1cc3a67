import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmEvent } from '../../src/alarms/events.js';
import type { MqttLinkConfig } from '../../src/config/schema.js';
import { EventBus } from '../../src/events/event-bus.js';
import type { GatewayEvents } from '../../src/gateway/gateway.js';
import { silentLogger } from '../../src/log.js';
import { NorthboundPublisher, type NorthboundPublisherContext } from '../../src/northbound/mqtt-publisher.js';
import { NorthboundTopics } from '../../src/northbound/topics.js';
import { SystemClock } from '../../src/time/clock.js';
import { startMosquitto, type MosquittoServer } from '../support/mosquitto.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { sleep, waitUntil } from '../support/wait.js';

/**
 * The northbound publisher against a real Mosquitto (with persistence, as a production broker runs): the
 * retained picture for late subscribers, the last will, a broker restart, and the memory bound while the
 * broker is down.
 */

const RECONNECT_PERIOD_MS = 100;
const WAIT_TIMEOUT_MS = 20_000;
/** Time for a message that should not come to show up anyway, before a test concludes it did not. */
const SETTLE_MS = 300;

let mosquitto: MosquittoServer;
const cleanups: Array<() => Promise<void>> = [];
/** Each test publishes under its own site, so retained messages of one test never meet another. */
let siteCounter = 0;

beforeAll(async () => {
  mosquitto = await startMosquitto();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  await mosquitto?.stop();
});

interface Harness {
  publisher: NorthboundPublisher;
  bus: EventBus<GatewayEvents>;
  topics: NorthboundTopics;
}

async function startPublisher(options: Partial<NorthboundPublisherContext> = {}): Promise<Harness> {
  const siteId = `site-${++siteCounter}`;
  const url = options.brokerUrl ?? mosquitto.url;
  const link: MqttLinkConfig = {
    id: 'bms',
    type: 'mqtt',
    url,
    clientId: `northbound-test-${siteId}`,
    keepaliveS: 30,
    reconnectPeriodMs: RECONNECT_PERIOD_MS,
    connectTimeoutMs: 5000,
    maxPayloadBytes: 65_536,
  };
  const bus = new EventBus<GatewayEvents>(silentLogger());
  const publisher = new NorthboundPublisher({
    siteId,
    prefix: 'facility-gw',
    qos: 1,
    brokerUrl: url,
    link,
    clock: new SystemClock(),
    logger: silentLogger(),
    pointMinIntervalMs: 0,
    ...options,
  });
  publisher.attach(bus);
  await publisher.start();
  cleanups.push(() => publisher.stop());
  return { publisher, bus, topics: new NorthboundTopics('facility-gw', siteId) };
}

async function flushed(publisher: NorthboundPublisher): Promise<void> {
  await waitUntil(() => publisher.status().connected && publisher.status().queued === 0, 'the publisher has delivered everything', WAIT_TIMEOUT_MS);
}

function alarm(siteId: string, type: 'raise' | 'clear', rule: string, ts: number): AlarmEvent {
  return {
    type,
    alarmId: `pump-1:${rule}`,
    site: siteId,
    device: 'pump-1',
    point: 'pump-1.motor_temp',
    rule,
    kind: 'threshold-high',
    priority: 'high',
    message: 'Motor temperature high',
    value: 95,
    quality: 'good',
    limit: 90,
    conditionSince: ts,
    ts,
  };
}

describe('northbound publisher against Mosquitto', () => {
  it('gives a late subscriber the current picture from retained messages, and only that', async () => {
    const { publisher, bus, topics } = await startPublisher({ units: (id) => (id === 'pump-1.flow' ? 'm3/h' : undefined) });
    const site = topics.base.split('/')[1] ?? '';
    await waitUntil(() => publisher.status().connected, 'the publisher is connected', WAIT_TIMEOUT_MS);
    const ts = Date.now();
    bus.emit('deviceStatus', { device: 'pump-1', online: true, ts });
    for (let poll = 0; poll < 3; poll++) bus.emit('samples', [{ point: 'pump-1.flow', value: 12.5, ts: ts + poll, quality: 'good' }]);
    bus.emit('samples', [{ point: 'pump-1.flow', value: 13, ts: ts + 3, quality: 'good' }]);
    bus.emit('alarm', alarm(site, 'raise', 'motor_temp_high', ts));
    bus.emit('alarm', alarm(site, 'raise', 'flow_low', ts));
    bus.emit('alarm', alarm(site, 'clear', 'flow_low', ts + 1));
    bus.emit('deviceEvent', { device: 'door-3', event: 'access_denied', ts, attributes: { badge: '0042' } });
    await flushed(publisher);
    // online, device state, two point values, raise, raise, clear, removal, event
    expect(publisher.status().published).toBe(9);

    const late = await Subscriber.connect(topics.all());
    await late.waitFor(() => late.messages.length >= 4, 'the retained picture arrives');
    await sleep(SETTLE_MS);
    expect(late.messages.every((m) => m.retain)).toBe(true);
    expect(late.messages.map((m) => m.topic).sort()).toEqual(
      [topics.status, topics.deviceState('pump-1'), topics.point('pump-1', 'flow'), topics.alarm('pump-1', 'motor_temp_high')].sort(),
    );
    expect(late.last(topics.status)?.payload).toBe('online');
    expect(late.json(topics.point('pump-1', 'flow'))).toEqual({ value: 13, quality: 'good', ts: ts + 3, unit: 'm3/h' });
    expect(late.json(topics.deviceState('pump-1'))).toEqual({ device: 'pump-1', state: 'online', lastSeen: ts, ts });
    expect(late.json(topics.alarm('pump-1', 'motor_temp_high'))).toMatchObject({ type: 'raise', rule: 'motor_temp_high' });
  });

  it('leaves offline on the status topic through its last will when its connection dies abruptly', async () => {
    const proxy = await TcpProxy.start(mosquitto.port);
    cleanups.push(() => proxy.close());
    const { publisher, topics } = await startPublisher({ brokerUrl: proxy.url });
    const live = await Subscriber.connect(topics.status);
    await live.waitFor(() => live.last(topics.status)?.payload === 'online', 'online arrives');

    proxy.cut();
    await live.waitFor(() => live.last(topics.status)?.payload === 'offline', 'Mosquitto publishes the will');
    await live.waitFor(() => live.last(topics.status)?.payload === 'online', 'online again after the reconnect');
    await flushed(publisher);
  });

  it('holds a bounded outbox while the broker is down, keeps every alarm, and catches up after the restart', async () => {
    const maxQueued = 50;
    const { publisher, bus, topics } = await startPublisher({ maxQueued });
    const site = topics.base.split('/')[1] ?? '';
    // More than the outbox holds, less than the in-flight window: only an outage makes them wait.
    const pointCount = 100;
    const poll = (value: number): void => {
      const ts = Date.now();
      bus.emit('samples', Array.from({ length: pointCount }, (_, i) => ({ point: `pump-1.p${i}`, value, ts, quality: 'good' as const })));
    };
    await waitUntil(() => publisher.status().connected, 'the publisher is connected', WAIT_TIMEOUT_MS);
    poll(0);
    await flushed(publisher);
    expect(publisher.status().dropped).toBe(0);

    await mosquitto.pause();
    await waitUntil(() => !publisher.status().connected, 'the publisher notices the broker is gone', WAIT_TIMEOUT_MS);
    const alarms = Array.from({ length: 5 }, (_, i) => alarm(site, 'raise', `rule_${i}`, Date.now()));
    for (let round = 1; round <= 30; round++) {
      poll(round);
      bus.emit('deviceEvent', { device: 'door-3', event: 'access_denied', ts: Date.now(), attributes: {} });
      if (round <= alarms.length) bus.emit('alarm', alarms[round - 1] as AlarmEvent);
      expect(publisher.status().queued).toBeLessThanOrEqual(maxQueued);
    }
    expect(publisher.status().dropped).toBeGreaterThan(0);

    await mosquitto.restart();
    await flushed(publisher);
    // The restarted broker kept its retained messages; the publisher sent the whole picture again anyway.
    const late = await Subscriber.connect(topics.all());
    await late.waitFor(() => late.messages.length >= 1 + alarms.length + pointCount, 'the retained picture arrives');
    expect(late.last(topics.status)?.payload).toBe('online');
    for (const event of alarms) expect(late.json(topics.alarm('pump-1', event.rule))).toEqual(event);
    for (let i = 0; i < pointCount; i++) expect(late.json(topics.point('pump-1', `p${i}`))).toMatchObject({ value: 30 });

    // Later changes arrive live.
    poll(31);
    await late.waitFor(() => (late.json(topics.point('pump-1', `p${pointCount - 1}`)) as { value: number }).value === 31, 'a later change arrives');
    await flushed(publisher);
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

  private constructor(client: MqttClient) {
    client.on('message', (topic, payload, packet) => this.messages.push({ topic, payload: payload.toString('utf8'), retain: packet.retain }));
  }

  static async connect(filter: string): Promise<Subscriber> {
    const client = await connectAsync(mosquitto.url, { reconnectPeriod: 0 });
    const subscriber = new Subscriber(client);
    cleanups.push(() => client.endAsync(true));
    await client.subscribeAsync(filter, { qos: 1 });
    return subscriber;
  }

  last(topic: string): Received | undefined {
    return this.messages.filter((m) => m.topic === topic).at(-1);
  }

  json(topic: string): unknown {
    const payload = this.last(topic)?.payload;
    return payload === undefined ? undefined : JSON.parse(payload);
  }

  async waitFor(condition: () => boolean, what: string): Promise<void> {
    await waitUntil(condition, what, WAIT_TIMEOUT_MS);
  }
}


