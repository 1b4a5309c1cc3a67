import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { ServerProcess } from './server-process.js';

/**
 * Real time-series servers for integration tests, each started on loopback, on free ports, in its own
 * temporary directory, and removed on stop: VictoriaMetrics (the v2 write API) and InfluxDB 1.x (the v1 API,
 * InfluxQL). Binaries come from Debian packages installed by scripts/test-deps.sh.
 */

/** Commands found on PATH (the Debian packages install them there); the variables point elsewhere. */
const VICTORIA_METRICS_BIN = process.env.VICTORIA_METRICS_BIN ?? 'victoria-metrics';
const INFLUXD_BIN = process.env.INFLUXD_BIN ?? 'influxd';
async function expectOk(response: Response, what: string): Promise<string> {
  const body = await response.text();
  if (!response.ok) throw new Error(`${what}: HTTP ${response.status} ${body}`);
  return body;
}

// ---------------------------------------------------------------------------------------------------------
// VictoriaMetrics

/** One series as /api/v1/export returns it (JSON lines). */
export interface ExportedSeries {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

export interface VictoriaMetricsServer {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  /** Makes everything written so far searchable (VictoriaMetrics buffers new data for about a second). */
  forceFlush(): Promise<void>;
  /** Raw samples of the series matching `match` (a series selector) between the two times (ms). */
  exportSeries(match: string, startMs: number, endMs: number): Promise<ExportedSeries[]>;
  stop(): Promise<void>;
}

export async function startVictoriaMetrics(): Promise<VictoriaMetricsServer> {
  const dir = await mkdtemp(join(tmpdir(), 'facility-gw-vm-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = ServerProcess.start('victoria-metrics', VICTORIA_METRICS_BIN, [
    `-httpListenAddr=127.0.0.1:${port}`,
    `-storageDataPath=${dir}`,
    '-search.latencyOffset=0s', // make just-written points visible to queries at once
    '-search.disableCache', // no cached query results from before a write
    '-retentionPeriod=100y', // tests may use any timestamp
    '-loggerLevel=ERROR',
  ]);
  try {
    await server.waitReady(`${url}/health`);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    async forceFlush() {
      await expectOk(await fetch(`${url}/internal/force_flush`), 'force_flush');
    },
    async exportSeries(match, startMs, endMs) {
      const query = new URLSearchParams({ 'match[]': match, start: String(startMs / 1000), end: String(endMs / 1000) });
      const body = await expectOk(await fetch(`${url}/api/v1/export?${query.toString()}`), 'export');
      return body
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as ExportedSeries);
    },
    async stop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// InfluxDB 1.x

export interface InfluxDb1Options {
  /** HTTP port; a free one by default. */
  port?: number;
  /** Turns on authentication with this admin user (created at start). */
  admin?: { username: string; password: string };
}

/** One InfluxQL statement's result, as /query returns it. */
export interface InfluxQlSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

export interface InfluxDb1Server {
  url: string;
  port: number;
  /** Runs InfluxQL (as the admin when auth is on); returns the series of the first statement, times in ms. */
  query(q: string, db?: string): Promise<InfluxQlSeries[]>;
  createDatabase(name: string): Promise<void>;
  /** Rows of the first series as objects keyed by column. */
  rows(q: string, db?: string): Promise<Array<Record<string, unknown>>>;
  /** Stops the process but keeps its data, so that restart() brings the same server back on the same port. */
  pause(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

function influxConfig(dir: string, httpPort: number, rpcPort: number, auth: boolean): string {
  return `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${join(dir, 'meta')}"
  logging-enabled = false

[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  query-log-enabled = false

[retention]
  enabled = false

[shard-precreation]
  enabled = false

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = ${auth}
  log-enabled = false

[continuous_queries]
  enabled = false

[subscriber]
  enabled = false

[[graphite]]
  enabled = false

[[collectd]]
  enabled = false

[[opentsdb]]
  enabled = false

[[udp]]
  enabled = false
`;
}

export async function startInfluxDb1(options: InfluxDb1Options = {}): Promise<InfluxDb1Server> {
  const dir = await mkdtemp(join(tmpdir(), 'facility-gw-influxdb-'));
  const port = options.port ?? (await freePort());
  const rpcPort = await freePort();
  const configPath = join(dir, 'influxdb.conf');
  await writeFile(configPath, influxConfig(dir, port, rpcPort, options.admin !== undefined));
  const url = `http://127.0.0.1:${port}`;
  const authHeader: Record<string, string> = options.admin
    ? { authorization: `Basic ${Buffer.from(`${options.admin.username}:${options.admin.password}`).toString('base64')}` }
    : {};

  let server: ServerProcess | undefined;
  const run = async (): Promise<void> => {
    server = ServerProcess.start('influxd', INFLUXD_BIN, ['run', '-config', configPath]);
    await server.waitReady(`${url}/ping`);
  };

  const post = async (q: string, db?: string): Promise<unknown> => {
    const query = new URLSearchParams({ q, epoch: 'ms' });
    if (db) query.set('db', db);
    const response = await fetch(`${url}/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...authHeader },
      body: query.toString(),
    });
    const result = JSON.parse(await expectOk(response, `InfluxQL ${q}`)) as {
      results?: Array<{ error?: string; series?: InfluxQlSeries[] }>;
      error?: string;
    };
    const first = result.results?.[0];
    const error = result.error ?? first?.error;
    if (error) throw new Error(`InfluxQL ${q}: ${error}`);
    return first?.series ?? [];
  };

  try {
    await run();
    // With auth on and no user yet, InfluxDB 1.x accepts exactly this statement without credentials.
    if (options.admin) {
      await expectOk(
        await fetch(`${url}/query`, {
          method: 'POST',
          body: new URLSearchParams({ q: `CREATE USER "${options.admin.username}" WITH PASSWORD '${options.admin.password}' WITH ALL PRIVILEGES` }),
        }),
        'CREATE USER',
      );
    }
  } catch (error) {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  const query = async (q: string, db?: string): Promise<InfluxQlSeries[]> => (await post(q, db)) as InfluxQlSeries[];
  return {
    url,
    port,
    query,
    async createDatabase(name) {
      await query(`CREATE DATABASE "${name}"`);
    },
    async rows(q, db) {
      const [series] = await query(q, db);
      if (!series) return [];
      return series.values.map((row) => Object.fromEntries(series.columns.map((column, i) => [column, row[i]])));
    },
    async pause() {
      await server?.stop();
    },
    restart: run,
    async stop() {
      await server?.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Kept here for the telemetry tests that import it with the servers. */
export { waitUntil } from './wait.js';
