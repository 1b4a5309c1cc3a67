import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backtest, type BacktestReport } from '../../src/backtest/backtest.js';
import { runBacktestCommand } from '../../src/backtest/cli-command.js';
import { InfluxSource, influxTargetFromConfig } from '../../src/backtest/influx-source.js';
import { ruleSetFromConfig } from '../../src/backtest/rule-sets.js';
import { parseConfig } from '../../src/config/loader.js';
import { silentLogger } from '../../src/log.js';
import type { DeviceEvent } from '../../src/points/device-event.js';
import type { Sample } from '../../src/points/sample.js';
import type { RecordedEntry } from '../../src/recording/format.js';
import { TelemetryWriter } from '../../src/telemetry/telemetry-writer.js';
import { SystemClock } from '../../src/time/clock.js';
import { startInfluxDb1, type InfluxDb1Server } from '../support/tsdb-servers.js';

/**
 * The back-test's InfluxDB source against a real InfluxDB 1.x with authentication on: history written by
 * the gateway's own telemetry writer (so the layout is the one in production), read back with InfluxQL
 * over /query, replayed through the rules.
 */

const ADMIN = { username: 'bt-admin', password: 'bt pass' };
const DB = 'facility';
const T0 = Date.UTC(2026, 2, 4, 0, 0, 0);
const S = 1000;

let influx: InfluxDb1Server;
let dir: string;

function siteYaml(url: string, extra = ''): string {
  return `site:
  id: plant-a
  name: Plant A
links:
  - id: plant
    type: modbus-tcp
    host: 127.0.0.1
  - id: doors
    type: mqtt
sinks:
  - id: tsdb
    type: influxdb-v1
    url: ${url}
    database: ${DB}
    username: ${ADMIN.username}
    password: ${ADMIN.password}
devices:
  - id: pump-1
    type: pump
    profile: pump-vfd-v1
    link: plant
    unitId: 1
${extra}`;
}

/** motor_temperature hot from 100 s to 400 s; a bad reading at 50 s; fault code text; running flag. */
function history(): Sample[] {
  const out: Sample[] = [];
  for (let t = 0; t < 600; t++) {
    const ts = T0 + t * S;
    if (t === 50) {
      out.push({ point: 'pump-1.motor_temperature', value: null, ts, quality: 'bad', error: 'timeout' });
      continue;
    }
    out.push({ point: 'pump-1.motor_temperature', value: t >= 100 && t < 400 ? 120 : 80.5, ts, quality: 'good' });
    out.push({ point: 'pump-1.running', value: t % 100 < 50, ts, quality: 'good' });
    if (t % 60 === 0) out.push({ point: 'pump-1.discharge_pressure', value: 4.25, ts, quality: 'uncertain' });
  }
  return out;
}

const samples = history();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fgw-bt-influx-'));
  influx = await startInfluxDb1({ admin: ADMIN });
  await influx.createDatabase(DB);
  const config = parseConfig(siteYaml(influx.url), { env: {} });
  const sink = config.sinks[0];
  if (sink === undefined) throw new Error('no sink');
  const writer = new TelemetryWriter({ site: 'plant-a', sinks: [{ ...sink, flushIntervalMs: 100 }], clock: new SystemClock(), logger: silentLogger() });
  writer.registerDevice('pump-1', 'pump');
  writer.start();
  writer.write(samples);
  const event: DeviceEvent = { device: 'pump-1', event: 'maintenance_visit', ts: T0 + 30 * S, attributes: { technician: 'Li' } };
  writer.writeDeviceEvents([event]);
  // Stopping the writer sends what it holds.
  await writer.stop();
  const [count] = await influx.rows(`SELECT count("motor_temperature") FROM "pump"`, DB);
  if (count?.count !== 599) throw new Error(`expected 599 temperature readings in InfluxDB, found ${JSON.stringify(count)}`);
}, 120_000);

afterAll(async () => {
  await influx?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('back-test from InfluxDB 1.x', () => {
  it('reads back the samples the telemetry writer wrote: values, qualities, order, across chunks', async () => {
    const config = parseConfig(siteYaml(influx.url), { env: {} });
    const source = new InfluxSource({ target: influxTargetFromConfig(config), config, chunkMs: 120 * S });
    const got: RecordedEntry[] = [];
    for await (const batch of source.read(T0, T0 + 600 * S)) got.push(...batch);
    const gotSamples = got.filter((e): e is Sample => !('kind' in e));
    // The bad reading has no value and keeps its quality; errors are not stored in InfluxDB.
    const expected = samples.map(({ error: _error, ...s }) => s);
    const byKey = (s: Sample): string => `${s.ts}|${s.point}`;
    expect(new Map(gotSamples.map((s) => [byKey(s), s]))).toEqual(new Map(expected.map((s) => [byKey(s), s])));
    // In time order.
    expect(gotSamples.every((s, i) => i === 0 || (gotSamples[i - 1]?.ts ?? 0) <= s.ts)).toBe(true);
    expect(got.filter((e) => 'kind' in e && e.kind === 'event')).toEqual([
      { kind: 'event', event: { device: 'pump-1', event: 'maintenance_visit', ts: T0 + 30 * S, attributes: { technician: 'Li' } } },
    ]);
    expect(source.warnings().join('\n')).toMatch(/no device status changes/);
  });

  it('compares the current rules with a candidate over InfluxDB history', async () => {
    const config = parseConfig(siteYaml(influx.url), { env: {} });
    const candidateConfig = parseConfig(
      siteYaml(influx.url, `    thresholds:
      - { id: motor_temperature_high, point: motor_temperature, high: 110, deadband: 5, onDelayMs: 60000, priority: high, message: Motor winding temperature high }
`),
      { env: {} },
    );
    const report = await backtest({
      current: ruleSetFromConfig('site.yaml', config),
      candidate: ruleSetFromConfig('candidate.yaml', candidateConfig),
      source: new InfluxSource({ target: influxTargetFromConfig(config), config }),
      from: T0,
      to: T0 + 600 * S,
    });
    const alarm = report.alarms.find((a) => a.alarmId === 'pump-1:motor_temperature_high');
    expect(alarm?.current.episodes).toEqual([{ raisedAt: T0 + 110 * S, clearedAt: T0 + 400 * S }]);
    expect(alarm?.candidate.episodes).toEqual([{ raisedAt: T0 + 160 * S, clearedAt: T0 + 400 * S }]);
    expect(alarm?.episodes[0]?.raiseShiftMs).toBe(50 * S);
  });

  it('runs from the command line: a report, exit 2 on an empty window, exit 1 when InfluxDB refuses the credentials', async () => {
    const site = join(dir, 'site.yaml');
    await writeFile(site, siteYaml(influx.url));
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
    const base = { rules: site, config: site, source: 'influx' as const, format: 'json' as const, warmupMs: 0, repairMs: 3_600_000 };
    expect(await runBacktestCommand({ ...base, from: T0, to: T0 + 600 * S }, io)).toBe(0);
    expect((JSON.parse(out.join('')) as BacktestReport).current.raises).toBe(1);
    expect(await runBacktestCommand({ ...base, from: T0 - 86_400_000, to: T0 - 3_600_000 }, io)).toBe(2);
    expect(err.join('')).toMatch(/no samples between .* in InfluxDB/);
    const wrong = join(dir, 'wrong.yaml');
    await writeFile(wrong, siteYaml(influx.url).replace(`password: ${ADMIN.password}`, 'password: nope'));
    err.length = 0;
    expect(await runBacktestCommand({ ...base, rules: wrong, config: wrong, from: T0, to: T0 + 600 * S }, io)).toBe(1);
    expect(err.join('')).toMatch(/InfluxDB answered 401/);
  });
});
