import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import type { InfluxV1SinkConfig, InfluxV2SinkConfig, SpoolConfig } from '../../../src/config/schema.js';
import type { Sample } from '../../../src/points/sample.js';
import { TelemetryWriter } from '../../../src/telemetry/telemetry-writer.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { tempDir } from './spool-fixtures.js';

/** A logger whose records land in an array. */
function capturingLogger() {
  const records: Array<{ level: number; msg: string; [key: string]: unknown }> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      records.push(JSON.parse(chunk.toString('utf8')) as (typeof records)[number]);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), records };
}

/** Lets pino's stream callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

const SINK: InfluxV1SinkConfig = {
  id: 'local',
  type: 'influxdb-v1',
  url: 'http://user:secret@127.0.0.1:9',
  database: 'gw',
  batchSize: 100,
  flushIntervalMs: 1000,
  maxBufferLines: 1000,
  timeoutMs: 1000,
  gzip: true,
};

const poll = (device: string, ts: number): Sample[] => [
  { point: `${device}.flow`, value: 1.5, ts, quality: 'good' },
  { point: `${device}.running`, value: true, ts, quality: 'good' },
];

describe('TelemetryWriter', () => {
  it('without sinks: write is a no-op, status is empty, and the log says so once', async () => {
    const { logger, records } = capturingLogger();
    const writer = new TelemetryWriter({ site: 'hq', sinks: [], clock: new VirtualClock(), logger });
    writer.registerDevice('p1', 'pump');
    writer.start();
    writer.start();
    writer.write(poll('p1', 0));
    await writer.stop();
    await settle();
    expect(writer.status()).toEqual([]);
    expect(records.filter((r) => r.msg.includes('no telemetry sinks'))).toHaveLength(1);
  });

  it('encodes once per poll and queues the line on every sink', () => {
    const { logger } = capturingLogger();
    const writer = new TelemetryWriter({ site: 'hq', sinks: [SINK, { ...SINK, id: 'second' }], clock: new VirtualClock(), logger });
    writer.registerDevice('p1', 'pump');
    writer.write(poll('p1', 1000));
    writer.write(poll('p1', 2000));
    expect(writer.status().map((s) => [s.id, s.linesBuffered])).toEqual([
      ['local', 2],
      ['second', 2],
    ]);
  });

  it('reports per-sink status without the credentials in the URL', () => {
    const { logger } = capturingLogger();
    const writer = new TelemetryWriter({ site: 'hq', sinks: [SINK], clock: new VirtualClock(), logger });
    expect(writer.status()).toEqual([
      {
        id: 'local',
        type: 'influxdb-v1',
        url: 'http://127.0.0.1:9',
        connected: true,
        lastOkAt: null,
        lastWriteAt: null,
        linesWritten: 0,
        linesDropped: 0,
        linesRejected: 0,
        linesBuffered: 0,
        backlogLines: 0,
        writeErrors: 0,
        consecutiveFailures: 0,
        lastError: null,
        nextRetryAt: null,
        spoolError: null,
        spoolBytes: null,
        spoolLines: null,
        spoolDroppedLines: null,
        linesSpooled: null,
      },
    ]);
  });

  it('skips samples of an unregistered device and warns once per device', async () => {
    const { logger, records } = capturingLogger();
    const writer = new TelemetryWriter({ site: 'hq', sinks: [SINK], clock: new VirtualClock(), logger });
    writer.write(poll('ghost', 0));
    writer.write(poll('ghost', 1000));
    await settle();
    expect(writer.status()[0]?.linesBuffered).toBe(0);
    expect(records.filter((r) => r.device === 'ghost')).toHaveLength(1);
  });

  it('never throws from write, whatever it is given', () => {
    const { logger } = capturingLogger();
    const writer = new TelemetryWriter({ site: 'hq', sinks: [SINK], clock: new VirtualClock(), logger });
    writer.registerDevice('p1', 'pump');
    const broken = [null, { point: 42 }, { point: 'p1.flow', value: 1, ts: 'soon', quality: 'good' }] as unknown as Sample[];
    expect(() => writer.write(broken)).not.toThrow();
  });

  it('counts lines it could not deliver before stop as dropped, and ignores writes after stop', async () => {
    const { logger } = capturingLogger();
    const writer = new TelemetryWriter({ site: 'hq', sinks: [SINK], clock: new VirtualClock(), logger });
    writer.registerDevice('p1', 'pump');
    writer.write(poll('p1', 0)); // never started: nothing is sent
    await writer.stop();
    writer.write(poll('p1', 1000));
    expect(writer.status()[0]).toMatchObject({ linesBuffered: 0, linesDropped: 1, linesWritten: 0 });
  });

  it('with `spool` in the config, v1 and v2 sinks alike keep unsent lines on disk for the next start', async () => {
    const { dir, remove } = await tempDir();
    try {
      const spool: SpoolConfig = { dir, maxBytes: 1024 ** 3, maxAgeMs: 86_400_000, fsync: 'interval', fsyncIntervalMs: 1000, replayLinesPerSecond: 50_000 };
      const v2: InfluxV2SinkConfig = { ...SINK, id: 'v2', type: 'influxdb-v2', org: '', bucket: 'b', spool };
      const sinks = [{ ...SINK, spool }, v2];
      const { logger } = capturingLogger();
      const first = new TelemetryWriter({ site: 'hq', sinks, clock: new VirtualClock(), logger });
      first.registerDevice('p1', 'pump');
      for (let ts = 0; ts < 5000; ts += 1000) first.write(poll('p1', ts));
      await first.stop(); // never started: nothing sent, everything kept
      expect(first.status().map((s) => [s.id, s.linesDropped, s.linesBuffered, s.spoolLines])).toEqual([
        ['local', 0, 5, 5],
        ['v2', 0, 5, 5],
      ]);

      const second = new TelemetryWriter({ site: 'hq', sinks, clock: new VirtualClock(), logger });
      await vi.waitFor(() => expect(second.status().map((s) => s.backlogLines)).toEqual([5, 5]));
      await second.stop();
    } finally {
      await remove();
    }
  });
});
