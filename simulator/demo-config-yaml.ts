import { stringify } from 'yaml';
import type { InfluxV2SinkConfig, SiteConfig } from '../src/config/schema.js';
import { demoPorts, demoSiteConfig } from './demo-building.js';

/** The gateway's state directory in the container image and under the systemd unit. */
const STATE_DIR = '/var/lib/facility-gw';

export interface DemoConfigOptions {
  /** Where the gateway finds the simulator's Modbus servers. */
  host: string;
  basePort: number;
  /** The broker the simulated door controllers publish to; absent = the gateway's embedded broker. */
  mqttUrl?: string;
  /** An InfluxDB v2 API to write to (the token is read from INFLUX_TOKEN at start). */
  influx?: { url: string; org: string; bucket: string };
  /** Where the API listens. */
  httpHost?: string;
}

/**
 * The demo building as a site file: a starting point for a real site, and what the docker-compose stack
 * runs against the simulator container. `facility-gw demo-config` prints it.
 */
export function demoConfigYaml(options: DemoConfigOptions): string {
  const config: SiteConfig = demoSiteConfig({ host: options.host, ports: demoPorts(options.basePort), mqttUrl: options.mqttUrl });
  if (options.httpHost !== undefined) config.http = { ...config.http, host: options.httpHost };
  // Alarm states, the audit log and work orders live beside the spool, on the gateway's data volume.
  config.store = { path: `${STATE_DIR}/facility-gw.db` };
  if (options.influx) config.sinks = [influxSink(options.influx)];
  const header = '# The simulated demo tower, written by `facility-gw demo-config`. Check it with `facility-gw validate`.\n';
  return header + stringify(config, { lineWidth: 120 });
}

function influxSink(influx: { url: string; org: string; bucket: string }): InfluxV2SinkConfig {
  return {
    id: 'influx',
    type: 'influxdb-v2',
    url: influx.url,
    org: influx.org,
    bucket: influx.bucket,
    token: '${INFLUX_TOKEN}',
    batchSize: 5000,
    flushIntervalMs: 1000,
    maxBufferLines: 200_000,
    timeoutMs: 10_000,
    gzip: true,
    // Lines wait on disk while InfluxDB is away and are replayed when it is back.
    spool: {
      dir: `${STATE_DIR}/spool`,
      maxBytes: 1024 * 1024 * 1024,
      maxAgeMs: 7 * 24 * 60 * 60 * 1000,
      fsync: 'interval',
      fsyncIntervalMs: 1000,
      replayLinesPerSecond: 50_000,
    },
  };
}
