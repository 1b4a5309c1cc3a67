import type { InfluxV2SinkConfig } from '../config/schema.js';
import { BatchingSink } from './batching-sink.js';
import { commonSinkContext, createTransport, lineProtocolSender, type SinkDeps } from './influx-http.js';

/**
 * Telemetry sink for the InfluxDB v2 write API (`POST /api/v2/write`), which InfluxDB 2.x, 3.x, 1.8+ and
 * VictoriaMetrics all accept. Requests go through @influxdata/influxdb-client's transport (gzip, token auth,
 * error details); batching, retries and the bound live in BatchingSink, and the durable spool (when the config
 * has `spool`) in spool/ — see influx-http.ts for why not WriteApi.
 */
export interface InfluxV2SinkContext extends SinkDeps {
  config: InfluxV2SinkConfig;
}

export function createInfluxV2Sink(ctx: InfluxV2SinkContext): BatchingSink {
  const { config } = ctx;
  const transport = createTransport({ url: config.url, token: config.token, timeoutMs: config.timeoutMs });
  const send = lineProtocolSender({ transport, path: influxV2WritePath(config), gzip: config.gzip });
  return new BatchingSink({ ...commonSinkContext(config, ctx), send });
}

/**
 * `/api/v2/write?bucket=…&precision=ms[&org=…]`. An empty org is left out: VictoriaMetrics and InfluxDB 1.8
 * ignore it, InfluxDB 3 does not need it, and InfluxDB 2.x answers 400 without one (counted and logged).
 */
export function influxV2WritePath(config: Pick<InfluxV2SinkConfig, 'bucket' | 'org'>): string {
  const query = new URLSearchParams({ bucket: config.bucket, precision: 'ms' });
  if (config.org) query.set('org', config.org);
  return `/api/v2/write?${query.toString()}`;
}
