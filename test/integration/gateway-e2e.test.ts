import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ActiveAlarmView, DevicePoints, DeviceSummary, Health } from '../../src/api/schemas.js';
import { DemoGateway } from '../support/demo-gateway.js';
import { startInfluxDb1, startVictoriaMetrics, type InfluxDb1Server, type VictoriaMetricsServer } from '../support/tsdb-servers.js';

/**
 * The whole gateway over real wire: the simulated demo building on Modbus TCP, the real drivers, rules,
 * API, and telemetry into a real VictoriaMetrics (v2 write API) and InfluxDB 1.6.7 (v1 /write).
 */

const POLL_MS = 200;
const COMM_LOSS_DELAY_MS = 1000;
const WAIT = { timeout: 15_000, interval: 100 };

let demo: DemoGateway;
let vm: VictoriaMetricsServer;
let influx: InfluxDb1Server;
const startedAt = Date.now();

const get = <T>(url: string) => demo.get<T>(url);
const point = (device: string, name: string) => demo.point(device, name);
const activeIds = () => demo.activeAlarmIds();

beforeAll(async () => {
  [vm, influx] = await Promise.all([startVictoriaMetrics(), startInfluxDb1()]);
  await influx.createDatabase('building');
  const flush = { batchSize: 5000, flushIntervalMs: 200, maxBufferLines: 100_000, timeoutMs: 5000, gzip: true };
  demo = await DemoGateway.start({
    pollIntervalMs: POLL_MS,
    commLossDelayMs: COMM_LOSS_DELAY_MS,
    sinks: [
      { id: 'vm', type: 'influxdb-v2', url: vm.url, org: '', bucket: 'building', ...flush },
      { id: 'influx1', type: 'influxdb-v1', url: influx.url, database: 'building', ...flush },
    ],
  });
});

afterAll(async () => {
  await demo?.stop();
  await Promise.all([vm?.stop(), influx?.stop()]);
});

describe('gateway end to end on the simulated demo building', () => {
  it('brings every device online with good values and reports healthy', async () => {
    await vi.waitFor(async () => {
      const { status, body } = await get<Health>('/health');
      const notOnline = body.links.flatMap((l) => l.devices.filter((d) => d.state !== 'online').map((d) => `${d.device}:${d.state}`));
      expect(notOnline).toEqual([]);
      expect(status).toBe(200);
    }, WAIT);
    const devices = (await get<DeviceSummary[]>('/devices')).body;
    expect(devices.filter((d) => d.type === 'elevator' || d.type === 'pump').map((d) => d.id).sort()).toEqual(
      ['booster-1', 'booster-2', 'booster-3', 'elevator-1', 'elevator-2', 'elevator-3', 'elevator-4', 'fire-pump-1', 'jockey-pump-1', 'sump-1'],
    );
    expect(devices.filter((d) => d.type === 'door').length).toBeGreaterThanOrEqual(30);
    await vi.waitFor(async () => {
      const { body } = await get<DevicePoints>('/devices/booster-1/points');
      expect(body.points.every((p) => p.quality === 'good')).toBe(true);
    }, WAIT);
    const pressure = await point('booster-1', 'discharge_pressure');
    expect(pressure).toMatchObject({ unit: 'bar', quality: 'good' });
    expect(pressure.value).toBeCloseTo(demo.sim.values('booster-1').discharge_pressure as number, 0);
    expect((await point('elevator-1', 'mode')).value).toBe('in_service');
  });

  it('raises the critical trapped-passenger alarm and clears it when the car is freed', async () => {
    demo.sim.startScenario('trapped-passenger', 'elevator-2');
    await vi.waitFor(async () => expect(await activeIds()).toContain('elevator-2:passenger_trapped'), WAIT);
    const alarm = (await get<ActiveAlarmView[]>('/alarms/active?device=elevator-2')).body.find((a) => a.rule === 'passenger_trapped');
    expect(alarm).toMatchObject({ priority: 'critical', kind: 'threshold-high', point: 'elevator-2.passenger_trapped', value: true });
    demo.sim.clearScenario('trapped-passenger', 'elevator-2');
    await vi.waitFor(async () => expect(await activeIds()).not.toContain('elevator-2:passenger_trapped'), WAIT);
  });

  it('turns a silent device into one communication alarm while its link-mates keep their schedule', async () => {
    const before = demo.alarmEvents.length;
    demo.sim.startScenario('no-answer', 'elevator-4');
    await vi.waitFor(async () => expect(await activeIds()).toContain('elevator-4:comm_loss'), WAIT);
    const elevator4 = (await get<DevicePoints>('/devices/elevator-4/points')).body;
    expect(elevator4.points.every((p) => p.quality !== 'good')).toBe(true);

    // The other cars on the same link are still read every poll.
    const seen1 = (await point('elevator-1', 'floor')).ts ?? 0;
    await new Promise((r) => setTimeout(r, 4 * POLL_MS));
    expect((await point('elevator-1', 'floor')).ts ?? 0).toBeGreaterThan(seen1);

    const { status, body } = await get<Health>('/health');
    expect(status).toBe(503);
    expect(body.links.find((l) => l.link === 'elevators')?.devices.find((d) => d.device === 'elevator-4')?.state).toBe('offline');

    const raisedForElevator4 = demo.alarmEvents.slice(before).filter((e) => e.device === 'elevator-4' && e.type === 'raise');
    expect(raisedForElevator4.map((e) => e.alarmId)).toEqual(['elevator-4:comm_loss']);

    demo.sim.clearScenario('no-answer', 'elevator-4');
    await vi.waitFor(async () => expect(await activeIds()).not.toContain('elevator-4:comm_loss'), WAIT);
    await vi.waitFor(async () => expect((await point('elevator-4', 'floor')).quality).toBe('good'), WAIT);
  });

  it('marks a float served in swapped word order bad instead of believing it', async () => {
    demo.sim.startScenario('swapped-float', 'fire-pump-1');
    await vi.waitFor(async () => {
      const pressure = await point('fire-pump-1', 'discharge_pressure');
      expect(pressure.quality).toBe('bad');
      expect(pressure.error).toMatch(/out of range|implausible/);
    }, WAIT);
    demo.sim.clearScenario('swapped-float', 'fire-pump-1');
    await vi.waitFor(async () => expect((await point('fire-pump-1', 'discharge_pressure')).quality).toBe('good'), WAIT);
  });

  it('marks the points of a device answering with Modbus exceptions bad, naming the exception', async () => {
    demo.sim.startScenario('modbus-exception', 'sump-1');
    await vi.waitFor(async () => {
      const level = await point('sump-1', 'level');
      expect(level.quality).toBe('bad');
      expect(level.error).toMatch(/exception 4/i);
    }, WAIT);
    // It answers, so it is not a communication loss.
    expect(await activeIds()).not.toContain('sump-1:comm_loss');
    demo.sim.clearScenario('modbus-exception', 'sump-1');
    await vi.waitFor(async () => expect((await point('sump-1', 'level')).quality).toBe('good'), WAIT);
  });

  it('writes telemetry with explicit timestamps to VictoriaMetrics (v2) and InfluxDB 1.x (v1)', async () => {
    await vi.waitFor(async () => {
      const [status] = (await get<Health>('/health')).body.telemetry.sinks.filter((s) => s.id === 'influx1');
      expect(status?.linesWritten).toBeGreaterThan(100);
    }, WAIT);

    const rows = await influx.rows(`SELECT "discharge_pressure", "running" FROM "pump" WHERE "device" = 'booster-1' AND "site" = 'demo-tower'`, 'building');
    expect(rows.length).toBeGreaterThan(10);
    expect(typeof rows[0]?.discharge_pressure).toBe('number');
    expect(typeof rows[0]?.running).toBe('boolean');
    const times = rows.map((r) => r.time as number);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(startedAt);

    const alarmRows = await influx.rows(`SELECT "state", "kind" FROM "alarm" WHERE "device" = 'elevator-2' AND "rule" = 'passenger_trapped'`, 'building');
    expect(alarmRows.map((r) => r.state)).toEqual(['raise', 'clear']);

    const badRows = await influx.rows(`SELECT "level_quality" FROM "pump" WHERE "device" = 'sump-1' AND "level_quality" = 'bad'`, 'building');
    expect(badRows.length).toBeGreaterThan(0);

    const health = await influx.rows(`SELECT "samples_total", "devices_online" FROM "gateway" WHERE "site" = 'demo-tower' AND "link" = '' AND "sink" = ''`, 'building');
    expect(health.length).toBeGreaterThan(0);
    expect(health.at(-1)?.samples_total).toBeGreaterThan(0);

    await vm.forceFlush();
    const series = await vm.exportSeries('{__name__="elevator_floor",device="elevator-1"}', startedAt, Date.now() + 1000);
    expect(series).toHaveLength(1);
    expect(series[0]?.metric).toMatchObject({ site: 'demo-tower', device: 'elevator-1' });
    expect(series[0]?.values.length).toBeGreaterThan(10);
  });

  it('serves Prometheus metrics: requests per device, rule evaluation latency, alarms by priority', async () => {
    const body = await demo.text('/metrics');
    const value = (pattern: RegExp) => Number(pattern.exec(body)?.[1] ?? NaN);
    expect(value(/^facility_gw_device_requests_total\{link="elevators",device="elevator-1"\} (\d+)$/m)).toBeGreaterThan(0);
    expect(value(/^facility_gw_rule_evaluation_seconds_count (\d+)$/m)).toBeGreaterThan(0);
    expect(value(/^facility_gw_samples_total (\d+)$/m)).toBeGreaterThan(0);
    expect(body).toMatch(/^facility_gw_alarms_active\{priority="critical"\} \d+$/m);
    expect(value(/^facility_gw_mqtt_messages_total\{link="access"\} (\d+)$/m)).toBeGreaterThan(0);
  });
});
