import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InfluxV1SinkConfig } from '../../src/config/schema.js';
import { silentLogger } from '../../src/log.js';
import type { Sample } from '../../src/points/sample.js';
import { TelemetryWriter } from '../../src/telemetry/telemetry-writer.js';
import { SystemClock } from '../../src/time/clock.js';
import { startInfluxDb1, waitUntil, type InfluxDb1Server } from '../support/tsdb-servers.js';

/** The InfluxDB v1 sink against a real InfluxDB 1.x with authentication on, read back with InfluxQL. */

const ADMIN = { username: 'gwadmin', password: 's3cret pass' };
const DB = 'facility';
const RP = 'week';
/** Quick retries, so that recovery shows within a test's time. */
const FAST_RETRY = { backoffInitialMs: 100, backoffMaxMs: 500, backoffJitter: 0 };

let influx: InfluxDb1Server;

beforeAll(async () => {
  influx = await startInfluxDb1({ admin: ADMIN });
  await influx.createDatabase(DB);
  await influx.query(`CREATE RETENTION POLICY "${RP}" ON "${DB}" DURATION 7d REPLICATION 1`);
});

afterAll(async () => {
  await influx?.stop();
});

function sinkConfig(overrides: Partial<InfluxV1SinkConfig> = {}): InfluxV1SinkConfig {
  return {
    id: 'influx1',
    type: 'influxdb-v1',
    url: influx.url,
    database: DB,
    username: ADMIN.username,
    password: ADMIN.password,
    batchSize: 5000,
    flushIntervalMs: 100,
    maxBufferLines: 10_000,
    timeoutMs: 5000,
    gzip: true,
    ...overrides,
  };
}

function newWriter(config: InfluxV1SinkConfig, devices: Record<string, 'pump' | 'elevator'>): TelemetryWriter {
  const writer = new TelemetryWriter({ site: 'hq', sinks: [config], clock: new SystemClock(), logger: silentLogger(), retry: FAST_RETRY });
  for (const [id, type] of Object.entries(devices)) writer.registerDevice(id, type);
  writer.start();
  return writer;
}

function sinkStatus(writer: TelemetryWriter) {
  const [status] = writer.status();
  if (!status) throw new Error('writer has no sink');
  return status;
}

/** Whole seconds a minute ago, inside the 7-day retention policy. */
function baseTime(): number {
  return Math.floor(Date.now() / 1000) * 1000 - 60_000;
}

describe('telemetry to InfluxDB 1.x through /write', () => {
  it('stores gzipped lines that read back with InfluxQL: field types, quality, tags and timestamps', async () => {
    const writer = newWriter(sinkConfig(), { p1: 'pump', e1: 'elevator' });
    const t0 = baseTime();
    writer.write([
      { point: 'p1.flow', value: 3, ts: t0, quality: 'good' },
      { point: 'p1.running', value: true, ts: t0, quality: 'good' },
      { point: 'p1.mode', value: 'auto "eco"', ts: t0, quality: 'good' },
      { point: 'p1.pressure', value: null, ts: t0, quality: 'bad' },
    ]);
    writer.write([
      { point: 'p1.flow', value: 3.5, ts: t0 + 1000, quality: 'uncertain' },
      { point: 'p1.pressure', value: 2.25, ts: t0 + 1000, quality: 'stale' },
    ]);
    // A burst big enough for a gzipped body.
    const burst: Sample[] = [];
    for (let i = 0; i < 200; i++) burst.push({ point: 'e1.floor', value: i % 12, ts: t0 + i * 100, quality: 'good' });
    writer.write(burst);

    await waitUntil(() => sinkStatus(writer).linesWritten === 202, 'all lines are written');
    await writer.stop();

    const pump = await influx.rows(`SELECT * FROM "pump" WHERE "device" = 'p1' ORDER BY time`, DB);
    expect(pump).toEqual([
      { time: t0, device: 'p1', site: 'hq', flow: 3, flow_quality: null, running: true, mode: 'auto "eco"', pressure: null, pressure_quality: 'bad' },
      { time: t0 + 1000, device: 'p1', site: 'hq', flow: 3.5, flow_quality: 'uncertain', running: null, mode: null, pressure: 2.25, pressure_quality: 'stale' },
    ]);
    // Whole numbers went in as floats, so 3 and 3.5 share one field type.
    const fieldTypes = await influx.rows(`SHOW FIELD KEYS FROM "pump"`, DB);
    expect(fieldTypes).toEqual(
      expect.arrayContaining([
        { fieldKey: 'flow', fieldType: 'float' },
        { fieldKey: 'running', fieldType: 'boolean' },
        { fieldKey: 'mode', fieldType: 'string' },
        { fieldKey: 'flow_quality', fieldType: 'string' },
      ]),
    );
    const floors = await influx.rows(`SELECT count("floor"), first("floor"), last("floor") FROM "elevator" WHERE "device" = 'e1' AND "site" = 'hq'`, DB);
    expect(floors[0]).toMatchObject({ count: 200, first: 0, last: 199 % 12 });
  });

  it('writes into the retention policy named by the config', async () => {
    const writer = newWriter(sinkConfig({ id: 'rp', retentionPolicy: RP }), { rp1: 'pump' });
    const t0 = baseTime();
    writer.write([{ point: 'rp1.flow', value: 7.5, ts: t0, quality: 'good' }]);
    await writer.stop();
    expect(sinkStatus(writer).linesWritten).toBe(1);

    expect(await influx.rows(`SELECT "flow" FROM "${DB}"."${RP}"."pump" WHERE "device" = 'rp1'`)).toEqual([{ time: t0, flow: 7.5 }]);
    expect(await influx.rows(`SELECT "flow" FROM "${DB}"."autogen"."pump" WHERE "device" = 'rp1'`)).toEqual([]);
  });

  it('counts and reports a batch refused for bad credentials, without retrying it', async () => {
    const writer = newWriter(sinkConfig({ id: 'badauth', password: 'wrong' }), { x1: 'pump' });
    writer.write([
      { point: 'x1.flow', value: 1, ts: baseTime(), quality: 'good' },
      { point: 'x1.flow', value: 2, ts: baseTime() + 1, quality: 'good' },
    ]);
    await waitUntil(() => sinkStatus(writer).writeErrors > 0, 'the write fails');
    await new Promise((resolve) => setTimeout(resolve, 4 * FAST_RETRY.backoffMaxMs)); // time in which a retry would show
    expect(sinkStatus(writer)).toMatchObject({ writeErrors: 1, linesRejected: 2, linesBuffered: 0, linesWritten: 0, connected: false, nextRetryAt: null });
    expect(sinkStatus(writer).lastError).toBe('HTTP 401: authorization failed');
    await writer.stop();
  });

  it('keeps polling unblocked through an outage: buffers to the bound, counts drops, delivers the rest on return', async () => {
    const capacity = 1000;
    const writer = newWriter(sinkConfig({ id: 'outage', maxBufferLines: capacity, batchSize: 100 }), { o1: 'pump' });
    const t0 = baseTime() - 30_000;
    writer.write([{ point: 'o1.flow', value: -1, ts: t0 - 1000, quality: 'good' }]);
    await waitUntil(() => sinkStatus(writer).linesWritten === 1, 'the first line is written');

    await influx.pause();
    writer.write([{ point: 'o1.flow', value: -2, ts: t0 - 500, quality: 'good' }]);
    await waitUntil(() => !sinkStatus(writer).connected, 'the sink notices the server is gone');

    const burst = 1500;
    let slowestMs = 0;
    const started = performance.now();
    for (let i = 0; i < burst; i++) {
      const before = performance.now();
      expect(() => writer.write([{ point: 'o1.flow', value: i, ts: t0 + i, quality: 'good' }])).not.toThrow();
      slowestMs = Math.max(slowestMs, performance.now() - before);
    }
    const totalMs = performance.now() - started;
    expect(totalMs).toBeLessThan(250);
    expect(slowestMs).toBeLessThan(50);
    // The one line waiting for its retry, plus a full buffer; the oldest 500 of the burst were dropped.
    expect(sinkStatus(writer)).toMatchObject({ linesBuffered: capacity + 1, linesDropped: burst - capacity, linesWritten: 1 });
    expect(sinkStatus(writer).writeErrors).toBeGreaterThan(0);

    await influx.restart();
    await waitUntil(() => sinkStatus(writer).linesBuffered === 0, 'the backlog is delivered', 30_000);
    expect(sinkStatus(writer)).toMatchObject({ linesWritten: 2 + capacity, linesDropped: burst - capacity, connected: true });
    await writer.stop();

    const [stats] = await influx.rows(`SELECT count("flow"), min("flow"), max("flow") FROM "pump" WHERE "device" = 'o1' AND time >= ${t0}ms`, DB);
    expect(stats).toMatchObject({ count: capacity, min: burst - capacity, max: burst - 1 });
    const before = await influx.rows(`SELECT "flow" FROM "pump" WHERE "device" = 'o1' AND time < ${t0}ms`, DB);
    expect(before).toEqual([
      { time: t0 - 1000, flow: -1 },
      { time: t0 - 500, flow: -2 },
    ]);
  });
});

describe('the /write request', () => {
  it('is a POST to /write with db, rp and precision=ms, basic auth and a gzip body', async () => {
    const requests: Array<{ method?: string; url?: string; headers: IncomingHttpHeaders; body: Buffer }> = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        requests.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const writer = newWriter(sinkConfig({ id: 'capture', url: `http://127.0.0.1:${port}/`, retentionPolicy: 'one week', database: 'a&b' }), { c1: 'pump' });
      const t0 = baseTime();
      const samples: Sample[] = [];
      for (let i = 0; i < 50; i++) samples.push({ point: 'c1.flow', value: i, ts: t0 + i, quality: 'good' });
      writer.write(samples);
      await writer.stop();

      expect(requests).toHaveLength(1);
      const [request] = requests;
      expect(request?.method).toBe('POST');
      const url = new URL(request?.url ?? '', 'http://x');
      expect(url.pathname).toBe('/write');
      expect(Object.fromEntries(url.searchParams)).toEqual({ db: 'a&b', rp: 'one week', precision: 'ms' });
      expect(request?.headers['content-encoding']).toBe('gzip');
      expect(request?.headers.authorization).toBe(`Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`);
      const lines = gunzipSync(request?.body ?? Buffer.alloc(0)).toString('utf8').split('\n');
      expect(lines).toHaveLength(50);
      expect(lines[0]).toBe(`pump,device=c1,site=hq flow=0 ${t0}`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
