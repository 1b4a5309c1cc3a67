import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmEvent } from '../../src/alarms/events.js';
import { backtest } from '../../src/backtest/backtest.js';
import { RecordingSource } from '../../src/backtest/recording-source.js';
import { RuleReplay } from '../../src/backtest/replay.js';
import { ruleSetFromConfig, type RuleSetUnderTest } from '../../src/backtest/rule-sets.js';
import type { DeviceStatusEvent } from '../../src/drivers/driver.js';
import { silentLogger } from '../../src/log.js';
import { pointId, type Sample } from '../../src/points/sample.js';
import { findProfile } from '../../src/profiles/index.js';
import { listRecordingFiles } from '../../src/recording/recording-files.js';
import { RecordingReader } from '../../src/recording/recording-reader.js';
import { SampleRecorder } from '../../src/recording/sample-recorder.js';
import { RuleEngine } from '../../src/rules/engine.js';
import { VirtualClock } from '../../src/time/clock.js';
import { startSimulator, type SimulatorHandle } from '../../simulator/simulator.js';

/**
 * Live/replay equivalence: the demo building's simulator runs in-process on a VirtualClock with scripted
 * faults; a gateway-like loop polls every Modbus device each second (the clock is moved to the poll time
 * first, firing the simulator's steps and the rules' delays due by then), feeds the batch to a RuleEngine
 * and records the same batch (and the status changes of a device that stops answering). The recording is
 * then replayed through the back-test engine with the same rules: the alarm events must be identical,
 * raise and clear, with the same ids, times, values and order.
 */

const POLL_MS = 1000;
const RUN_MS = 40 * 60 * 1000;
const MIN = 60_000;
/** Missed polls before the loop reports a device offline (as the drivers do after their retries). */
const MISSES_OFFLINE = 3;

interface Script {
  atMs: number;
  action: 'start' | 'clear';
  scenario: string;
  device?: string;
}

const SCRIPT: Script[] = [
  { atMs: 2 * MIN, action: 'start', scenario: 'pump-overheat' },
  { atMs: 10 * MIN, action: 'clear', scenario: 'pump-overheat' },
  { atMs: 12 * MIN, action: 'start', scenario: 'trapped-passenger' },
  { atMs: 15 * MIN, action: 'clear', scenario: 'trapped-passenger' },
  { atMs: 18 * MIN, action: 'start', scenario: 'no-answer' },
  { atMs: 20 * MIN + 500, action: 'clear', scenario: 'no-answer' },
  { atMs: 25 * MIN, action: 'start', scenario: 'low-discharge-pressure' },
  { atMs: 35 * MIN, action: 'clear', scenario: 'low-discharge-pressure' },
];

let dir: string;
let simulator: SimulatorHandle;
let rules: RuleSetUnderTest;
let liveEvents: AlarmEvent[];
let startMs: number;
let recorded: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fgw-equiv-'));
  const clock = new VirtualClock(Date.UTC(2026, 2, 3, 6, 0, 0));
  startMs = clock.now();
  simulator = await startSimulator({ clock, controlPort: null, seed: 7 });
  const config = simulator.siteConfig();
  rules = ruleSetFromConfig('demo', config);
  liveEvents = [];
  const engine = new RuleEngine({ site: config.site.id, rules: rules.rules, clock, logger: silentLogger(), onAlarm: (e) => liveEvents.push(e) });
  // Small blocks and files, so the replay crosses block and file boundaries many times.
  const recorder = new SampleRecorder({
    settings: { dir, maxFileBytes: 64 * 1024, maxFileAgeMinutes: 10, keepBytes: 1 << 30, blockRecords: 512, flushIntervalMs: 5000, compression: 'deflate', fsync: 'never' },
    clock,
    logger: silentLogger(),
  });
  const modbusLinks = new Set(config.links.filter((l) => l.type === 'modbus-tcp').map((l) => l.id));
  const devices = config.devices.filter((d) => d.enabled && modbusLinks.has(d.link));
  const pointsOf = new Map(devices.map((d) => [d.id, findProfile(d.profile)?.points.map((p) => p.name) ?? []]));
  const misses = new Map<string, number>();
  const script = [...SCRIPT];

  for (let t = startMs + POLL_MS; t <= startMs + RUN_MS; t += POLL_MS) {
    clock.advanceSync(t - clock.now());
    while (script[0] !== undefined && script[0].atMs <= t - startMs) {
      const step = script.shift();
      if (step?.action === 'start') simulator.startScenario(step.scenario, step.device);
      else if (step !== undefined) simulator.clearScenario(step.scenario, step.device);
    }
    const snapshots = new Map(simulator.devices().map((s) => [s.id, s]));
    for (const device of devices) {
      const snap = snapshots.get(device.id);
      if (snap === undefined) continue;
      const answering = snap.comm === 'normal';
      const missed = answering ? 0 : (misses.get(device.id) ?? 0) + 1;
      const wasOffline = (misses.get(device.id) ?? 0) >= MISSES_OFFLINE;
      misses.set(device.id, missed);
      if (answering && wasOffline) feedStatus({ device: device.id, online: true, ts: t });
      if (!answering) {
        if (missed === MISSES_OFFLINE) feedStatus({ device: device.id, online: false, ts: t, error: 'timeout after 1000 ms' });
        continue;
      }
      const batch: Sample[] = [];
      for (const name of pointsOf.get(device.id) ?? []) {
        const value = snap.values[name];
        if (value !== undefined) batch.push({ point: pointId(device.id, name), value, ts: t, quality: 'good' });
      }
      engine.onSamples(batch);
      recorder.record(batch);
    }
    // Let the recorder's writes run now and then, as the event loop does between polls of a live gateway.
    if ((t - startMs) % MIN === 0) await recorder.flush();
  }
  function feedStatus(status: DeviceStatusEvent): void {
    engine.onDeviceStatus(status);
    recorder.recordStatus(status);
  }
  engine.stop();
  await recorder.close();
  recorded = recorder.stats().written;
  expect(recorder.stats()).toMatchObject({ dropped: 0, writeErrors: 0, rejected: 0, recorded });
}, 120_000);

afterAll(async () => {
  await simulator?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('live/replay equivalence on the demo building', () => {
  it('raised the scripted faults live, including a communication loss', () => {
    const raised = new Set(liveEvents.filter((e) => e.type === 'raise').map((e) => e.kind));
    expect(raised).toContain('comm-loss');
    expect(liveEvents.filter((e) => e.type === 'raise').length).toBeGreaterThanOrEqual(4);
    expect(liveEvents.some((e) => e.type === 'clear')).toBe(true);
  });

  it('replays the recording into exactly the alarm events of the live run', async () => {
    expect((await listRecordingFiles(dir)).length).toBeGreaterThan(3);
    const replay = new RuleReplay({ site: rules.config.site.id, rules: rules.rules, startMs, logger: silentLogger() });
    const reader = await RecordingReader.fromDirectory(dir);
    for await (const batch of reader.batches()) replay.feed(batch);
    replay.finish(startMs + RUN_MS + 1);
    expect(reader.damage).toEqual([]);
    expect(replay.entriesFed).toBe(recorded);
    expect(replay.events).toEqual(liveEvents);
  });

  it('reports the same alarms through backtest() when candidate and current are the same rules', async () => {
    const report = await backtest({ current: rules, candidate: rules, source: new RecordingSource(dir), from: startMs, to: startMs + RUN_MS + 1 });
    expect(report.current.events).toEqual(liveEvents);
    expect(report.candidate.events).toEqual(liveEvents);
    expect(report.alarms.length).toBeGreaterThan(0);
    expect(report.alarms.every((a) => !a.changed)).toBe(true);
  });
});
