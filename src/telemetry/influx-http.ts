import { join, resolve } from 'node:path';
import { HttpError, InfluxDB, type Transport } from '@influxdata/influxdb-client';
import type { SinkConfig } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { Clock } from '../time/clock.js';
import { describeError, type BatchingSinkContext, type RetryTiming, type SendBatch, type SendOutcome } from './batching-sink.js';
import { MemoryLineBuffer, type LineQueue } from './line-buffer.js';
import { SpoolQueue } from './spool/spool-queue.js';

/**
 * What the InfluxDB v1 and v2 sinks share: posting line protocol through @influxdata/influxdb-client's
 * transport, and turning its errors into retry-or-reject decisions.
 *
 * Why the client's transport and not its WriteApi: WriteApi batches on its own `setTimeout` timers (outside
 * our Clock) and keeps failed batches in its own retry buffer, which would hold lines our bounded buffer does
 * not see and drop them without our count. The transport gives us what we want from the library — gzip
 * (`gzipThreshold`, compressed off the main thread by zlib), token auth, and errors that carry the status,
 * the server's message and its headers — while batching, retries and the bound stay in BatchingSink.
 */

/** Bodies at least this large are gzipped (when the sink has gzip on); smaller ones gain nothing. Bytes. */
export const GZIP_THRESHOLD_BYTES = 1000;

/** Longest server reason kept in status and logs, characters. */
const MAX_REASON_CHARS = 300;

export interface LineProtocolTarget {
  transport: Transport;
  /** Path and query below the base URL, e.g. `/api/v2/write?bucket=b&precision=ms`. */
  path: string;
  /** Extra request headers (e.g. basic auth). */
  headers?: Record<string, string>;
  gzip: boolean;
}

/** A SendBatch that POSTs the lines, newline-separated, to the target. */
export function lineProtocolSender(target: LineProtocolTarget): SendBatch {
  const headers = { 'content-type': 'text/plain; charset=utf-8', ...target.headers };
  // The transport gzips bodies strictly longer than its threshold.
  const gzipThreshold = target.gzip ? GZIP_THRESHOLD_BYTES - 1 : undefined;
  return async (lines, signal) => {
    try {
      await target.transport.request(target.path, lines.join('\n'), { method: 'POST', headers, gzipThreshold, signal });
      return { kind: 'ok' };
    } catch (error) {
      return classifyWriteError(error);
    }
  };
}

/** The client's transport for one server; `timeoutMs` is also its socket idle timeout. */
export function createTransport(options: { url: string; token?: string | undefined; timeoutMs: number }): Transport {
  const token = options.token ? options.token : undefined;
  return new InfluxDB({ url: options.url, token, timeout: options.timeoutMs }).transport;
}

/** Statuses worth retrying: the server was busy, overloaded or failing, not judging the data. */
export function isRetriableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

/**
 * Retry or reject? An HTTP answer is retried only for 408, 429 and 5xx; any other status (400 bad line,
 * 401/403 credentials, 404 no such bucket or database, 413 too large) would be refused again. An error without
 * an HTTP answer (refused connection, DNS, reset, timeout, abort) never reached a verdict, so it is retried.
 */
export function classifyWriteError(error: unknown): SendOutcome {
  if (error instanceof HttpError) {
    const reason = `HTTP ${error.statusCode}: ${serverReason(error)}`;
    if (!isRetriableStatus(error.statusCode)) return { kind: 'reject', reason };
    const retryAfterMs = retryAfterHeaderMs(error);
    return retryAfterMs === undefined ? { kind: 'retry', reason } : { kind: 'retry', reason, retryAfterMs };
  }
  return { kind: 'retry', reason: describeError(error) };
}

/** The server's own words: `error` (InfluxDB 1.x) or `message` (2.x/3.x) of a JSON body, else the body text. */
function serverReason(error: HttpError): string {
  const body = (error.body ?? '').trim();
  if (body.startsWith('{')) {
    try {
      const parsed = JSON.parse(body) as { error?: unknown; message?: unknown } | null;
      if (typeof parsed?.error === 'string') return truncate(parsed.error);
      if (typeof parsed?.message === 'string') return truncate(parsed.message);
    } catch {
      // not JSON after all: fall through to the raw text
    }
  }
  const header = error.headers?.['x-influxdb-error'];
  return truncate(body || (typeof header === 'string' ? header : '') || (error.statusMessage ?? ''));
}

/**
 * Retry-After in delta-seconds, as HTTP defines it (InfluxDB Cloud sends it with 429/503). The client's own
 * `HttpError.retryAfter()` reads the number as milliseconds, so it is not used. The HTTP-date form is ignored.
 */
function retryAfterHeaderMs(error: HttpError): number | undefined {
  const value = error.headers?.['retry-after'];
  return typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value.trim()) * 1000 : undefined;
}

function truncate(text: string): string {
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS)}…` : text;
}

/** The URL without user name or password, for status output and logs. */
export function displayUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/** What every sink is built from besides its config. */
export interface SinkDeps {
  clock: Clock;
  logger: Logger;
  retry?: Partial<RetryTiming>;
  /** Makes the sink's line queue; by default the spool when the config has one, else the in-memory buffer. */
  createBuffer?: (config: SinkConfig) => LineQueue;
}

/** The BatchingSink settings common to both sink types, from the sink's config. */
export function commonSinkContext(config: SinkConfig, deps: SinkDeps): Omit<BatchingSinkContext, 'send'> {
  return {
    id: config.id,
    type: config.type,
    url: displayUrl(config.url),
    buffer: deps.createBuffer ? deps.createBuffer(config) : defaultLineQueue(config, deps),
    clock: deps.clock,
    logger: deps.logger,
    batchSize: config.batchSize,
    flushIntervalMs: config.flushIntervalMs,
    timeoutMs: config.timeoutMs,
    retry: deps.retry,
    replayLinesPerSecond: config.spool?.replayLinesPerSecond,
  };
}

/** The spool in `<spool.dir>/<sink id>` with `maxBufferLines` in memory in front of it; without a spool, memory only. */
export function defaultLineQueue(config: SinkConfig, deps: Pick<SinkDeps, 'clock' | 'logger'>): LineQueue {
  const { spool } = config;
  if (spool === undefined) return new MemoryLineBuffer(config.maxBufferLines);
  return new SpoolQueue({
    dir: join(resolve(spool.dir), config.id),
    capacity: config.maxBufferLines,
    maxBytes: spool.maxBytes,
    maxAgeMs: spool.maxAgeMs,
    fsync: spool.fsync,
    fsyncIntervalMs: spool.fsyncIntervalMs,
    clock: deps.clock,
    logger: deps.logger.child({ sink: config.id }),
  });
}
