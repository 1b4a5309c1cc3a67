import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/api/app.js';
import type { GatewayView } from '../../../src/api/gateway-view.js';
import { silentLogger } from '../../../src/log.js';
import { createGatewayMetrics } from '../../../src/metrics/gateway-metrics.js';
import { fakeGatewayState, fakeMetricsSource } from '../metrics/fake-metrics-source.js';
import { parseExposition, sampleValue } from '../metrics/parse-exposition.js';

const unusedView: GatewayView = {
  health: () => {
    throw new Error('not used');
  },
  devices: () => [],
  devicePoints: () => undefined,
  activeAlarms: () => [],
};

describe('GET /metrics', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('serves the registry in the Prometheus text format', async () => {
    const metrics = createGatewayMetrics(fakeMetricsSource(fakeGatewayState()), { processMetrics: false });
    app = await buildApp({ gateway: unusedView, logger: silentLogger(), version: 'test', metrics });
    const res = await app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.body).toContain('# TYPE facility_gw_samples_total counter\n');
    expect(sampleValue(parseExposition(res.body), 'facility_gw_samples_total')).toBe(1234);
  });

  it('stays out of the OpenAPI document', async () => {
    const metrics = { render: async () => '', contentType: 'text/plain; version=0.0.4; charset=utf-8' };
    app = await buildApp({ gateway: unusedView, logger: silentLogger(), version: 'test', metrics });
    const doc = (await app.inject('/openapi.json')).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths)).not.toContain('/metrics');
  });

  it('is absent without metrics, and answers 500 without details when rendering fails', async () => {
    app = await buildApp({ gateway: unusedView, logger: silentLogger(), version: 'test' });
    expect((await app.inject('/metrics')).statusCode).toBe(404);
    await app.close();
    const metrics = { render: async (): Promise<string> => Promise.reject(new Error('secret detail')), contentType: 'text/plain' };
    app = await buildApp({ gateway: unusedView, logger: silentLogger(), version: 'test', metrics });
    const res = await app.inject('/metrics');
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('secret detail');
  });
});
