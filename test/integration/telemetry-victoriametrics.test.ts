import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InfluxV2SinkConfig } from '../../src/config/schema.js';
import { silentLogger } from '../../src/log.js';
import type { Sample } from '../../src/points/sample.js';
import { TelemetryWriter } from '../../src/telemetry/telemetry-writer.js';
import { SystemClock } from '../../src/time/clock.js';
import { startVictoriaMetrics, waitUntil, type ExportedSeries, type VictoriaMetricsServer } from '../support/tsdb-servers.js';

/**
 * The InfluxDB v2 sink against VictoriaMetrics, which accepts `/api/v2/write` and stores each field as a metric
 * `<measurement>_<field>` labelled with the tags. VictoriaMetrics keeps numbers only: booleans become 1/0 and
 * string fields (enum labels, `_quality`) are not checked here — the InfluxDB 1.x suite reads those back.
 */

let vm: VictoriaMetricsServer;

beforeAll(async () => {
  vm = await startVictoriaMetrics();
});

afterAll(async () => {
  await vm?.stop();
});

function sinkConfig(overrides: Partial<InfluxV2SinkConfig> = {}): InfluxV2SinkConfig {
  return {
    id: 'vm',
    type: 'influxdb-v2',
    url: vm.url,
    org: '',
    bucket: 'facility',
    token: 'ignored-by-victoriametrics',
    batchSize: 5000,
    flushIntervalMs: 100,
    maxBufferLines: 10_000,
    timeoutMs: 5000,
    gzip: true,
    ...overrides,
  };
}

function newWriter(config: InfluxV2SinkConfig): TelemetryWriter {
  const writer = new TelemetryWriter({ site: 'hq', sinks: [config], clock: new SystemClock(), logger: silentLogger() });
  writer.registerDevice('p1', 'pump');
  writer.registerDevice('e1', 'elevator');
  return writer;
}

function seriesNamed(all: ExportedSeries[], name: string, device: string): ExportedSeries | undefined {
  return all.find((s) => s.metric.__name__ === name && s.metric.device === device);
}

/** Whole seconds a minute ago: in the past (export ends at now) and well inside retention. */
function baseTime(): number {
  return Math.floor(Date.now() / 1000) * 1000 - 60_000;
}

describe('telemetry to VictoriaMetrics through the InfluxDB v2 write API', () => {
  it('stores the samples of two devices with their values, tags and explicit timestamps', async () => {
    const writer = newWriter(sinkConfig());
    writer.start();
    const t0 = baseTime();
    const pumpPolls: Sample[][] = [
      [
        { point: 'p1.flow', value: 3, ts: t0, quality: 'good' },
        { point: 'p1.running', value: true, ts: t0, quality: 'good' },
        { point: 'p1.pressure', value: null, ts: t0, quality: 'bad' },
      ],
      [
        { point: 'p1.flow', value: 3.5, ts: t0 + 1000, quality: 'uncertain' },
        { point: 'p1.running', value: false, ts: t0 + 1000, quality: 'good' },
      ],
    ];
    const elevatorPoll: Sample[] = [
      { point: 'e1.floor', value: 4, ts: t0 + 500, quality: 'good' },
      { point: 'e1.door_open', value: true, ts: t0 + 500, quality: 'good' },
      { point: 'e1.load', value: Number.NaN, ts: t0 + 500, quality: 'good' },
    ];
    for (const poll of pumpPolls) writer.write(poll);
    writer.write(elevatorPoll);

    await waitUntil(() => writer.status()[0]?.linesWritten === 3, 'three lines are written');
    await writer.stop();
    expect(writer.status()[0]).toMatchObject({ connected: true, linesDropped: 0, linesRejected: 0, writeErrors: 0, linesBuffered: 0 });

    await vm.forceFlush();
    const all = await vm.exportSeries('{__name__=~"(pump|elevator)_.*"}', t0 - 1000, t0 + 5000);

    expect(seriesNamed(all, 'pump_flow', 'p1')).toEqual({
      metric: { __name__: 'pump_flow', device: 'p1', site: 'hq' },
      values: [3, 3.5],
      timestamps: [t0, t0 + 1000],
    });
    expect(seriesNamed(all, 'pump_running', 'p1')).toMatchObject({ values: [1, 0], timestamps: [t0, t0 + 1000] });
    expect(seriesNamed(all, 'elevator_floor', 'e1')).toEqual({
      metric: { __name__: 'elevator_floor', device: 'e1', site: 'hq' },
      values: [4],
      timestamps: [t0 + 500],
    });
    expect(seriesNamed(all, 'elevator_door_open', 'e1')).toMatchObject({ values: [1], timestamps: [t0 + 500] });
    // A bad sample without a value writes no value field, and NaN is never written.
    expect(seriesNamed(all, 'pump_pressure', 'p1')).toBeUndefined();
    expect(seriesNamed(all, 'elevator_load', 'e1')).toBeUndefined();
  });

  it('delivers what is still buffered when stopped before the flush interval', async () => {
    const writer = newWriter(sinkConfig({ id: 'vm-stop', flushIntervalMs: 60_000 }));
    writer.start();
    const t0 = baseTime() - 10_000;
    const polls = 300; // enough lines for a body past the gzip threshold
    for (let i = 0; i < polls; i++) writer.write([{ point: 'e1.car_speed', value: i / 10, ts: t0 + i * 10, quality: 'good' }]);
    expect(writer.status()[0]).toMatchObject({ linesBuffered: polls, linesWritten: 0 });

    await writer.stop();
    expect(writer.status()[0]).toMatchObject({ linesWritten: polls, linesBuffered: 0, linesDropped: 0 });

    await vm.forceFlush();
    const [speed] = await vm.exportSeries('elevator_car_speed{device="e1"}', t0 - 1000, t0 + polls * 10);
    expect(speed?.values).toHaveLength(polls);
    expect(speed?.timestamps[0]).toBe(t0);
    expect(speed?.values[polls - 1]).toBeCloseTo((polls - 1) / 10);
  });
});
