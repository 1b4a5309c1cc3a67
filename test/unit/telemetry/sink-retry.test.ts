import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { HttpError } from '@influxdata/influxdb-client';
import { BatchingSink, type SendOutcome } from '../../../src/telemetry/batching-sink.js';
import { classifyWriteError } from '../../../src/telemetry/influx-http.js';
import { influxV1WritePath } from '../../../src/telemetry/influx-v1-sink.js';
import { influxV2WritePath } from '../../../src/telemetry/influx-v2-sink.js';
import { MemoryLineBuffer } from '../../../src/telemetry/line-buffer.js';

const T0 = Date.UTC(2026, 0, 1);
const OK: SendOutcome = { kind: 'ok' };
const DOWN: SendOutcome = { kind: 'retry', reason: 'connect ECONNREFUSED 127.0.0.1:8086' };

interface Call {
  atMs: number;
  lines: string[];
  signal: AbortSignal;
}

/** A BatchingSink on virtual time whose server is a function deciding each request's outcome. */
function harness(options: { capacity?: number; start?: boolean } = {}) {
  const clock = new VirtualClock(T0);
  const calls: Call[] = [];
  const server = { answer: (_lines: readonly string[]): SendOutcome | Promise<SendOutcome> => OK };
  const sink = new BatchingSink({
    id: 'test',
    type: 'fake',
    url: 'http://tsdb.invalid',
    buffer: new MemoryLineBuffer(options.capacity ?? 100),
    send: async (lines, signal) => {
      calls.push({ atMs: clock.now() - T0, lines: [...lines], signal });
      return server.answer(lines);
    },
    clock,
    logger: silentLogger(),
    batchSize: 3,
    flushIntervalMs: 1000,
    timeoutMs: 5000,
    retry: { backoffInitialMs: 100, backoffMaxMs: 1000, backoffJitter: 0 },
  });
  if (options.start !== false) sink.start();
  let next = 0;
  const append = (n: number): void => {
    for (let i = 0; i < n; i++) sink.append(`l${next++}`);
  };
  return { clock, calls, server, sink, append };
}

const lineNames = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, k) => `l${from + k}`);
const never = (): Promise<SendOutcome> => new Promise<SendOutcome>(() => {});

describe('flushing', () => {
  it('sends a full batch at once, without waiting for the interval', async () => {
    const { clock, calls, append } = harness();
    append(3);
    expect(calls).toHaveLength(0); // never from inside append: the poll path does no I/O work
    await clock.advance(0);
    expect(calls).toEqual([expect.objectContaining({ atMs: 0, lines: lineNames(0, 3) })]);
  });

  it('sends a partial batch once its oldest line has waited flushIntervalMs', async () => {
    const { clock, calls, append, sink } = harness();
    append(1);
    await clock.advance(500);
    append(1);
    await clock.advance(499);
    expect(calls).toHaveLength(0);
    await clock.advance(1);
    expect(calls).toEqual([expect.objectContaining({ atMs: 1000, lines: lineNames(0, 2) })]);
    expect(sink.status()).toMatchObject({ linesWritten: 2, linesBuffered: 0, connected: true, lastOkAt: T0 + 1000 });
  });

  it('sends a backlog in batches of batchSize back to back, and the remainder on time', async () => {
    const { clock, calls, append, sink } = harness({ start: false });
    append(7);
    sink.start();
    await clock.advance(0);
    expect(calls.map((c) => [c.atMs, c.lines.length])).toEqual([
      [0, 3],
      [0, 3],
    ]);
    await clock.advance(1000);
    expect(calls.map((c) => [c.atMs, c.lines.length])).toEqual([
      [0, 3],
      [0, 3],
      [1000, 1],
    ]);
  });

  it('holds lines appended before start until start', async () => {
    const { clock, calls, append, sink } = harness({ start: false });
    append(1);
    await clock.advance(5000);
    expect(calls).toHaveLength(0);
    sink.start();
    await clock.advance(0); // the line has waited past the interval already
    expect(calls).toHaveLength(1);
  });
});

describe('retrying', () => {
  it('backs off exponentially and retries the same batch before newer lines', async () => {
    const { clock, calls, server, append, sink } = harness();
    let failures = 3;
    server.answer = () => (failures-- > 0 ? DOWN : OK);
    append(3);
    await clock.advance(0);
    expect(sink.status()).toMatchObject({ connected: false, consecutiveFailures: 1, nextRetryAt: T0 + 100, writeErrors: 1, lastError: DOWN.reason, linesBuffered: 3 });
    append(2); // arrives during the back-off: waits behind the failed batch
    await clock.advance(2000);
    expect(calls.map((c) => c.atMs)).toEqual([0, 100, 300, 700, 1000]);
    expect(calls.slice(0, 4).every((c) => c.lines.join() === lineNames(0, 3).join())).toBe(true);
    expect(calls[4]?.lines).toEqual(lineNames(3, 5));
    expect(sink.status()).toMatchObject({ connected: true, consecutiveFailures: 0, nextRetryAt: null, writeErrors: 3, linesWritten: 5, linesBuffered: 0 });
  });

  it('caps the pause at backoffMaxMs', async () => {
    const { clock, calls, server, append } = harness();
    server.answer = () => DOWN;
    append(3);
    await clock.advance(5000);
    const gaps = calls.slice(1).map((c, i) => c.atMs - (calls[i]?.atMs ?? 0));
    expect(gaps.slice(0, 6)).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('waits at least as long as the server asks (Retry-After)', async () => {
    const { clock, calls, server, append } = harness();
    server.answer = () => (calls.length === 1 ? { kind: 'retry', reason: 'HTTP 429: slow down', retryAfterMs: 700 } : OK);
    append(3);
    await clock.advance(699);
    expect(calls).toHaveLength(1);
    await clock.advance(1);
    expect(calls).toHaveLength(2);
  });

  it('does not retry a batch the server refuses (4xx): counts it, keeps the reason and goes on', async () => {
    const { clock, calls, server, append, sink } = harness();
    server.answer = () => (calls.length === 1 ? { kind: 'reject', reason: 'HTTP 400: unable to parse' } : OK);
    append(6);
    await clock.advance(0);
    expect(calls.map((c) => c.lines)).toEqual([lineNames(0, 3), lineNames(3, 6)]);
    await clock.advance(60_000);
    expect(calls).toHaveLength(2);
    expect(sink.status()).toMatchObject({ linesRejected: 3, linesWritten: 3, writeErrors: 1, lastError: 'HTTP 400: unable to parse', linesDropped: 0, connected: true });
  });

  it('aborts a request that gets no answer within timeoutMs and retries it', async () => {
    const { clock, calls, server, append, sink } = harness();
    server.answer = () => (calls.length === 1 ? never() : OK);
    append(3);
    await clock.advance(4999);
    expect(calls[0]?.signal.aborted).toBe(false);
    await clock.advance(1);
    expect(calls[0]?.signal.aborted).toBe(true);
    expect(sink.status()).toMatchObject({ writeErrors: 1, lastError: 'no answer within 5000 ms', nextRetryAt: T0 + 5100 });
    await clock.advance(100);
    expect(calls).toHaveLength(2);
    expect(sink.status()).toMatchObject({ linesWritten: 3, linesBuffered: 0 });
  });

  it('counts a send function that throws as a retriable failure', async () => {
    const { clock, calls, server, append, sink } = harness();
    server.answer = () => {
      if (calls.length === 1) throw new Error('socket hang up');
      return OK;
    };
    append(3);
    await clock.advance(0);
    expect(sink.status().lastError).toBe('socket hang up');
    await clock.advance(100);
    expect(sink.status().linesWritten).toBe(3);
  });
});

describe('outage', () => {
  it('holds to the bound while the server is down, counts drops, and delivers the rest in order', async () => {
    const { clock, calls, server, append, sink } = harness({ capacity: 10 });
    server.answer = () => DOWN;
    append(3);
    await clock.advance(0); // l0–l2 fail and wait for their retry
    append(20); // l3–l22 into a buffer of 10: l3–l12 are dropped
    expect(sink.status()).toMatchObject({ linesBuffered: 13, linesDropped: 10 });
    server.answer = () => OK;
    await clock.advance(2000);
    const delivered = calls.filter((c) => c.atMs > 0).flatMap((c) => c.lines);
    expect([...new Set(delivered)]).toEqual([...lineNames(0, 3), ...lineNames(13, 23)]);
    expect(sink.status()).toMatchObject({ linesWritten: 13, linesDropped: 10, linesBuffered: 0, connected: true });
  });
});

describe('stop', () => {
  it('sends what is buffered before it resolves', async () => {
    const { calls, append, sink } = harness();
    append(2);
    await sink.stop(1000);
    expect(calls.map((c) => c.lines)).toEqual([lineNames(0, 2)]);
    expect(sink.status()).toMatchObject({ linesWritten: 2, linesBuffered: 0, linesDropped: 0 });
  });

  it('gives up after one failure (no back-off at shutdown) and counts the rest as dropped', async () => {
    const { calls, server, append, sink } = harness();
    server.answer = () => DOWN;
    append(5);
    await sink.stop(1000);
    expect(calls).toHaveLength(1);
    expect(sink.status()).toMatchObject({ linesWritten: 0, linesBuffered: 0, linesDropped: 5 });
  });

  it('aborts a request still open at the deadline', async () => {
    const { clock, calls, server, append, sink } = harness();
    server.answer = never;
    append(3);
    await clock.advance(0);
    let stopped = false;
    const stopping = sink.stop(200).then(() => (stopped = true));
    await clock.advance(199);
    expect(stopped).toBe(false);
    await clock.advance(1);
    await stopping;
    expect(calls[0]?.signal.aborted).toBe(true);
    expect(sink.status()).toMatchObject({ linesDropped: 3, linesBuffered: 0 });
    expect(clock.pending()).toBe(0);
  });

  it('counts lines appended after stop as dropped', async () => {
    const { append, sink } = harness();
    await sink.stop(100);
    append(2);
    expect(sink.status()).toMatchObject({ linesDropped: 2, linesBuffered: 0 });
  });
});

describe('HTTP outcomes of the InfluxDB sinks', () => {
  const http = (status: number, body: string, headers: Record<string, string> = {}) =>
    new HttpError(status, 'x', body, headers['retry-after'], headers['content-type'], undefined, headers);

  it('refuses for good on 4xx, with the server reason from an InfluxDB 1.x, 2.x or plain-text body', () => {
    expect(classifyWriteError(http(400, '{"error":"unable to parse \'x y=\': missing field value"}', { 'content-type': 'application/json' }))).toEqual({
      kind: 'reject',
      reason: "HTTP 400: unable to parse 'x y=': missing field value",
    });
    expect(classifyWriteError(http(401, '{"code":"unauthorized","message":"unauthorized access"}', { 'content-type': 'application/json' }))).toEqual({
      kind: 'reject',
      reason: 'HTTP 401: unauthorized access',
    });
    expect(classifyWriteError(http(404, 'bucket not found'))).toMatchObject({ kind: 'reject' });
    expect(classifyWriteError(http(413, ''))).toMatchObject({ kind: 'reject' });
  });

  it('retries 408, 429 and 5xx, taking Retry-After as seconds', () => {
    expect(classifyWriteError(http(503, 'busy', { 'retry-after': '30' }))).toEqual({ kind: 'retry', reason: 'HTTP 503: busy', retryAfterMs: 30_000 });
    expect(classifyWriteError(http(429, 'too many'))).toMatchObject({ kind: 'retry' });
    expect(classifyWriteError(http(408, ''))).toMatchObject({ kind: 'retry' });
    expect(classifyWriteError(http(501, 'no'))).toMatchObject({ kind: 'reject' });
  });

  it('retries errors that never got an HTTP answer, naming the code when the message is empty', () => {
    const refused = Object.assign(new AggregateError([], ''), { code: 'ECONNREFUSED' });
    expect(classifyWriteError(refused)).toEqual({ kind: 'retry', reason: 'ECONNREFUSED' });
    expect(classifyWriteError(Object.assign(new Error('getaddrinfo EAI_AGAIN influx'), { code: 'EAI_AGAIN' }))).toEqual({
      kind: 'retry',
      reason: 'getaddrinfo EAI_AGAIN influx',
    });
  });

  it('builds the write paths with ms precision and only the parameters that are set', () => {
    expect(influxV2WritePath({ bucket: 'b 1', org: '' })).toBe('/api/v2/write?bucket=b+1&precision=ms');
    expect(influxV2WritePath({ bucket: 'b', org: 'acme' })).toBe('/api/v2/write?bucket=b&precision=ms&org=acme');
    expect(influxV1WritePath({ database: 'gw', retentionPolicy: undefined })).toBe('/write?db=gw&precision=ms');
    expect(influxV1WritePath({ database: 'gw', retentionPolicy: 'week' })).toBe('/write?db=gw&rp=week&precision=ms');
  });
});
