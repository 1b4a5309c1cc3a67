/**
 * A gateway stand-in for the kill -9 drill (test/integration/telemetry-spool-drill.test.ts): a TelemetryWriter
 * with one InfluxDB v1 sink and a spool, run as its own process so that the test can SIGKILL it.
 *
 *   node --import tsx test/support/spool-writer-child.ts --url URL --db DB --spool DIR --count N --rate LINES_PER_S --base-ts MS
 *
 * Writes samples 0..count-1 of point `p1.flow` (value = sample number, timestamp = base-ts + sample number),
 * `rate` per second, and prints one JSON object per line on stdout:
 *   {"event":"progress","produced":P,"spooled":S}  every PROGRESS_INTERVAL_MS: S is linesSpooled, the lines
 *       accepted into the spool (with fsync 'always': written and forced to the disk), which are the first S
 *       samples because the spool takes lines in order;
 *   {"event":"drained","status":{…}}  once everything produced and everything found in the spool is written
 *       (only with --drain), after which the process stops the writer and exits.
 * stdout to a pipe is synchronous on Linux, so a progress line read by the test was printed before the kill.
 */
import { parseArgs } from 'node:util';
import type { InfluxV1SinkConfig } from '../../src/config/schema.js';
import { silentLogger } from '../../src/log.js';
import type { Sample } from '../../src/points/sample.js';
import { TelemetryWriter } from '../../src/telemetry/telemetry-writer.js';
import { SystemClock } from '../../src/time/clock.js';

const PROGRESS_INTERVAL_MS = 20;
const TICK_MS = 10;

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    db: { type: 'string' },
    spool: { type: 'string' },
    count: { type: 'string', default: '0' },
    rate: { type: 'string', default: '10000' },
    'base-ts': { type: 'string' },
    drain: { type: 'boolean', default: false },
  },
});

function required(name: string, value: string | undefined): string {
  if (value === undefined) throw new Error(`--${name} is required`);
  return value;
}

const count = Number(values.count);
const rate = Number(values.rate);
const baseTs = Number(required('base-ts', values['base-ts']));
const sink: InfluxV1SinkConfig = {
  id: 'drill',
  type: 'influxdb-v1',
  url: required('url', values.url),
  database: required('db', values.db),
  batchSize: 5000,
  flushIntervalMs: 100,
  maxBufferLines: 200_000,
  timeoutMs: 5000,
  gzip: true,
  spool: { dir: required('spool', values.spool), maxBytes: 1024 ** 3, maxAgeMs: 7 * 24 * 3600_000, fsync: 'always', fsyncIntervalMs: 1000, replayLinesPerSecond: 200_000 },
};

const writer = new TelemetryWriter({
  site: 'drill',
  sinks: [sink],
  clock: new SystemClock(),
  logger: silentLogger(),
  retry: { backoffInitialMs: 100, backoffMaxMs: 500, backoffJitter: 0 },
});
writer.registerDevice('p1', 'pump');
writer.start();

let produced = 0;
const status = () => {
  const [s] = writer.status();
  if (!s) throw new Error('the writer has no sink');
  return s;
};
const print = (event: object): void => {
  process.stdout.write(`${JSON.stringify(event)}\n`);
};

const producer = setInterval(() => {
  const upTo = Math.min(count, produced + Math.ceil((rate * TICK_MS) / 1000));
  const samples: Sample[] = [];
  for (; produced < upTo; produced++) samples.push({ point: 'p1.flow', value: produced, ts: baseTs + produced, quality: 'good' });
  writer.write(samples);
  if (produced >= count) clearInterval(producer);
}, TICK_MS);

const reporter = setInterval(() => {
  const s = status();
  print({ event: 'progress', produced, spooled: s.linesSpooled });
  if (values.drain && produced >= count && s.linesWritten > 0 && s.linesBuffered === 0) {
    clearInterval(reporter);
    void writer.stop().then(() => print({ event: 'drained', status: status() }));
  }
}, PROGRESS_INTERVAL_MS);
