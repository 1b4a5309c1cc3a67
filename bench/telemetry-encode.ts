/**
 * Telemetry encoding benchmark: how fast the poll path turns samples into line protocol.
 *
 *   node dist/bench/telemetry-encode.js      (after `npm run build`)
 *   npx tsx bench/telemetry-encode.ts
 *
 * The stream: 10 pumps and 10 elevators with the built-in profiles (16 points each, so 320 samples and 20 lines
 * per poll cycle): analog values quantised to 0.01, counters, booleans and enum labels; about 2 % of samples
 * uncertain, and every 50th cycle one device stale with null values. Generated up front (100 cycles, replayed),
 * so generating it is not measured.
 *
 * Figures, each over about a second of wall time after a warm-up:
 * - encode only: SampleEncoder alone, lines handed to a callback that counts them.
 * - writer.write into a sink's buffer: the whole poll-path cost with one sink that is never started (encode, then
 *   append to its bounded buffer, dropping the oldest once full).
 * - writer.write without sinks: the no-op path.
 * - with INFLUX_V1_URL set (optionally INFLUX_V1_DB, default facility_bench; INFLUX_V1_USERNAME and
 *   INFLUX_V1_PASSWORD): end to end into that InfluxDB 1.x, from the first write until the server has
 *   acknowledged every line.
 */
import type { InfluxV1SinkConfig } from '../src/config/schema.js';
import { silentLogger } from '../src/log.js';
import type { Quality, Sample } from '../src/points/sample.js';
import { builtInProfiles } from '../src/profiles/index.js';
import type { EquipmentType, PointDefBase } from '../src/profiles/types.js';
import { SampleEncoder } from '../src/telemetry/line-protocol.js';
import { TelemetryWriter } from '../src/telemetry/telemetry-writer.js';
import { SystemClock } from '../src/time/clock.js';

const DEVICES_PER_TYPE = 10;
const POLL_INTERVAL_MS = 1000;
const TABLE_CYCLES = 100;
const STALE_EVERY_CYCLES = 50;
const UNCERTAIN_SHARE = 0.02;
const WARMUP_MS = 300;
const MEASURE_MS = 1000;
const E2E_CYCLES = 2000;
const SITE = 'bench';
const START_TS = Date.UTC(2026, 0, 1);

interface Device {
  id: string;
  equipment: EquipmentType;
  points: PointDefBase[];
}

/** A small deterministic generator, so every run encodes the same stream. */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function devices(): Device[] {
  const out: Device[] = [];
  for (const profile of builtInProfiles) {
    for (let i = 0; i < DEVICES_PER_TYPE; i++) out.push({ id: `${profile.equipment}-${i}`, equipment: profile.equipment, points: profile.points });
  }
  return out;
}

function value(point: PointDefBase, cycle: number, random: () => number): Sample['value'] {
  switch (point.kind) {
    case 'binary':
      return random() < 0.1;
    case 'enum': {
      const labels = Object.values(point.states ?? { 0: 'unknown' });
      return labels[Math.floor(random() * labels.length)] ?? 'unknown';
    }
    case 'counter':
      return 1000 + cycle;
    case 'analog': {
      const { min, max } = point.range ?? { min: 0, max: 100 };
      return Math.round((min + (max - min) * random()) * 100) / 100;
    }
  }
}

/** One Sample[] per device per cycle, as drivers hand them over. */
function pollTable(all: Device[]): Sample[][] {
  const random = rng(42);
  const polls: Sample[][] = [];
  for (let cycle = 0; cycle < TABLE_CYCLES; cycle++) {
    const ts = START_TS + cycle * POLL_INTERVAL_MS;
    all.forEach((device, d) => {
      const stale = cycle % STALE_EVERY_CYCLES === 0 && d === cycle % all.length;
      polls.push(
        device.points.map((point) => {
          const quality: Quality = stale ? 'stale' : random() < UNCERTAIN_SHARE ? 'uncertain' : 'good';
          return { point: `${device.id}.${point.name}`, value: stale ? null : value(point, cycle, random), ts, quality };
        }),
      );
    });
  }
  return polls;
}

/** Runs `cycle` repeatedly for about MEASURE_MS after a warm-up; returns cycles per second. */
function cyclesPerSecond(cycle: () => void): number {
  for (let started = performance.now(); performance.now() - started < WARMUP_MS; ) cycle();
  let cycles = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < MEASURE_MS) {
    cycle();
    cycles++;
    elapsed = performance.now() - started;
  }
  return (cycles * 1000) / elapsed;
}

function rate(perSecond: number): string {
  return Math.round(perSecond).toLocaleString('en-US').padStart(12);
}

function report(label: string, cyclesPerS: number, linesPerCycle: number, samplesPerCycle: number): void {
  const lines = linesPerCycle > 0 ? `${rate(cyclesPerS * linesPerCycle)} lines/s  ` : ''.padEnd(22);
  console.log(`${label.padEnd(36)}${lines}${rate(cyclesPerS * samplesPerCycle)} samples/s`);
}

function writer(all: Device[], sinks: InfluxV1SinkConfig[]): TelemetryWriter {
  const w = new TelemetryWriter({ site: SITE, sinks, clock: new SystemClock(), logger: silentLogger() });
  for (const device of all) w.registerDevice(device.id, device.equipment);
  return w;
}

function v1Sink(url: string, database: string): InfluxV1SinkConfig {
  return {
    id: 'bench',
    type: 'influxdb-v1',
    url,
    database,
    username: process.env.INFLUX_V1_USERNAME,
    password: process.env.INFLUX_V1_PASSWORD,
    batchSize: 5000,
    flushIntervalMs: 100,
    maxBufferLines: 200_000,
    timeoutMs: 10_000,
    gzip: true,
  };
}

async function endToEnd(url: string, all: Device[], polls: Sample[][], perCycle: { lines: number; samples: number }): Promise<void> {
  const database = process.env.INFLUX_V1_DB ?? 'facility_bench';
  const auth = process.env.INFLUX_V1_USERNAME
    ? { authorization: `Basic ${Buffer.from(`${process.env.INFLUX_V1_USERNAME}:${process.env.INFLUX_V1_PASSWORD ?? ''}`).toString('base64')}` }
    : undefined;
  const created = await fetch(`${url.replace(/\/$/, '')}/query`, { method: 'POST', headers: auth, body: new URLSearchParams({ q: `CREATE DATABASE "${database}"` }) });
  if (!created.ok) throw new Error(`CREATE DATABASE: HTTP ${created.status} ${await created.text()}`);

  const config = v1Sink(url, database);
  const w = writer(all, [config]);
  w.start();
  const status = () => w.status()[0];
  const devicesPerCycle = all.length;
  const totalLines = E2E_CYCLES * perCycle.lines;
  const started = performance.now();
  for (let cycle = 0; cycle < E2E_CYCLES; cycle++) {
    // Shift the replayed table's timestamps so every cycle is a new instant rather than an overwrite.
    const shiftMs = Math.floor(cycle / TABLE_CYCLES) * TABLE_CYCLES * POLL_INTERVAL_MS;
    const base = (cycle % TABLE_CYCLES) * devicesPerCycle;
    for (let d = 0; d < devicesPerCycle; d++) {
      const poll = polls[base + d] ?? [];
      w.write(shiftMs === 0 ? poll : poll.map((s) => ({ ...s, ts: s.ts + shiftMs })));
    }
    // Stay well inside the buffer: a benchmark that drops lines measures nothing.
    while ((status()?.linesBuffered ?? 0) > config.maxBufferLines / 2) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  while ((status()?.linesWritten ?? 0) + (status()?.linesRejected ?? 0) < totalLines) {
    if ((status()?.linesDropped ?? 0) > 0) throw new Error('lines were dropped');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const elapsedS = (performance.now() - started) / 1000;
  await w.stop();
  const s = status();
  if (s && s.linesRejected > 0) throw new Error(`server refused lines: ${s.lastError ?? ''}`);
  report(`end to end, InfluxDB 1.x (${totalLines} lines)`, E2E_CYCLES / elapsedS, perCycle.lines, perCycle.samples);
}

async function main(): Promise<void> {
  const all = devices();
  const polls = pollTable(all);
  const samplesPerCycle = polls.slice(0, all.length).reduce((n, p) => n + p.length, 0);
  let cursor = 0;
  /** Feeds one poll cycle (every device once) to `sink`. */
  const feed = (sink: (poll: Sample[]) => void): (() => void) => () => {
    for (let d = 0; d < all.length; d++) {
      sink(polls[cursor] ?? []);
      cursor = (cursor + 1) % polls.length;
    }
  };

  const encoder = new SampleEncoder(SITE);
  for (const device of all) encoder.registerDevice(device.id, device.equipment);
  let lines = 0;
  let chars = 0;
  const count = (line: string): void => {
    lines++;
    chars += line.length;
  };
  const linesPerCycle = all.length;

  console.log(`stream: ${all.length} devices × 16 points = ${samplesPerCycle} samples, ${linesPerCycle} lines per poll cycle`);
  report('encode only', cyclesPerSecond(feed((poll) => encoder.encode(poll, count))), linesPerCycle, samplesPerCycle);
  console.log(`${'mean line length'.padEnd(36)}${Math.round(chars / Math.max(1, lines)).toString().padStart(12)} bytes`);

  const buffered = writer(all, [v1Sink('http://127.0.0.1:9', 'unused')]); // never started: nothing is sent
  report('writer.write into a sink buffer', cyclesPerSecond(feed((poll) => buffered.write(poll))), linesPerCycle, samplesPerCycle);

  const none = writer(all, []);
  report('writer.write without sinks', cyclesPerSecond(feed((poll) => none.write(poll))), 0, samplesPerCycle);

  const url = process.env.INFLUX_V1_URL;
  if (url) await endToEnd(url, all, polls, { lines: linesPerCycle, samples: samplesPerCycle });
  else console.log('end to end: set INFLUX_V1_URL to an InfluxDB 1.x to measure');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
