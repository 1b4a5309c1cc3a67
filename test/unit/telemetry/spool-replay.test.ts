import { afterEach, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { silentLogger, type Logger } from '../../../src/log.js';
import { BatchingSink, type SendOutcome } from '../../../src/telemetry/batching-sink.js';
import { ReplayPacer } from '../../../src/telemetry/replay-pacer.js';
import { SpoolQueue } from '../../../src/telemetry/spool/spool-queue.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { DAY_MS, T0, tempDir } from './spool-fixtures.js';

const OK: SendOutcome = { kind: 'ok' };
const DOWN: SendOutcome = { kind: 'retry', reason: 'connect ECONNREFUSED 127.0.0.1:8086' };
const REPLAY_LINES_PER_S = 1000;
const BATCH = 100;
const FLUSH_MS = 500;

let cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

interface Call {
  atMs: number;
  lines: string[];
}

/** A BatchingSink over a SpoolQueue on virtual time; the server is a switch. */
async function spooledSink(existingDir?: string, logger: Logger = silentLogger()) {
  const dir = existingDir ?? (await newDir());
  const clock = new VirtualClock(T0);
  const queue = new SpoolQueue({ dir, capacity: 100_000, maxBytes: 1 << 30, maxAgeMs: 7 * DAY_MS, fsync: 'never', fsyncIntervalMs: 1000, clock, logger });
  const calls: Call[] = [];
  const server = { up: false, answer: OK };
  const sink = new BatchingSink({
    id: 'spooled',
    type: 'fake',
    url: 'http://tsdb.invalid',
    buffer: queue,
    send: async (lines) => {
      calls.push({ atMs: clock.now() - T0, lines: [...lines] });
      return server.up ? server.answer : DOWN;
    },
    clock,
    logger: silentLogger(),
    batchSize: BATCH,
    flushIntervalMs: FLUSH_MS,
    timeoutMs: 5000,
    retry: { backoffInitialMs: 100, backoffMaxMs: 1000, backoffJitter: 0 },
    replayLinesPerSecond: REPLAY_LINES_PER_S,
  });
  cleanup.push(() => sink.stop(0));
  await queue.idle();
  sink.start();
  return { dir, clock, calls, server, sink, queue };
}

/** Every batch after the first waited long enough for its lines at the replay rate. */
function expectPaced(batches: readonly Call[]): void {
  batches.slice(1).forEach((call, i) => {
    const waitedMs = call.atMs - (batches[i]?.atMs ?? 0);
    expect(waitedMs).toBeGreaterThanOrEqual((call.lines.length * 1000) / REPLAY_LINES_PER_S);
  });
}

async function newDir(): Promise<string> {
  const { dir, remove } = await tempDir();
  cleanup.push(remove);
  return dir;
}

describe('ReplayPacer', () => {
  it('lets one batch go at once, then paces to the rate', () => {
    const pacer = new ReplayPacer(1000, 100, T0);
    expect(pacer.dueAt(500, T0)).toBe(T0);
    pacer.consume(100, T0);
    expect(pacer.dueAt(500, T0)).toBe(T0 + 100);
    expect(pacer.dueAt(30, T0 + 10)).toBe(T0 + 30); // a small rest needs fewer tokens
    expect(pacer.allowance(T0 + 50)).toBe(50);
  });

  it('caps a batch at one second of replay when the rate is below the batch size', () => {
    expect(new ReplayPacer(20, 5000, T0).batchLines).toBe(20);
  });
});

describe('replay after an outage, on virtual time', () => {
  it('sends the backlog at the paced rate while live lines keep their flush schedule, each line once', async () => {
    const { clock, calls, server, sink } = await spooledSink();
    const outage = Array.from({ length: 1000 }, (_, i) => `old${i}`);
    for (const line of outage) sink.append(line);
    await clock.advance(3000); // the server is down: the first batch fails and is retried with back-off
    expect(sink.status()).toMatchObject({ connected: false, linesBuffered: 1000 });

    server.up = true;
    while (!sink.status().connected) await clock.advance(10);
    const live: string[] = [];
    const pollEveryMs = 100;
    for (let t = 0; t < 2000; t += pollEveryMs) {
      for (let k = 0; k < 10; k++) {
        const line = `new${live.length}`;
        live.push(line);
        sink.append(line);
      }
      await clock.advance(pollEveryMs);
    }
    await clock.advance(2000);

    const recovered = calls.findIndex((c) => c.atMs > 3000);
    const after = calls.slice(recovered);
    expect(after[0]?.lines).toEqual(outage.slice(0, BATCH)); // the retried batch
    const backlog = after.slice(1).filter((c) => c.lines[0]?.startsWith('old'));
    const liveCalls = after.filter((c) => c.lines[0]?.startsWith('new'));
    // The other 900 outage lines went as paced batches: 100 lines per 100 ms at 1000 lines/s.
    expect(backlog.flatMap((c) => c.lines)).toEqual(outage.slice(BATCH));
    expect(backlog.every((c) => c.lines.length <= BATCH)).toBe(true);
    expectPaced(backlog);
    const replayMs = (backlog[backlog.length - 1]?.atMs ?? 0) - (after[0]?.atMs ?? 0);
    expect(replayMs).toBeGreaterThanOrEqual(800);
    expect(replayMs).toBeLessThanOrEqual(1000);
    // Live lines were not held behind the backlog: the first went out within a flush interval or so.
    expect((liveCalls[0]?.atMs ?? Infinity) - (after[0]?.atMs ?? 0)).toBeLessThanOrEqual(FLUSH_MS + pollEveryMs);
    expect(liveCalls[0]?.atMs).toBeLessThan(backlog[backlog.length - 1]?.atMs ?? 0);
    expect(liveCalls.flatMap((c) => c.lines)).toEqual(live);
    expect(sink.status()).toMatchObject({ connected: true, linesBuffered: 0, backlogLines: 0, linesWritten: 1000 + live.length, linesDropped: 0, spoolLines: 0 });
  });

  it('lets a batch the server refuses (4xx) leave the spool: counted, not retried, not replayed after a restart', async () => {
    const first = await spooledSink();
    first.server.up = true;
    first.server.answer = { kind: 'reject', reason: 'HTTP 401: authorization failed' };
    for (let i = 0; i < 50; i++) first.sink.append(`bad${i}`);
    await first.clock.advance(FLUSH_MS);
    await first.clock.advance(10_000);
    expect(first.calls).toHaveLength(1);
    expect(first.sink.status()).toMatchObject({ linesRejected: 50, linesBuffered: 0, spoolLines: 0, lastError: 'HTTP 401: authorization failed' });
    await first.sink.stop(0);

    const second = await spooledSink(first.dir);
    second.server.up = true;
    expect(second.sink.status()).toMatchObject({ linesBuffered: 0, backlogLines: 0 });
    await second.clock.advance(10_000);
    expect(second.calls).toHaveLength(0);
  });

  it('with a spool directory that cannot be created: live lines still go out, the error shows in status and logs', async () => {
    const file = join(await newDir(), 'a-file');
    await writeFile(file, 'x');
    const logged: Array<{ level: number; msg: string }> = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logged.push(JSON.parse(chunk.toString('utf8')) as { level: number; msg: string });
        done();
      },
    });
    const { clock, calls, server, sink } = await spooledSink(join(file, 'spool'), pino({ level: 'info' }, stream));
    server.up = true;
    for (let i = 0; i < 20; i++) sink.append(`live${i}`);
    await clock.advance(FLUSH_MS);
    expect(calls.flatMap((c) => c.lines)).toHaveLength(20);
    expect(sink.status()).toMatchObject({ linesWritten: 20, linesDropped: 0, spoolError: expect.stringMatching(/^cannot open the spool: /) as unknown });
    expect(sink.status().lastError).toBe(sink.status().spoolError);
    await new Promise((resolve) => setImmediate(resolve));
    expect(logged.some((r) => r.level === 50 && r.msg.startsWith('cannot open the spool'))).toBe(true);
  });

  it('replays lines found in the spool at start-up at the paced rate', async () => {
    const first = await spooledSink();
    const kept = Array.from({ length: 450 }, (_, i) => `kept${i}`);
    for (const line of kept) first.sink.append(line);
    await first.clock.advance(50); // written to the spool; the server is down
    await first.sink.stop(0);
    expect(first.sink.status()).toMatchObject({ linesDropped: 0, linesBuffered: 450 });

    const second = await spooledSink(first.dir);
    second.server.up = true;
    expect(second.sink.status()).toMatchObject({ backlogLines: 450, spoolLines: 450 });
    // The backlog is read from disk: give the file reads real time between the virtual steps.
    for (let step = 0; step < 100 && second.sink.status().linesWritten < 450; step++) {
      await second.clock.advance(10);
      await second.queue.idle();
    }
    expect(second.calls.flatMap((c) => c.lines)).toEqual(kept);
    expectPaced(second.calls);
    expect(second.sink.status()).toMatchObject({ linesBuffered: 0, spoolLines: 0, backlogLines: 0 });
  });
});
