import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InfluxV1SinkConfig } from '../../src/config/schema.js';
import { silentLogger } from '../../src/log.js';
import type { Sample } from '../../src/points/sample.js';
import { TelemetryWriter } from '../../src/telemetry/telemetry-writer.js';
import { SystemClock } from '../../src/time/clock.js';
import { freePort } from '../support/ports.js';
import { startInfluxDb1, waitUntil, type InfluxDb1Server } from '../support/tsdb-servers.js';

/**
 * Fault drills for the durable spool against a real InfluxDB 1.x: the server stopped for a minute while samples
 * stream in fast, and the gateway killed with SIGKILL while it spools. Each counts the points in the database.
 */

const OUTAGE_MS = 60_000;
const DEVICES = 10;
/** Samples per second in the outage drill, one line each. */
const RATE_PER_S = 10_000;
const TICK_MS = 10;
const BEFORE_OUTAGE_MS = 2000;
const AFTER_OUTAGE_MS = 5000;
const FAST_RETRY = { backoffInitialMs: 100, backoffMaxMs: 1000, backoffJitter: 0 };
const CHILD = fileURLToPath(new URL('../support/spool-writer-child.ts', import.meta.url));

let influx: InfluxDb1Server;
const dirs: string[] = [];

beforeAll(async () => {
  influx = await startInfluxDb1();
  await influx.createDatabase('outage');
  await influx.createDatabase('killed');
});

afterAll(async () => {
  await influx?.stop();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function spoolDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'facility-gw-drill-'));
  dirs.push(dir);
  return dir;
}

/** Whole seconds an hour ago: every drill timestamp is distinct and in the past. */
function baseTime(): number {
  return Math.floor(Date.now() / 1000) * 1000 - 3600_000;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function countAndSum(q: string, db: string): Promise<{ count: number; sum: number }> {
  const [row] = await influx.rows(q, db);
  return { count: Number(row?.count ?? 0), sum: Number(row?.sum ?? 0) };
}

describe('spool fault drills against InfluxDB 1.x', () => {
  it('InfluxDB stopped for 60 s while samples stream in fast: afterwards every point is stored, once', async () => {
    const sink: InfluxV1SinkConfig = {
      id: 'outage',
      type: 'influxdb-v1',
      url: influx.url,
      database: 'outage',
      batchSize: 5000,
      flushIntervalMs: 100,
      maxBufferLines: 200_000, // less than the outage's lines: the rest is replayed from disk
      timeoutMs: 5000,
      gzip: true,
      spool: { dir: await spoolDir(), maxBytes: 1024 ** 3, maxAgeMs: 7 * 24 * 3600_000, fsync: 'interval', fsyncIntervalMs: 1000, replayLinesPerSecond: 100_000 },
    };
    const writer = new TelemetryWriter({ site: 'drill', sinks: [sink], clock: new SystemClock(), logger: silentLogger(), retry: FAST_RETRY });
    for (let d = 0; d < DEVICES; d++) writer.registerDevice(`p${d}`, 'pump');
    writer.start();
    const status = () => writer.status()[0] ?? expect.fail('no sink');

    // Sample i: device i % DEVICES, value i, a timestamp of its own per device.
    const t0 = baseTime();
    let produced = 0;
    let slowestWriteMs = 0;
    const perTick = (RATE_PER_S * TICK_MS) / 1000;
    const producer = setInterval(() => {
      const samples: Sample[] = [];
      for (const end = produced + perTick; produced < end; produced++) {
        samples.push({ point: `p${produced % DEVICES}.flow`, value: produced, ts: t0 + Math.floor(produced / DEVICES), quality: 'good' });
      }
      const started = performance.now();
      writer.write(samples);
      slowestWriteMs = Math.max(slowestWriteMs, performance.now() - started);
    }, TICK_MS);

    try {
      await sleep(BEFORE_OUTAGE_MS);
      expect(status().linesWritten).toBeGreaterThan(0);
      await influx.pause();
      await sleep(OUTAGE_MS);
      expect(status()).toMatchObject({ connected: false, spoolError: null, linesDropped: 0 });
      const backlog = status().spoolLines ?? 0;
      expect(backlog).toBeGreaterThan((RATE_PER_S * OUTAGE_MS) / 1000 / 2);
      await influx.restart();
      await sleep(AFTER_OUTAGE_MS);
    } finally {
      clearInterval(producer);
    }
    await waitUntil(() => status().linesBuffered === 0, 'the backlog is replayed', 60_000);
    await writer.stop();

    expect(status()).toMatchObject({ connected: true, linesDropped: 0, linesRejected: 0, spoolDroppedLines: 0, spoolLines: 0 });
    expect(status().linesSpooled).toBe(produced);
    expect(slowestWriteMs).toBeLessThan(50); // the poll path never waited for the disk or the server
    const stored = await countAndSum(`SELECT count("flow"), sum("flow") FROM "pump" WHERE "site" = 'drill'`, 'outage');
    expect(stored).toEqual({ count: produced, sum: (produced * (produced - 1)) / 2 });
  }, 150_000);

  it('killed with SIGKILL while spooling, restarted against a running server: every accepted line arrives', async () => {
    const dir = await spoolDir();
    const t0 = baseTime();
    const common = ['--db', 'killed', '--spool', dir, '--base-ts', String(t0)];

    // 1. The server is unreachable; the child spools until it has accepted enough, then dies mid-stream.
    const unreachable = `http://127.0.0.1:${await freePort()}`;
    const first = startChild([...common, '--url', unreachable, '--count', '1000000', '--rate', '20000']);
    let accepted = 0;
    let producedAtKill = 0;
    for await (const event of first.events) {
      if (event.event !== 'progress') continue;
      accepted = Number(event.spooled);
      producedAtKill = Number(event.produced);
      if (accepted >= 30_000) break;
    }
    first.child.kill('SIGKILL');
    await first.exited;
    expect(accepted).toBeGreaterThanOrEqual(30_000);
    expect(producedAtKill).toBeLessThan(1_000_000); // killed while still producing

    // 2. Restarted against the running server, with nothing new to write: it replays the spool.
    const second = startChild([...common, '--url', influx.url, '--count', '0', '--drain']);
    let drained: Record<string, unknown> | undefined;
    for await (const event of second.events) if (event.event === 'drained') drained = event;
    expect(await second.exited).toBe(0);
    expect(drained?.status).toMatchObject({ linesDropped: 0, linesRejected: 0, linesBuffered: 0, spoolLines: 0 });

    const acceptedPoints = await countAndSum(`SELECT count("flow"), sum("flow") FROM "pump" WHERE time < ${t0 + accepted}ms`, 'killed');
    expect(acceptedPoints).toEqual({ count: accepted, sum: (accepted * (accepted - 1)) / 2 });
    const all = await countAndSum(`SELECT count("flow"), sum("flow") FROM "pump"`, 'killed');
    expect(all.count).toBeGreaterThanOrEqual(accepted);
  }, 60_000);
});

/** Runs the spool writer child; its stdout JSON lines as an async stream of events. */
function startChild(args: string[]): { child: ChildProcess; events: AsyncIterable<Record<string, unknown>>; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  async function* events(): AsyncIterable<Record<string, unknown>> {
    for await (const line of lines) yield JSON.parse(line) as Record<string, unknown>;
    if (stderr.trim() !== '') throw new Error(`spool writer child failed:\n${stderr}`);
  }
  return { child, events: events(), exited };
}
