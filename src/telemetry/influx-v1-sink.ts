import type { InfluxV1SinkConfig } from '../config/schema.js';
import { BatchingSink } from './batching-sink.js';
import { commonSinkContext, createTransport, lineProtocolSender, type SinkDeps } from './influx-http.js';

/**
 * Telemetry sink for InfluxDB 1.x installations: `POST /write?db=…&rp=…&precision=ms`, gzip body with
 * `Content-Encoding: gzip` when enabled (InfluxDB 1.x accepts it), HTTP basic auth when a user name is set.
 *
 * The request goes through @influxdata/influxdb-client's transport, not fetch: the transport takes any path,
 * so the v1 endpoint costs nothing extra, and both sinks then share one error classification (HttpError with
 * status, body and headers; Node error codes for network failures). The transport is created without a token,
 * so the only Authorization header is the basic one set here. Batching, retries and the durable spool (when the
 * config has `spool`) are shared with the v2 sink: BatchingSink and spool/.
 */
export interface InfluxV1SinkContext extends SinkDeps {
  config: InfluxV1SinkConfig;
}

export function createInfluxV1Sink(ctx: InfluxV1SinkContext): BatchingSink {
  const { config } = ctx;
  const transport = createTransport({ url: config.url, timeoutMs: config.timeoutMs });
  const headers = basicAuthHeader(config.username, config.password);
  const send = lineProtocolSender({ transport, path: influxV1WritePath(config), headers, gzip: config.gzip });
  return new BatchingSink({ ...commonSinkContext(config, ctx), send });
}

/** `/write?db=…[&rp=…]&precision=ms`. */
export function influxV1WritePath(config: Pick<InfluxV1SinkConfig, 'database' | 'retentionPolicy'>): string {
  const query = new URLSearchParams({ db: config.database });
  if (config.retentionPolicy) query.set('rp', config.retentionPolicy);
  query.set('precision', 'ms');
  return `/write?${query.toString()}`;
}

/** Basic auth in a header rather than `u`/`p` query parameters, which end up in proxy and server logs. */
function basicAuthHeader(username: string | undefined, password: string | undefined): Record<string, string> {
  if (!username) return {};
  return { authorization: `Basic ${Buffer.from(`${username}:${password ?? ''}`, 'utf8').toString('base64')}` };
}
