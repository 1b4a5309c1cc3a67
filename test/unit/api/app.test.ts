import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../src/api/app.js';
import type { GatewayView } from '../../../src/api/gateway-view.js';
import type { Health } from '../../../src/api/schemas.js';
import { silentLogger } from '../../../src/log.js';

const health: Health = {
  status: 'ok',
  site: { id: 'demo', name: 'Demo', timezone: 'UTC' },
  startedAt: 1_700_000_000_000,
  uptimeS: 12.5,
  links: [],
  telemetry: { enabled: false, sinks: [] },
  rules: { rules: 3, samplesEvaluated: 10, alarmEvents: 1 },
  mqtt: { embeddedBroker: null, northbound: null },
  alarms: { active: 1, unacknowledged: 1, shelved: 0, suppressed: 0, outOfService: 0, storeError: null },
};

const view: GatewayView = {
  health: () => health,
  devices: () => [
    { id: 'pump-1', name: 'Pump', location: null, type: 'pump', profile: 'pump-vfd-v1', link: 'plant', unitId: 1, parent: null, pollIntervalMs: 1000, state: 'online', lastSeen: 1, lastError: null, activeAlarms: 0 },
  ],
  devicePoints: (id) =>
    id === 'pump-1'
      ? {
          device: 'pump-1',
          points: [
            { name: 'flow', description: 'Flow', kind: 'analog', unit: 'm3/h', value: 12.5, quality: 'good', ts: 1, ageMs: 10, error: null },
          ],
        }
      : undefined,
  activeAlarms: (filter) =>
    [
      { alarmId: 'pump-1:fault', device: 'pump-1', point: 'pump-1.fault', rule: 'fault', kind: 'threshold-high', priority: 'high' as const, message: 'Pump tripped', value: true, limit: 0.5, raisedAt: 2, conditionSince: 1 },
    ].filter((a) => !filter?.device || a.device === filter.device),
};

describe('HTTP API', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildApp({ gateway: view, logger: silentLogger(), version: 'test' });
  });
  afterAll(async () => app.close());

  it('serves health with 200 when ok and 503 when degraded', async () => {
    const ok = await app.inject('/health');
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual(health);
    health.status = 'degraded';
    expect((await app.inject('/health')).statusCode).toBe(503);
    health.status = 'ok';
  });

  it('lists devices and a device’s points, 404 for an unknown device', async () => {
    expect((await app.inject('/devices')).json()).toHaveLength(1);
    expect((await app.inject('/devices/pump-1/points')).json()).toMatchObject({ device: 'pump-1', points: [{ name: 'flow', value: 12.5, quality: 'good' }] });
    const missing = await app.inject('/devices/nope/points');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ message: 'no device "nope"' });
  });

  it('filters active alarms and rejects an unknown priority with 400', async () => {
    expect((await app.inject('/alarms/active?device=pump-1')).json()).toHaveLength(1);
    expect((await app.inject('/alarms/active?device=other')).json()).toHaveLength(0);
    expect((await app.inject('/alarms/active?priority=urgent')).statusCode).toBe(400);
  });

  it('publishes an OpenAPI document with every route', async () => {
    const doc = (await app.inject('/openapi.json')).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths).sort()).toEqual(['/alarms/active', '/devices', '/devices/{id}/points', '/health']);
  });

  it('hides the message of an internal error', async () => {
    const broken = await buildApp({
      gateway: { ...view, devices: () => { throw new Error('secret detail'); } },
      logger: silentLogger(),
      version: 'test',
    });
    const res = await broken.inject('/devices');
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('secret detail');
    await broken.close();
  });
});
