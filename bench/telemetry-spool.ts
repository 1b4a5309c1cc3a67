/**
 * Telemetry spool benchmark: the writer with the durable spool on.
 *
 *   node dist/bench/telemetry-spool.js      (after `npm run build`)
 *   npx tsx bench/telemetry-spool.ts
 *
 * Starts its own servers on loopback, on free ports, each in a temporary directory removed afterwards:
 * `influxd` (InfluxDB 1.x, the v1 sink) and `victoria-metrics` (the v2 sink), found on PATH or through
 * INFLUXD_BIN / VICTORIA_METRICS_BIN (scripts/test-deps.sh installs both from Debian). Without a binary, the
 * figures that need it are skipped, and the output says so.
 *
 * The stream: 100 pumps polled with 4 points each (flow, pressure, speed, running), one line per poll, every
 * poll of a pump a new timestamp. A point here is a line, as InfluxDB counts points.
 *
 * Figures:
 * - poll path: writer.write into a spooled sink that is not started (encode, append, and the spool writing to
 *   disk in the background), lines/s, and the slowest single write() call;
 * - end to end: from the first write until the server acknowledged every line, spool on (and off, to compare),
 *   to InfluxDB 1.x (v1) and VictoriaMetrics (v2); target at least 100,000 points/s with the spool on;
 * - replay after an outage: lines spooled while InfluxDB was stopped, from its restart until all are
 *   acknowledged, at the default replay rate and unpaced;
 * - spool bytes per point, against the mean line length.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { InfluxV1SinkConfig, InfluxV2SinkConfig, SinkConfig, SpoolConfig } from '../src/config/schema.js';
import { silentLogger } from '../src/log.js';
import type { Sample } from '../src/points/sample.js';
import { SampleEncoder } from '../src/telemetry/line-protocol.js';
import { TelemetryWriter } from '../src/telemetry/telemetry-writer.js';
import { SystemClock } from '../src/time/clock.js';

const PUMPS = 100;
const E2E_LINES = 600_000;
const OUTAGE_LINES = 500_000;
const POLL_PATH_MS = 1000;
const TARGET_POINTS_PER_S = 100_000;
const DEFAULT_REPLAY_LINES_PER_S = 50_000;
const UNPACED_LINES_PER_S = 100_000_000;
const READY_TIMEOUT_MS = 30_000;
const WAIT_STEP_MS = 5;
const START_TS = Date.UTC(2026, 0, 1);
const INFLUXD = process.env.INFLUXD_BIN ?? 'influxd';
const VICTORIA_METRICS = process.env.VICTORIA_METRICS_BIN ?? 'victoria-metrics';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Lets timers and I/O run, without the millisecond a zero timeout costs. */
const yieldToLoop = () => new Promise((resolve) => setImmediate(resolve));
const rate = (perSecond: number) => Math.round(perSecond).toLocaleString('en-US').padStart(11);
const report = (label: string, value: string, target = '') => console.log(`${label.padEnd(50)}${value}${target ? `   (${target})` : ''}`);

// ---------------------------------------------------------------------------------------------------------
// Servers

interface Server {
  url: string;
  pause(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Runs `command` until stopped; `ready` is polled until it answers 2xx. Undefined when the binary is missing. */
async function startServer(command: string, args: (dir: string, port: number) => Promise<string[]>, readyPath: string): Promise<Server | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'facility-gw-bench-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const argv = await args(dir, port);
  let child: ChildProcess | undefined;
  const run = async (): Promise<boolean> => {
    const started = spawn(command, argv, { stdio: 'ignore' });
    child = started;
    let failed = false;
    started.once('error', () => (failed = true));
    for (const deadline = Date.now() + READY_TIMEOUT_MS; Date.now() < deadline && !failed && started.exitCode === null; ) {
      const answer = await fetch(`${url}${readyPath}`).catch(() => undefined);
      if (answer?.ok) return true;
      await sleep(50);
    }
    started.kill('SIGKILL');
    return false;
  };
  const halt = async (): Promise<void> => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
  };
  if (!(await run())) {
    await rm(dir, { recursive: true, force: true });
    return undefined;
  }
  return {
    url,
    pause: halt,
    restart: async () => {
      if (!(await run())) throw new Error(`${command} did not come back`);
    },
    stop: async () => {
      await halt();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function startInfluxDb1(): Promise<Server | undefined> {
  return startServer(
    INFLUXD,
    async (dir, port) => {
      const config = join(dir, 'influxdb.conf');
      const rpc = await freePort();
      await writeFile(
        config,
        `reporting-disabled = true\nbind-address = "127.0.0.1:${rpc}"\n[meta]\n  dir = "${join(dir, 'meta')}"\n  logging-enabled = false\n` +
          `[data]\n  dir = "${join(dir, 'data')}"\n  wal-dir = "${join(dir, 'wal')}"\n  query-log-enabled = false\n` +
          `[monitor]\n  store-enabled = false\n[http]\n  bind-address = "127.0.0.1:${port}"\n  log-enabled = false\n`,
      );
      return ['run', '-config', config];
    },
    '/ping',
  );
}

function startVictoriaMetrics(): Promise<Server | undefined> {
  return startServer(VICTORIA_METRICS, async (dir, port) => [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${dir}`, '-retentionPeriod=100y', '-loggerLevel=ERROR'], '/health');
}

// ---------------------------------------------------------------------------------------------------------
// The writer and the stream

const FIELDS = ['flow', 'pressure', 'speed', 'running'] as const;
/** One Sample[] per pump, reused for every cycle: the writer encodes synchronously and keeps no sample. */
const POLLS: Sample[][] = Array.from({ length: PUMPS }, (_, p) => FIELDS.map((field) => ({ point: `pump${p}.${field}`, value: 0, ts: 0, quality: 'good' as const })));

/** Every pump's poll at cycle `n`: a new timestamp and new values. */
function cycle(n: number): Sample[][] {
  const ts = START_TS + n * 1000;
  POLLS.forEach((poll, p) => {
    poll.forEach((sample, f) => {
      const x = (n * 31 + p * 17 + f) % 1000;
      sample.ts = ts;
      sample.value = FIELDS[f] === 'running' ? x % 7 !== 0 : x / 100;
    });
  });
  return POLLS;
}

function spoolConfig(dir: string, replayLinesPerSecond = DEFAULT_REPLAY_LINES_PER_S): SpoolConfig {
  return { dir, maxBytes: 4 * 1024 ** 3, maxAgeMs: 7 * 24 * 3600_000, fsync: 'interval', fsyncIntervalMs: 1000, replayLinesPerSecond };
}

/** The schema's defaults, except a shorter flush interval (a benchmark has no reason to wait). */
const common = { batchSize: 5000, flushIntervalMs: 100, maxBufferLines: 200_000, timeoutMs: 10_000, gzip: true };
const v1 = (url: string, spool?: SpoolConfig): InfluxV1SinkConfig => ({ id: 'v1', type: 'influxdb-v1', url, database: 'bench', ...common, spool });
const v2 = (url: string, spool?: SpoolConfig): InfluxV2SinkConfig => ({ id: 'v2', type: 'influxdb-v2', url, org: '', bucket: 'bench', ...common, spool });

function newWriter(sink: SinkConfig): { writer: TelemetryWriter; status: () => NonNullable<ReturnType<TelemetryWriter['status']>[number]> } {
  const writer = new TelemetryWriter({ site: 'bench', sinks: [sink], clock: new SystemClock(), logger: silentLogger(), retry: { backoffInitialMs: 50, backoffMaxMs: 200, backoffJitter: 0 } });
  for (let p = 0; p < PUMPS; p++) writer.registerDevice(`pump${p}`, 'pump');
  const status = () => writer.status()[0] ?? (() => { throw new Error('no sink'); })();
  return { writer, status };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !condition(); await sleep(WAIT_STEP_MS)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
  }
}

/**
 * Writes `lines` lines from cycle `firstCycle` on, yielding to the event loop between cycles as a gateway does
 * between polls; with `throttle`, keeps the memory queue at most half full (a benchmark that drops measures nothing).
 */
async function produce(writer: TelemetryWriter, status: () => { linesBuffered: number }, lines: number, firstCycle: number, throttle: boolean): Promise<void> {
  for (let n = firstCycle, written = 0; written < lines; n++) {
    for (const poll of cycle(n)) writer.write(poll);
    written += PUMPS;
    await yieldToLoop();
    if (throttle) while (status().linesBuffered > common.maxBufferLines / 2) await sleep(WAIT_STEP_MS);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Figures

async function pollPath(spoolDir: string): Promise<void> {
  const { writer, status } = newWriter(v1('http://127.0.0.1:9', spoolConfig(join(spoolDir, 'poll'))));
  let cycles = 0;
  let slowestMs = 0;
  const started = performance.now();
  while (performance.now() - started < POLL_PATH_MS) {
    const before = performance.now();
    for (const poll of cycle(cycles)) writer.write(poll);
    slowestMs = Math.max(slowestMs, performance.now() - before);
    cycles++;
    await yieldToLoop(); // let the spool's timers and writes run, as between real polls
  }
  const seconds = (performance.now() - started) / 1000;
  report('poll path: writer.write, spool on', `${rate((cycles * PUMPS) / seconds)} lines/s`);
  report('  slowest write() of one 100-pump cycle', `${slowestMs.toFixed(2).padStart(11)} ms`);
  await writer.stop();
  const s = status();
  report('spool bytes per point', `${((s.spoolBytes ?? 0) / Math.max(1, s.spoolLines ?? 0)).toFixed(1).padStart(11)} bytes`, `line protocol: ${meanLineBytes().toFixed(1)} bytes a line with its newline`);
}

/** Mean UTF-8 bytes of the stream's lines, plus one for the newline that separates them on the wire. */
function meanLineBytes(): number {
  const encoder = new SampleEncoder('bench');
  for (let p = 0; p < PUMPS; p++) encoder.registerDevice(`pump${p}`, 'pump');
  let bytes = 0;
  let lines = 0;
  for (const poll of cycle(1)) {
    encoder.encode(poll, (line) => {
      bytes += Buffer.byteLength(line) + 1;
      lines++;
    });
  }
  return bytes / lines;
}

async function endToEnd(label: string, sink: SinkConfig): Promise<number> {
  const { writer, status } = newWriter(sink);
  writer.start();
  const started = performance.now();
  await produce(writer, status, E2E_LINES, 0, true);
  await waitFor(() => status().linesWritten + status().linesRejected >= E2E_LINES, `${label}: every line is acknowledged`);
  const perSecond = E2E_LINES / ((performance.now() - started) / 1000);
  await writer.stop();
  if (status().linesRejected > 0 || status().linesDropped > 0) throw new Error(`${label}: ${status().lastError ?? 'lines lost'}`);
  report(label, `${rate(perSecond)} points/s`, sink.spool ? `target ≥ ${TARGET_POINTS_PER_S.toLocaleString('en-US')}` : 'no spool, for comparison');
  return perSecond;
}

async function replay(influx: Server, spoolDir: string, replayLinesPerSecond: number, label: string): Promise<void> {
  const { writer, status } = newWriter(v1(influx.url, spoolConfig(spoolDir, replayLinesPerSecond)));
  writer.start();
  await influx.pause();
  await produce(writer, status, OUTAGE_LINES, 10_000, false);
  await waitFor(() => (status().linesSpooled ?? 0) >= OUTAGE_LINES, 'the outage lines are spooled');
  await influx.restart();
  const started = performance.now();
  await waitFor(() => status().linesWritten >= OUTAGE_LINES, 'the backlog is replayed');
  report(label, `${rate(OUTAGE_LINES / ((performance.now() - started) / 1000))} lines/s`);
  await writer.stop();
}

async function main(): Promise<void> {
  const spoolDir = await mkdtemp(join(tmpdir(), 'facility-gw-bench-spool-'));
  const [influx, vm] = await Promise.all([startInfluxDb1(), startVictoriaMetrics()]);
  try {
    console.log(`stream: ${PUMPS} pumps × ${FIELDS.length} points, one line per poll; spool fsync 'interval'`);
    await pollPath(spoolDir);
    if (influx) {
      await fetch(`${influx.url}/query`, { method: 'POST', body: new URLSearchParams({ q: 'CREATE DATABASE "bench"' }) });
      await endToEnd('v1 → InfluxDB 1.x, spool on', v1(influx.url, spoolConfig(join(spoolDir, 'e2e-v1'))));
      await endToEnd('v1 → InfluxDB 1.x, spool off', v1(influx.url));
      await replay(influx, join(spoolDir, 'replay-default'), DEFAULT_REPLAY_LINES_PER_S, `replay after an outage, paced at ${DEFAULT_REPLAY_LINES_PER_S.toLocaleString('en-US')}/s`);
      await replay(influx, join(spoolDir, 'replay-unpaced'), UNPACED_LINES_PER_S, 'replay after an outage, unpaced');
    } else {
      console.log(`InfluxDB 1.x: '${INFLUXD}' not found (set INFLUXD_BIN); v1 and replay figures skipped`);
    }
    if (vm) {
      await endToEnd('v2 → VictoriaMetrics, spool on', v2(vm.url, spoolConfig(join(spoolDir, 'e2e-v2'))));
      await endToEnd('v2 → VictoriaMetrics, spool off', v2(vm.url));
    } else {
      console.log(`VictoriaMetrics: '${VICTORIA_METRICS}' not found (set VICTORIA_METRICS_BIN); v2 figures skipped`);
    }
  } finally {
    await Promise.all([influx?.stop(), vm?.stop()]);
    await rm(spoolDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1); // a writer left running by the failure would keep the process alive
});
