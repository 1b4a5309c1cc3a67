import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OVERSIZED_PAYLOAD_BYTES } from '../../simulator/access/malformed-payloads.js';
import { demoBuilding } from '../../simulator/demo-building.js';
import { startSimulator, type SimulatorHandle } from '../../simulator/simulator.js';
import { silentLogger } from '../../src/log.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../src/mqtt/embedded-broker.js';
import { VirtualClock } from '../../src/time/clock.js';

/**
 * The simulated door controllers on a real broker (the gateway's embedded aedes broker), watched by a plain
 * MQTT.js client as the gateway would. The simulator runs on a virtual clock that the test moves with
 * `step()`; what the models publish then travels over real sockets.
 */

const SECOND_MS = 1000;
const MINUTE_MS = 60_000;
/** How long a message may take to cross the loopback broker. */
const DELIVERY_TIMEOUT_MS = 5_000;
const POLL_MS = 20;

interface Received {
  topic: string;
  payload: Buffer;
  retain: boolean;
}

const access = demoBuilding().access;
const doorTopics = access.controllers.flatMap((c) => c.doors.map((d) => `acs/${c.controller}/door/${d.door}/state`));
const controllerNames = access.controllers.map((c) => c.controller);

let broker: EmbeddedBroker;
let sim: SimulatorHandle;
const received: Received[] = [];
const clients: MqttClient[] = [];

async function waitFor<T>(what: string, probe: () => T | undefined | false): Promise<T> {
  const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** Subscribes `filter` and records every message; `clientId` unique per call. */
async function subscriber(filter: string, into: Received[]): Promise<MqttClient> {
  const client = await connectAsync(broker.url, { clientId: `observer-${clients.length}`, reconnectPeriod: 0 });
  clients.push(client);
  client.on('message', (topic, payload, packet) => into.push({ topic, payload, retain: packet.retain }));
  await client.subscribeAsync(filter, { qos: 1 });
  return client;
}

/** The retained messages under `filter`, as a fresh subscriber gets them, once `count` topics have arrived. */
async function retained(filter: string, count: number): Promise<Map<string, string>> {
  const got: Received[] = [];
  const client = await subscriber(filter, got);
  try {
    return await waitFor(`${count} retained messages under ${filter}`, () => {
      const map = new Map(got.filter((m) => m.retain).map((m) => [m.topic, m.payload.toString()]));
      return map.size >= count && map;
    });
  } finally {
    await client.endAsync();
  }
}

function since(index: number, pred: (m: Received) => boolean): Received[] {
  return received.slice(index).filter(pred);
}

beforeAll(async () => {
  broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, logger: silentLogger() });
  sim = await startSimulator({ clock: new VirtualClock(), controlPort: null, mqttUrl: broker.url });
  // Watches everything, as the gateway would; ended with the other clients.
  await subscriber('acs/#', received);
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await sim?.stop();
  await broker?.stop();
});

describe('simulated door controllers on MQTT', () => {
  it('connects one client per controller and leaves retained status, state and every door state', async () => {
    expect(sim.mqttUrl).toBe(broker.url);
    expect(broker.connectedClients()).toBe(controllerNames.length + 1);
    const all = await retained('acs/#', doorTopics.length + 2 * controllerNames.length);
    for (const c of controllerNames) {
      expect(all.get(`acs/${c}/status`), c).toBe('online');
      expect(JSON.parse(all.get(`acs/${c}/state`) ?? 'null'), c).toEqual({ mains: true, battery_v: 13.6, tamper: false });
    }
    expect(doorTopics.length).toBeGreaterThanOrEqual(32);
    for (const topic of doorTopics) {
      expect(JSON.parse(all.get(topic) ?? 'null'), topic).toEqual({ open: expect.any(Boolean) as boolean, locked: expect.any(Boolean) as boolean });
    }
    expect(sim.siteConfig().links.find((l) => l.id === 'access')).toMatchObject({ type: 'mqtt', url: broker.url });
  });

  it('sends heartbeats every 10 s and door events and states as people come and go', async () => {
    const from = received.length;
    sim.step(5 * MINUTE_MS);
    for (const c of controllerNames) {
      await waitFor(`30 heartbeats of ${c}`, () => since(from, (m) => m.topic === `acs/${c}/heartbeat`).length >= 30);
    }
    const heartbeat = since(from, (m) => m.topic === 'acs/lobby/heartbeat')[0];
    expect(heartbeat?.payload.toString()).toMatch(/^\d+$/);
    const events = await waitFor('door events', () => {
      const e = since(from, (m) => /^acs\/[a-z]+\/door\/[a-z0-9-]+\/event$/.test(m.topic));
      return e.length >= 20 && e;
    });
    for (const e of events) {
      const body = JSON.parse(e.payload.toString()) as Record<string, unknown>;
      expect(['granted', 'denied', 'forced']).toContain(body.type);
      expect(typeof body.badge).toBe('string');
    }
    expect(since(from, (m) => m.topic.endsWith('/state') && m.topic.includes('/door/')).length).toBeGreaterThan(events.length);
  });

  it('controller-dropped: the broker publishes the retained last will; cleared: online again and beating', async () => {
    const from = received.length;
    sim.startScenario('controller-dropped', 'acs-roof');
    await waitFor('the last will of acs-roof', () => since(from, (m) => m.topic === 'acs/roof/status' && m.payload.toString() === 'offline').length > 0);
    expect((await retained('acs/roof/status', 1)).get('acs/roof/status')).toBe('offline');
    await waitFor('the broker to count the dropped client', () => broker.connectedClients() === controllerNames.length + 1 - 1);

    const back = received.length;
    sim.clearScenario('controller-dropped', 'acs-roof');
    await waitFor('acs-roof online again', () => since(back, (m) => m.topic === 'acs/roof/status' && m.payload.toString() === 'online').length > 0);
    sim.step(15 * SECOND_MS);
    await waitFor('a heartbeat of acs-roof', () => since(back, (m) => m.topic === 'acs/roof/heartbeat').length > 0);
    expect((await retained('acs/roof/status', 1)).get('acs/roof/status')).toBe('online');
  });

  it('controller-offline: the connection stays, the heartbeats stop; cleared: they come back', async () => {
    const clientsBefore = broker.connectedClients();
    sim.startScenario('controller-offline', 'acs-stairs');
    const from = received.length;
    sim.step(40 * SECOND_MS);
    await waitFor('heartbeats of the other controllers', () => since(from, (m) => m.topic === 'acs/lobby/heartbeat').length >= 4);
    expect(since(from, (m) => m.topic.startsWith('acs/stairs/'))).toEqual([]);
    expect(broker.connectedClients()).toBe(clientsBefore);
    expect((await retained('acs/stairs/status', 1)).get('acs/stairs/status')).toBe('online');

    sim.clearScenario('controller-offline', 'acs-stairs');
    const back = received.length;
    sim.step(15 * SECOND_MS);
    await waitFor('a heartbeat of acs-stairs', () => since(back, (m) => m.topic === 'acs/stairs/heartbeat').length > 0);
  });

  it('malformed-payloads: garbage and a 1 MiB payload arrive on the door topics; cleared: valid state is retained again', async () => {
    const from = received.length;
    sim.startScenario('malformed-payloads', 'acs-plant');
    sim.step(30 * SECOND_MS);
    const plant = (m: Received): boolean => m.topic.startsWith('acs/plant/door/');
    await waitFor('the oversized payload', () => since(from, (m) => plant(m) && m.payload.length === OVERSIZED_PAYLOAD_BYTES).length === 1);
    const notJson = await waitFor('payloads that are not JSON', () => {
      const bad = since(from, (m) => {
        if (!plant(m)) return false;
        try {
          JSON.parse(m.payload.toString());
          return false;
        } catch {
          return true;
        }
      });
      return bad.length >= 3 && bad;
    });
    expect(notJson.length).toBeGreaterThanOrEqual(3);
    await waitFor('wrong types', () => since(from, (m) => plant(m) && m.payload.toString() === '{"type":"granted","badge":100123}').length > 0);
    // Garbage on the state topics is retained, so a gateway that connects now reads it first.
    const plantDoors = doorTopics.filter((t) => t.startsWith('acs/plant/'));
    const during = await retained('acs/plant/door/+/state', plantDoors.length);
    const valid = (text: string | undefined): boolean => /^\{"open":(true|false),"locked":(true|false)\}$/.test(text ?? '');
    expect(plantDoors.filter((t) => !valid(during.get(t))).length).toBeGreaterThan(0);

    sim.clearScenario('malformed-payloads', 'acs-plant');
    // The real state goes out as the scenario is cleared; look again until the broker has stored it.
    const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
    let after = await retained('acs/plant/door/+/state', plantDoors.length);
    while (!plantDoors.every((t) => valid(after.get(t))) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      after = await retained('acs/plant/door/+/state', plantDoors.length);
    }
    for (const topic of plantDoors) expect(valid(after.get(topic)), `${topic}: ${after.get(topic)}`).toBe(true);
  });

  it('door-forced and badge-denials arrive as events', async () => {
    const from = received.length;
    sim.startScenario('door-forced');
    sim.startScenario('badge-denials');
    sim.step(MINUTE_MS);
    await waitFor('a forced event', () => since(from, (m) => m.topic === 'acs/carpark/door/bike-room/event' && m.payload.toString().includes('"forced"')).length === 1);
    await waitFor('5 denials', () => since(from, (m) => m.topic === 'acs/plant/door/switch-room/event' && m.payload.toString().includes('"denied"')).length >= 5);
    sim.clearScenario('door-forced');
    sim.clearScenario('badge-denials');
  });

  it('connects later to a broker that exists only after start-up, and says offline on a clean stop', async () => {
    const late = await startSimulator({ clock: new VirtualClock(), controlPort: null, seed: 2 });
    const second = await startEmbeddedBroker({ host: '127.0.0.1', port: 0, logger: silentLogger() });
    try {
      expect(late.mqttUrl).toBeNull();
      await late.connectAccess(second.url);
      expect(late.mqttUrl).toBe(second.url);
      expect(second.connectedClients()).toBe(controllerNames.length);
      const probe = await connectAsync(second.url, { clientId: 'late-probe', reconnectPeriod: 0 });
      clients.push(probe);
      const got: Received[] = [];
      probe.on('message', (topic, payload, packet) => got.push({ topic, payload, retain: packet.retain }));
      await probe.subscribeAsync('acs/+/status', { qos: 1 });
      await waitFor('every controller online', () => got.filter((m) => m.payload.toString() === 'online').length === controllerNames.length);
      await late.stop();
      await waitFor('every controller offline after the stop', () => got.filter((m) => m.payload.toString() === 'offline').length === controllerNames.length);
      await probe.endAsync();
    } finally {
      await late.stop();
      await second.stop();
    }
  });
});
