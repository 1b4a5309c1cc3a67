/**
 * Recording and replay benchmark on the demo building.
 *
 *   node --expose-gc dist/bench/replay.js      (after `npm run build`)
 *   npx tsx bench/replay.ts
 *
 * Target (issue #8): replay through the rule engine at ≥ 1,000,000 samples/s, i.e. a week of the demo
 * building in seconds.
 *
 * The stream: the simulator's demo building in-process on a VirtualClock, every Modbus device polled once per
 * virtual second for SIM_MINUTES, with faults scripted (overheat, low pressure, trapped passenger), so
 * alarms raise and clear during the replay. Generated once, up front, not measured.
 *
 * Measured:
 * 1. Recording, hot path: `recorder.record(batch)` per poll batch, wall time / samples (what the gateway's
 *    sample path pays).
 * 2. Recording, total: from the first record() to the end of close() (encoding, deflate, writes), / samples;
 *    and bytes on disk per sample.
 * 3. Replay, end to end: read the files, inflate, decode and feed a RuleEngine on a VirtualClock (the
 *    back-test's RuleReplay), / samples; best of REPLAY_ROUNDS.
 * 4. Replay, engine only: the decoded entries held in memory, fed again, / samples; best of REPLAY_ROUNDS.
 * The week figure divides the demo building's samples per week (its samples per virtual second × 604,800)
 * by the end-to-end rate. Exit code 1 when the end-to-end rate misses the target.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { RuleReplay } from '../src/backtest/replay.js';
import { ruleSetFromConfig } from '../src/backtest/rule-sets.js';
import { silentLogger } from '../src/log.js';
import { pointId, type Sample } from '../src/points/sample.js';
import { findProfile } from '../src/profiles/index.js';
import type { RecordedEntry } from '../src/recording/format.js';
import { RecordingReader } from '../src/recording/recording-reader.js';
import { SampleRecorder } from '../src/recording/sample-recorder.js';
import { VirtualClock } from '../src/time/clock.js';
import { startSimulator } from '../simulator/simulator.js';

const SIM_MINUTES = 20;
const POLL_MS = 1000;
const REPLAY_ROUNDS = 5;
const TARGET_SAMPLES_PER_S = 1_000_000;
const WEEK_S = 7 * 24 * 3600;
const MIN = 60_000;

const SCRIPT: Array<{ atMin: number; action: 'start' | 'clear'; scenario: string }> = [
  { atMin: 2, action: 'start', scenario: 'pump-overheat' },
  { atMin: 8, action: 'clear', scenario: 'pump-overheat' },
  { atMin: 9, action: 'start', scenario: 'trapped-passenger' },
  { atMin: 11, action: 'clear', scenario: 'trapped-passenger' },
  { atMin: 12, action: 'start', scenario: 'low-discharge-pressure' },
  { atMin: 18, action: 'clear', scenario: 'low-discharge-pressure' },
];

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

// --- generate the stream -------------------------------------------------------------------------------
const clock = new VirtualClock(Date.UTC(2026, 2, 5, 0, 0, 0));
const startMs = clock.now();
const simulator = await startSimulator({ clock, controlPort: null, seed: 3 });
const config = simulator.siteConfig();
const rules = ruleSetFromConfig('demo', config);
const modbusLinks = new Set(config.links.filter((l) => l.type === 'modbus-tcp').map((l) => l.id));
const devices = config.devices.filter((d) => d.enabled && modbusLinks.has(d.link));
const batches: Sample[][] = [];
const script = [...SCRIPT];
for (let t = startMs + POLL_MS; t <= startMs + SIM_MINUTES * MIN; t += POLL_MS) {
  clock.advanceSync(t - clock.now());
  while (script[0] !== undefined && script[0].atMin * MIN <= t - startMs) {
    const step = script.shift();
    if (step?.action === 'start') simulator.startScenario(step.scenario);
    else if (step !== undefined) simulator.clearScenario(step.scenario);
  }
  for (const device of devices) {
    const values = simulator.values(device.id);
    const batch: Sample[] = [];
    for (const p of findProfile(device.profile)?.points ?? []) {
      const value = values[p.name];
      if (value !== undefined) batch.push({ point: pointId(device.id, p.name), value, ts: t, quality: 'good' });
    }
    batches.push(batch);
  }
}
await simulator.stop();
const totalSamples = batches.reduce((n, b) => n + b.length, 0);
const samplesPerVirtualSecond = totalSamples / (SIM_MINUTES * 60);
console.log(`stream: ${devices.length} Modbus devices, ${totalSamples} samples over ${SIM_MINUTES} virtual minutes (${samplesPerVirtualSecond.toFixed(0)} samples/s of the demo building)`);

// --- record ----------------------------------------------------------------------------------------------
const dir = await mkdtemp(join(tmpdir(), 'fgw-bench-replay-'));
try {
  const recorder = new SampleRecorder({
    settings: { dir, maxFileBytes: 64 * 1024 * 1024, maxFileAgeMinutes: 24 * 60, keepBytes: 1 << 30, blockRecords: 8192, flushIntervalMs: 10_000, compression: 'deflate', fsync: 'file' },
    clock: new VirtualClock(startMs),
    logger: silentLogger(),
  });
  gc();
  let hotNs = 0n;
  const recordStarted = performance.now();
  for (let i = 0; i < batches.length; i++) {
    const batch = batches[i] ?? [];
    const t0 = process.hrtime.bigint();
    recorder.record(batch);
    hotNs += process.hrtime.bigint() - t0;
    // A live gateway's event loop runs between polls; let the queued blocks be written as they would be.
    if (i % 2000 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await recorder.close();
  const recordMs = performance.now() - recordStarted;
  const stats = recorder.stats();
  if (stats.dropped > 0 || stats.written !== totalSamples) throw new Error(`recorder lost samples: ${JSON.stringify(stats)}`);
  console.log(`recording, hot path record():   ${((Number(hotNs) / totalSamples)).toFixed(1)} ns/sample (timer reads included)`);
  console.log(`recording, total incl. encode, deflate, write: ${((recordMs * 1e6) / totalSamples).toFixed(0)} ns/sample`);
  console.log(`recording, size on disk:        ${(stats.bytes / totalSamples).toFixed(2)} bytes/sample (${stats.bytes} bytes, ${stats.blocks} blocks, ${stats.files} file(s))`);

  // --- replay ------------------------------------------------------------------------------------------
  const endMs = startMs + SIM_MINUTES * MIN + 1;
  let bestEndToEnd = Infinity;
  let bestEngine = Infinity;
  let events = 0;
  let entries: RecordedEntry[][] = [];
  for (let round = 0; round < REPLAY_ROUNDS; round++) {
    gc();
    const started = performance.now();
    const reader = await RecordingReader.fromDirectory(dir);
    const replay = new RuleReplay({ site: config.site.id, rules: rules.rules, startMs, logger: silentLogger() });
    const kept: RecordedEntry[][] = [];
    for await (const batch of reader.batches()) {
      replay.feed(batch);
      kept.push(batch);
    }
    replay.finish(endMs);
    bestEndToEnd = Math.min(bestEndToEnd, performance.now() - started);
    if (reader.damage.length > 0 || replay.entriesFed !== totalSamples) throw new Error('replay did not read every sample back');
    events = replay.events.length;
    entries = kept;
  }
  for (let round = 0; round < REPLAY_ROUNDS; round++) {
    gc();
    const started = performance.now();
    const replay = new RuleReplay({ site: config.site.id, rules: rules.rules, startMs, logger: silentLogger() });
    for (const batch of entries) replay.feed(batch);
    replay.finish(endMs);
    bestEngine = Math.min(bestEngine, performance.now() - started);
  }
  const endToEndRate = totalSamples / (bestEndToEnd / 1000);
  const engineRate = totalSamples / (bestEngine / 1000);
  const weekSamples = samplesPerVirtualSecond * WEEK_S;
  console.log(`replay, end to end (read, inflate, decode, rules): ${(endToEndRate / 1e6).toFixed(2)} M samples/s (best of ${REPLAY_ROUNDS}; ${events} alarm events)`);
  console.log(`replay, rules only (decoded entries in memory):    ${(engineRate / 1e6).toFixed(2)} M samples/s`);
  console.log(`a week of the demo building (${(weekSamples / 1e6).toFixed(0)} M samples): ${(weekSamples / endToEndRate).toFixed(1)} s end to end`);
  const ok = endToEndRate >= TARGET_SAMPLES_PER_S;
  console.log(`target ≥ ${TARGET_SAMPLES_PER_S.toLocaleString('en')} samples/s: ${ok ? 'met' : 'MISSED'}`);
  process.exitCode = ok ? 0 : 1;
} finally {
  await rm(dir, { recursive: true, force: true });
}
