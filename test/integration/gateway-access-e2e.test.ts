import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ActiveAlarmView, DevicePoints, Health } from '../../src/api/schemas.js';
import { DemoGateway } from '../support/demo-gateway.js';

/**
 * Access control end to end: the simulator's door controllers publish to the gateway's embedded broker,
 * the MQTT driver turns their messages into points and events, the rules raise the access alarms, and
 * the northbound publisher puts the gateway's view back on MQTT for other systems.
 */

const COMM_LOSS_DELAY_MS = 1000;
const WAIT = { timeout: 20_000, interval: 100 };
const NORTHBOUND = 'facility-gw/demo-tower';

let demo: DemoGateway;
let watcher: MqttClient;
const northbound = new Map<string, string>();

beforeAll(async () => {
  demo = await DemoGateway.start({ pollIntervalMs: 500, commLossDelayMs: COMM_LOSS_DELAY_MS });
  const url = demo.gateway.embeddedBrokerUrl();
  if (url === undefined) throw new Error('no embedded broker');
  watcher = await mqtt.connectAsync(url, { clientId: 'bms-watcher' });
  watcher.on('message', (topic, payload: Buffer) => northbound.set(topic, payload.toString()));
  await watcher.subscribeAsync(`${NORTHBOUND}/#`, { qos: 1 });
});

afterAll(async () => {
  await watcher?.endAsync(true);
  await demo?.stop();
});

const activeIds = () => demo.activeAlarmIds();

describe('access control through the gateway', () => {
  it('brings every controller and door online from their MQTT messages', async () => {
    await vi.waitFor(async () => {
      const { body } = await demo.get<Health>('/health');
      const access = body.links.find((l) => l.link === 'access');
      expect(access?.state).toBe('connected');
      const notOnline = access?.devices.filter((d) => d.state !== 'online').map((d) => `${d.device}:${d.state}`);
      expect(notOnline).toEqual([]);
      expect(access?.devices.length).toBeGreaterThanOrEqual(34);
    }, WAIT);
    const door = (await demo.get<DevicePoints>('/devices/door-lobby-mailroom/points')).body;
    expect(door.points.map((p) => [p.name, p.quality])).toEqual([
      ['open', 'good'],
      ['locked', 'good'],
    ]);
  });

  it('raises a high-priority alarm when a door is forced', async () => {
    demo.sim.startScenario('door-forced', 'door-carpark-bike-room');
    await vi.waitFor(async () => expect(await activeIds()).toContain('door-carpark-bike-room:forced_open'), WAIT);
    const alarm = (await demo.get<ActiveAlarmView[]>('/alarms/active?device=door-carpark-bike-room')).body.find((a) => a.rule === 'forced_open');
    expect(alarm).toMatchObject({ priority: 'high', kind: 'event-count', value: 1, limit: 1 });
    // Other systems see it on the northbound topics.
    await vi.waitFor(() => {
      const published = northbound.get(`${NORTHBOUND}/alarms/door-carpark-bike-room/forced_open`);
      expect(published && JSON.parse(published)).toMatchObject({ type: 'raise', priority: 'high' });
    }, WAIT);
    demo.sim.clearScenario('door-forced', 'door-carpark-bike-room');
  });

  it('raises the held-open pre-alarm at 5 s and the alarm at 10 s, and clears both when the door closes', async () => {
    const door = 'door-lobby-mailroom';
    demo.sim.startScenario('door-held-open', door);
    await vi.waitFor(async () => expect(await activeIds()).toContain(`${door}:held_open_prealarm`), WAIT);
    const pre = demo.alarmEvents.find((e) => e.alarmId === `${door}:held_open_prealarm` && e.type === 'raise');
    expect(await activeIds()).not.toContain(`${door}:held_open`);
    await vi.waitFor(async () => expect(await activeIds()).toContain(`${door}:held_open`), WAIT);
    const full = demo.alarmEvents.find((e) => e.alarmId === `${door}:held_open` && e.type === 'raise');
    expect((full?.ts ?? 0) - (pre?.ts ?? 0)).toBeGreaterThanOrEqual(4500);
    demo.sim.clearScenario('door-held-open', door);
    await vi.waitFor(async () => {
      const ids = await activeIds();
      expect(ids).not.toContain(`${door}:held_open`);
      expect(ids).not.toContain(`${door}:held_open_prealarm`);
    }, WAIT);
  }, 40_000);

  it('turns a controller whose connection drops into one communication alarm, its doors stale', async () => {
    const before = demo.alarmEvents.length;
    demo.sim.startScenario('controller-dropped', 'acs-roof');
    await vi.waitFor(async () => expect(await activeIds()).toContain('acs-roof:comm_loss'), WAIT);
    const roofDoors = (await demo.get<Array<{ id: string; parent: string | null }>>('/devices')).body.filter((d) => d.parent === 'acs-roof');
    expect(roofDoors.length).toBeGreaterThan(0);
    for (const door of roofDoors) expect((await demo.point(door.id, 'open')).quality).toBe('stale');
    const raised = demo.alarmEvents.slice(before).filter((e) => e.type === 'raise' && (e.device === 'acs-roof' || roofDoors.some((d) => d.id === e.device)));
    expect(raised.map((e) => e.alarmId)).toEqual(['acs-roof:comm_loss']);
    await vi.waitFor(() => {
      const state = northbound.get(`${NORTHBOUND}/devices/acs-roof/state`);
      expect(state && JSON.parse(state)).toMatchObject({ state: 'offline' });
    }, WAIT);

    demo.sim.clearScenario('controller-dropped', 'acs-roof');
    await vi.waitFor(async () => expect(await activeIds()).not.toContain('acs-roof:comm_loss'), WAIT);
  });

  it('counts malformed payloads on the controller’s doors without stopping anything', async () => {
    demo.sim.startScenario('malformed-payloads', 'acs-plant');
    await vi.waitFor(async () => {
      const { body } = await demo.get<Health>('/health');
      const errors = body.links.find((l) => l.link === 'access')?.devices.filter((d) => d.device.startsWith('door-plant')).reduce((n, d) => n + d.errors, 0);
      expect(errors).toBeGreaterThan(3);
    }, WAIT);
    // The rest of the building keeps being read.
    const seen = (await demo.point('elevator-1', 'floor')).ts ?? 0;
    await vi.waitFor(async () => expect((await demo.point('elevator-1', 'floor')).ts ?? 0).toBeGreaterThan(seen), WAIT);
    demo.sim.clearScenario('malformed-payloads', 'acs-plant');
  });

  it('publishes the gateway status and device states, retained, for late subscribers', async () => {
    const url = demo.gateway.embeddedBrokerUrl() ?? '';
    const late = await mqtt.connectAsync(url, { clientId: 'late-bms' });
    const seen = new Map<string, string>();
    late.on('message', (topic, payload: Buffer) => seen.set(topic, payload.toString()));
    await late.subscribeAsync(`${NORTHBOUND}/#`, { qos: 1 });
    await vi.waitFor(() => {
      expect(seen.get(`${NORTHBOUND}/status`)).toBe('online');
      expect(JSON.parse(seen.get(`${NORTHBOUND}/devices/elevator-1/state`) ?? '{}')).toMatchObject({ state: 'online' });
      expect(JSON.parse(seen.get(`${NORTHBOUND}/devices/booster-1/points/discharge_pressure`) ?? '{}')).toMatchObject({ quality: 'good', unit: 'bar' });
    }, WAIT);
    await late.endAsync(true);
  });
});
