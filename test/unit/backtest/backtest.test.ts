import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/loader.js';
import { backtest, BacktestNoDataError, type BacktestReport } from '../../../src/backtest/backtest.js';
import { runBacktestCommand, parseDuration, parseTime } from '../../../src/backtest/cli-command.js';
import type { HistorySource } from '../../../src/backtest/history-source.js';
import { formatReportTable } from '../../../src/backtest/report-format.js';
import { BacktestInputError, ruleSetFromConfig } from '../../../src/backtest/rule-sets.js';
import { silentLogger } from '../../../src/log.js';
import type { Sample } from '../../../src/points/sample.js';
import type { RecordedEntry } from '../../../src/recording/format.js';
import { SampleRecorder } from '../../../src/recording/sample-recorder.js';
import { VirtualClock } from '../../../src/time/clock.js';

const T0 = Date.UTC(2026, 2, 2, 0, 0, 0);
const S = 1000;
const MIN = 60 * S;

function siteYaml(thresholds = '', extra = ''): string {
  return `site:
  id: plant-a
  name: Plant A
links:
  - id: plant
    type: modbus-tcp
    host: 127.0.0.1
workOrders:
  templates:
    - id: pump-overheat
      match:
        rules: [motor_temperature_high]
      resolutionMinutes: 240
devices:
  - id: pump-1
    type: pump
    profile: pump-vfd-v1
    link: plant
    unitId: 1
${thresholds}${extra}`;
}

const current = ruleSetFromConfig('current.yaml', parseConfig(siteYaml(), { env: {} }));

/** motor_temperature: 1 s samples; `profile(t)` gives the value at t seconds. */
function temperatureStream(seconds: number, profile: (t: number) => number, start = T0): Sample[] {
  const out: Sample[] = [];
  for (let t = 0; t < seconds; t++) out.push({ point: 'pump-1.motor_temperature', value: profile(t), ts: start + t * S, quality: 'good' });
  return out;
}

function arraySource(entries: RecordedEntry[]): HistorySource {
  return {
    description: 'test stream',
    async *read(from, to) {
      yield entries.filter((e) => {
        const ts = 'kind' in e ? (e.kind === 'status' ? e.status.ts : e.event.ts) : e.ts;
        return ts >= from && ts < to;
      });
    },
    warnings: () => [],
  };
}

/** Hot from 60 s to 75 s (15 s), from 200 s to 500 s, and a 5 s spike at 700 s. */
function overheats(t: number): number {
  if ((t >= 60 && t < 75) || (t >= 200 && t < 500) || (t >= 700 && t < 705)) return 120;
  return 80;
}

describe('backtest', () => {
  it('compares raises, active time, raise shifts and work orders of a longer on-delay', async () => {
    const candidate = ruleSetFromConfig(
      'candidate.yaml',
      parseConfig(
        siteYaml(`    thresholds:
      - { id: motor_temperature_high, point: motor_temperature, high: 110, deadband: 5, onDelayMs: 20000, priority: high, message: Motor winding temperature high }
`),
        { env: {} },
      ),
    );
    const report = await backtest({ current, candidate, source: arraySource(temperatureStream(1000, overheats)), from: T0, to: T0 + 1000 * S, repairMs: 10 * MIN });
    const alarm = report.alarms.find((a) => a.alarmId === 'pump-1:motor_temperature_high');
    expect(alarm).toBeDefined();
    // Current (10 s on-delay): raised at 70 s and 210 s; the 5 s spike never lasts 10 s.
    expect(alarm?.current.episodes).toEqual([
      { raisedAt: T0 + 70 * S, clearedAt: T0 + 75 * S },
      { raisedAt: T0 + 210 * S, clearedAt: T0 + 500 * S },
    ]);
    expect(alarm?.current.raises).toBe(2);
    expect(alarm?.current.activeMs).toBe(5 * S + 290 * S);
    // Candidate (20 s): only the long one, 10 s later.
    expect(alarm?.candidate.episodes).toEqual([{ raisedAt: T0 + 220 * S, clearedAt: T0 + 500 * S }]);
    expect(alarm?.episodes).toEqual([
      { current: { raisedAt: T0 + 70 * S, clearedAt: T0 + 75 * S }, candidate: null, raiseShiftMs: null },
      { current: { raisedAt: T0 + 210 * S, clearedAt: T0 + 500 * S }, candidate: { raisedAt: T0 + 220 * S, clearedAt: T0 + 500 * S }, raiseShiftMs: 10 * S },
    ]);
    expect(alarm?.changed).toBe(true);
    // Work orders: one per asset and fault kind while unfinished; the second raise (135 s after the first
    // cleared, within the 10 min repair time) is an occurrence of the first order.
    expect(alarm?.current).toMatchObject({ workOrdersOpened: 1, workOrderOccurrences: 1 });
    expect(report.current.workOrders).toEqual([
      { asset: 'pump-1', faultKey: 'motor_temperature_high', template: 'pump-overheat', alarmId: 'pump-1:motor_temperature_high', openedAt: T0 + 70 * S, occurrences: [T0 + 210 * S], completedAt: T0 + 500 * S + 10 * MIN > T0 + 1000 * S ? null : T0 + 500 * S + 10 * MIN },
    ]);
    expect(alarm?.candidate).toMatchObject({ workOrdersOpened: 1, workOrderOccurrences: 0 });
    expect(report.entries.samples).toBe(1000);
    expect(report.current.raises).toBe(2);
    expect(report.candidate.raises).toBe(1);
  });

  it('opens a new order once the previous one is taken as repaired', async () => {
    const candidate = ruleSetFromConfig('same.yaml', parseConfig(siteYaml(), { env: {} }));
    const report = await backtest({ current, candidate, source: arraySource(temperatureStream(1000, overheats)), from: T0, to: T0 + 1000 * S, repairMs: 60 * S });
    expect(report.current.workOrders.map((o) => [o.openedAt, o.occurrences, o.completedAt])).toEqual([
      [T0 + 70 * S, [], T0 + 135 * S],
      [T0 + 210 * S, [], T0 + 560 * S],
    ]);
    expect(report.alarms.every((a) => !a.changed)).toBe(true);
  });

  it('counts chattering episodes (3 raises within a minute) and shows a deadband that stops them', async () => {
    // Crosses 110 every 10 s, dipping to 104 between: chatters with a deadband of 5 (clears below 105), not with 10.
    const wavy = (t: number): number => (Math.floor(t / 10) % 2 === 0 ? 111 : 104);
    const noDelay = (deadband: number): string => `    thresholds:
      - { id: motor_temperature_high, point: motor_temperature, high: 110, deadband: ${deadband}, priority: high, message: Motor winding temperature high }
`;
    const chattering = ruleSetFromConfig('chatter.yaml', parseConfig(siteYaml(noDelay(5)), { env: {} }));
    const calm = ruleSetFromConfig('calm.yaml', parseConfig(siteYaml(noDelay(10)), { env: {} }));
    const report = await backtest({ current: chattering, candidate: calm, source: arraySource(temperatureStream(300, wavy)), from: T0, to: T0 + 300 * S });
    const alarm = report.alarms[0];
    expect(alarm?.current.raises).toBe(15);
    expect(alarm?.current.chatteringEpisodes).toBe(1);
    expect(alarm?.candidate.raises).toBe(1);
    expect(alarm?.candidate.chatteringEpisodes).toBe(0);
    expect(alarm?.candidate.episodes).toEqual([{ raisedAt: T0, clearedAt: null }]);
    expect(alarm?.candidate.activeMs).toBe(300 * S);
  });

  it('marks alarms a candidate disables and counts a warm-up without counting its raises', async () => {
    const candidate = ruleSetFromConfig('off.yaml', parseConfig(siteYaml('    disableThresholds: [motor_temperature_high]\n'), { env: {} }));
    const report = await backtest({
      current,
      candidate,
      source: arraySource(temperatureStream(1000, overheats)),
      from: T0 + 300 * S,
      to: T0 + 1000 * S,
      warmupMs: 300 * S,
    });
    expect(report.definitions.removed).toEqual(['pump-1:motor_temperature_high']);
    const alarm = report.alarms[0];
    expect(alarm).toMatchObject({ alarmId: 'pump-1:motor_temperature_high', inCurrent: true, inCandidate: false });
    // Raised at 210 s in the warm-up: active from 300 s (the window) to 500 s, no raise counted.
    expect(alarm?.current.raises).toBe(0);
    expect(alarm?.current.activeMs).toBe(200 * S);
    expect(report.entries).toMatchObject({ samples: 700, warmup: 300 });
  });

  it('says so when the window holds no samples', async () => {
    const run = backtest({ current, candidate: current, source: arraySource(temperatureStream(10, overheats)), from: T0 + 3_600_000, to: T0 + 7_200_000 });
    await expect(run).rejects.toBeInstanceOf(BacktestNoDataError);
    await expect(run).rejects.toThrow(/no samples between 2026-03-02T01:00:00.000Z and 2026-03-02T02:00:00.000Z in test stream/);
  });

  it('refuses a candidate of another site and an empty window', async () => {
    const other = ruleSetFromConfig('other.yaml', parseConfig(siteYaml().replace('id: plant-a', 'id: plant-b'), { env: {} }));
    await expect(backtest({ current, candidate: other, source: arraySource([]), from: T0, to: T0 + 1 })).rejects.toThrow(/site "plant-b"/);
    await expect(backtest({ current, candidate: current, source: arraySource([]), from: T0, to: T0 })).rejects.toBeInstanceOf(BacktestInputError);
  });

  it('prints an aligned table naming the changed alarm, its raise shift and its episodes', async () => {
    const candidate = ruleSetFromConfig(
      'candidate.yaml',
      parseConfig(siteYaml(`    thresholds:
      - { id: motor_temperature_high, point: motor_temperature, high: 110, deadband: 5, onDelayMs: 20000, priority: high, message: Motor winding temperature high }
`), { env: {} }),
    );
    const report: BacktestReport = await backtest({ current, candidate, source: arraySource(temperatureStream(1000, overheats)), from: T0, to: T0 + 1000 * S });
    const text = formatReportTable(report);
    const lines = text.split('\n');
    const header = lines.find((l) => l.startsWith('ALARM'));
    const row = lines.find((l) => l.startsWith('* pump-1:motor_temperature_high'));
    expect(header).toBeDefined();
    expect(row).toBeDefined();
    // Columns line up: RAISES in the header sits above the row's raise cell.
    expect(row?.indexOf('2 → 1')).toBe(header?.indexOf('RAISES'));
    expect(row).toContain('+10 s, 1 gone');
    expect(text).toContain('only current:   raised 2026-03-02T00:01:10Z, cleared 2026-03-02T00:01:15Z');
    expect(text).toContain('raised 2026-03-02T00:03:30Z → 2026-03-02T00:03:40Z (+10 s)');
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});

describe('rules backtest command', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fgw-bt-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function record(samples: Sample[]): Promise<string> {
    const recDir = join(dir, 'rec');
    const rec = new SampleRecorder({
      settings: { dir: recDir, maxFileBytes: 1 << 20, maxFileAgeMinutes: 60, keepBytes: 1 << 30, blockRecords: 256, flushIntervalMs: 1000, compression: 'deflate', fsync: 'never' },
      clock: new VirtualClock(T0),
      logger: silentLogger(),
    });
    rec.record(samples);
    await rec.close();
    return recDir;
  }

  it('replays a recording and prints JSON; exit 2 for an empty window; exit 1 naming a bad config line', async () => {
    const recDir = await record(temperatureStream(1000, overheats));
    await writeFile(join(dir, 'site.yaml'), siteYaml());
    await writeFile(join(dir, 'candidate.yaml'), siteYaml('    disableThresholds: [motor_temperature_high]\n'));
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
    const base = { rules: join(dir, 'candidate.yaml'), config: join(dir, 'site.yaml'), source: 'recording' as const, recording: recDir, warmupMs: 0, repairMs: MIN };

    expect(await runBacktestCommand({ ...base, from: T0, to: T0 + 1000 * S, format: 'json' }, io)).toBe(0);
    const report = JSON.parse(out.join('')) as BacktestReport;
    expect(report.current.raises).toBe(2);
    expect(report.candidate.raises).toBe(0);
    expect(report.source).toBe(`recording ${recDir}`);

    expect(await runBacktestCommand({ ...base, from: T0 + 86_400_000, to: T0 + 2 * 86_400_000, format: 'table' }, io)).toBe(2);
    expect(err.join('')).toMatch(/^no samples between/);

    await writeFile(join(dir, 'bad.yaml'), siteYaml('    pollIntervalMs: fast\n'));
    err.length = 0;
    expect(await runBacktestCommand({ ...base, rules: join(dir, 'bad.yaml'), from: T0, to: T0 + 1000 * S, format: 'table' }, io)).toBe(1);
    expect(err.join('')).toMatch(/bad\.yaml.*(line )?\d+.*pollIntervalMs/s);
  });

  it('parses times and durations, refusing ambiguous ones', () => {
    expect(parseTime('2026-03-02T00:00:00Z')).toBe(T0);
    expect(parseTime('2026-03-02T08:00:00+08:00')).toBe(T0);
    expect(parseTime('2026-03-02')).toBe(T0);
    expect(parseTime(String(T0))).toBe(T0);
    expect(() => parseTime('2026-03-02T08:00:00')).toThrow(/with a zone/);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('4h')).toBe(4 * 3_600_000);
    expect(() => parseDuration('4 hours')).toThrow(/duration/);
  });
});
