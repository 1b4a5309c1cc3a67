import type { SiteConfig } from '../config/schema.js';
import type { DeviceEvent } from '../points/device-event.js';
import { pointId, type PointValue, type Quality, type Sample } from '../points/sample.js';
import { findProfile as findBuiltInProfile } from '../profiles/index.js';
import type { RecordedEntry } from '../recording/format.js';
import type { ProfileLookup } from '../rules/compile.js';
import type { HistorySource } from './history-source.js';
import { BacktestInputError } from './rule-sets.js';

/**
 * History from InfluxDB, in the layout the telemetry writer produces (src/telemetry/line-protocol.ts:
 * measurement = equipment type, tags `site` and `device`, one field per point, `<point>_quality` when the
 * quality is not good; device events in `device_event`, tagged with `event`). Read with InfluxQL over the
 * `/query` HTTP API, which InfluxDB 1.x serves and 2.x serves through its v1 compatibility API (a DBRP
 * mapping from database to bucket, token auth) — so one reader covers both.
 *
 * The window is read in chunks of `chunkMs` (every measurement of a chunk in one request), so memory stays
 * bounded over a week. Each row becomes the samples of the device's profile points present in it, in
 * profile order; rows of all devices are merged by time.
 * InfluxDB holds no device status changes, so communication-loss alarms cannot be replayed from it (a
 * warning says so); a recording has them.
 */

export interface InfluxQueryTarget {
  /** Base URL, e.g. http://127.0.0.1:8086 */
  url: string;
  /** 1.x database, or the 2.x bucket's mapped database name. */
  database: string;
  retentionPolicy?: string;
  username?: string;
  password?: string;
  /** 2.x token (sent as `Authorization: Token …`). */
  token?: string;
}

export interface InfluxSourceOptions {
  target: InfluxQueryTarget;
  /** The site config: which devices, of which type and profile, to read. */
  config: SiteConfig;
  lookupProfile?: ProfileLookup;
  /** Window chunk per request, ms; default one hour. */
  chunkMs?: number;
  /** Per request, ms; default 60 s. */
  timeoutMs?: number;
}

const DEFAULT_CHUNK_MS = 60 * 60 * 1000;
const DEFAULT_TIMEOUT_MS = 60_000;
const QUALITIES = new Set<string>(['good', 'uncertain', 'bad', 'stale']);
const EVENT_MEASUREMENT = 'device_event';

interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
  partial?: boolean;
}

interface InfluxResponse {
  results?: Array<{ statement_id?: number; series?: InfluxSeries[]; error?: string; partial?: boolean }>;
  error?: string;
}

/** The query target of the config's InfluxDB sink (`sinkId`, or the first one). */
export function influxTargetFromConfig(config: SiteConfig, sinkId?: string): InfluxQueryTarget {
  const sink = sinkId === undefined ? config.sinks[0] : config.sinks.find((s) => s.id === sinkId);
  if (sink === undefined) {
    throw new BacktestInputError(sinkId === undefined ? 'the site config has no InfluxDB sink to read history from' : `the site config has no sink "${sinkId}"`);
  }
  if (sink.type === 'influxdb-v1') {
    return {
      url: sink.url,
      database: sink.database,
      ...(sink.retentionPolicy === undefined ? {} : { retentionPolicy: sink.retentionPolicy }),
      ...(sink.username === undefined ? {} : { username: sink.username }),
      ...(sink.password === undefined ? {} : { password: sink.password }),
    };
  }
  // InfluxDB 2.x: InfluxQL through the v1 compatibility API; the bucket needs a DBRP mapping of the same name.
  return { url: sink.url, database: sink.bucket, ...(sink.token === undefined ? {} : { token: sink.token }) };
}

interface DeviceReadPlan {
  device: string;
  points: readonly string[];
}

export class InfluxSource implements HistorySource {
  readonly description: string;
  private readonly notes = new Set<string>();
  private readonly plans = new Map<string, Map<string, DeviceReadPlan>>();
  private readonly chunkMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: InfluxSourceOptions) {
    const { target, config } = options;
    this.description = `InfluxDB ${target.url} database ${target.database}`;
    this.chunkMs = options.chunkMs ?? DEFAULT_CHUNK_MS;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(this.chunkMs > 0)) throw new BacktestInputError(`chunkMs must be positive, got ${this.chunkMs}`);
    const lookup = options.lookupProfile ?? findBuiltInProfile;
    for (const device of config.devices) {
      if (!device.enabled) continue;
      const profile = lookup(device.profile);
      if (profile === undefined) continue;
      let byDevice = this.plans.get(device.type);
      if (byDevice === undefined) this.plans.set(device.type, (byDevice = new Map<string, DeviceReadPlan>()));
      byDevice.set(device.id, { device: device.id, points: profile.points.map((p) => p.name) });
    }
    this.notes.add('InfluxDB holds no device status changes: communication-loss alarms are not replayed from it (a recording has them)');
  }

  warnings(): string[] {
    return [...this.notes];
  }

  async *read(from: number, to: number): AsyncIterable<readonly RecordedEntry[]> {
    for (let start = from; start < to; start += this.chunkMs) {
      const end = Math.min(to, start + this.chunkMs);
      const entries = await this.readChunk(start, end);
      if (entries.length > 0) yield entries;
    }
  }

  private async readChunk(from: number, to: number): Promise<RecordedEntry[]> {
    const site = this.options.config.site.id;
    const measurements = [...this.plans.keys()];
    const where = `WHERE "site" = ${quoteString(site)} AND time >= ${Math.floor(from)}ms AND time < ${Math.floor(to)}ms`;
    const statements = measurements.map((m) => `SELECT * FROM ${this.from(m)} ${where} GROUP BY "device"`);
    statements.push(`SELECT * FROM ${this.from(EVENT_MEASUREMENT)} ${where} GROUP BY "device", "event"`);
    const results = await this.query(statements.join('; '));
    const rows: Array<{ ts: number; order: number; entries: RecordedEntry[] }> = [];
    let order = 0;
    results.forEach((result, k) => {
      if (result.error !== undefined) throw new Error(`InfluxDB: ${result.error} (statement ${k + 1})`);
      if (result.partial === true) this.notes.add(`InfluxDB returned a partial result for ${iso(from)}–${iso(to)}: raise its max-row-limit or shorten the chunk`);
      const measurement = measurements[k];
      for (const series of result.series ?? []) {
        if (series.partial === true) this.notes.add(`InfluxDB returned a partial series ${series.name} for ${iso(from)}–${iso(to)}`);
        const device = series.tags?.device;
        if (device === undefined) continue;
        if (measurement === undefined) {
          for (const row of series.values) rows.push({ ts: timeOf(row), order: order++, entries: [this.eventOf(series, row, device)] });
          continue;
        }
        const plan = this.plans.get(measurement)?.get(device);
        if (plan === undefined) continue; // a device this config does not have (any more)
        const columnIndex = new Map(series.columns.map((c, i) => [c, i]));
        for (const row of series.values) rows.push({ ts: timeOf(row), order: order++, entries: this.samplesOf(plan, columnIndex, row) });
      }
    });
    rows.sort((a, b) => a.ts - b.ts || a.order - b.order);
    return rows.flatMap((r) => r.entries);
  }

  private samplesOf(plan: DeviceReadPlan, columns: ReadonlyMap<string, number>, row: readonly unknown[]): Sample[] {
    const ts = timeOf(row);
    const out: Sample[] = [];
    for (const name of plan.points) {
      const vi = columns.get(name);
      const qi = columns.get(`${name}_quality`);
      const value = vi === undefined ? null : row[vi];
      const quality = qi === undefined ? null : row[qi];
      if ((value === null || value === undefined) && (quality === null || quality === undefined)) continue;
      if (quality !== null && quality !== undefined && (typeof quality !== 'string' || !QUALITIES.has(quality))) {
        this.notes.add(`unknown quality ${JSON.stringify(quality)} in field ${name}_quality of ${plan.device}: those readings are left out`);
        continue;
      }
      if (value !== null && value !== undefined && typeof value !== 'number' && typeof value !== 'boolean' && typeof value !== 'string') continue;
      out.push({ point: pointId(plan.device, name), value: value ?? null, ts, quality: (quality ?? 'good') as Quality });
    }
    return out;
  }

  private eventOf(series: InfluxSeries, row: readonly unknown[], device: string): RecordedEntry {
    const attributes: Record<string, PointValue> = {};
    series.columns.forEach((column, i) => {
      const v = row[i];
      if (column === 'time' || column === 'count' || column === 'site' || v === null || v === undefined) return;
      if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') attributes[column] = v;
    });
    const event: DeviceEvent = { device, event: series.tags?.event ?? '', ts: timeOf(row), attributes };
    return { kind: 'event', event };
  }

  private from(measurement: string): string {
    const rp = this.options.target.retentionPolicy;
    return rp === undefined ? quoteIdent(measurement) : `${quoteIdent(rp)}.${quoteIdent(measurement)}`;
  }

  private async query(q: string): Promise<NonNullable<InfluxResponse['results']>> {
    const { target } = this.options;
    const body = new URLSearchParams({ q, db: target.database, epoch: 'ms' });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (target.token !== undefined) headers.authorization = `Token ${target.token}`;
    else if (target.username !== undefined) headers.authorization = `Basic ${Buffer.from(`${target.username}:${target.password ?? ''}`).toString('base64')}`;
    const url = `${target.url.replace(/\/+$/, '')}/query`;
    let response: Response;
    try {
      response = await fetch(url, { method: 'POST', headers, body: body.toString(), signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      throw new Error(`InfluxDB at ${target.url} cannot be reached: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const text = await response.text();
    let parsed: InfluxResponse;
    try {
      parsed = JSON.parse(text) as InfluxResponse;
    } catch {
      throw new Error(`InfluxDB answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
    if (!response.ok || parsed.error !== undefined) throw new Error(`InfluxDB answered ${response.status}: ${parsed.error ?? text.slice(0, 200)}`);
    return parsed.results ?? [];
  }
}

function timeOf(row: readonly unknown[]): number {
  const t = row[0];
  if (typeof t !== 'number') throw new Error(`InfluxDB row without a numeric time (epoch=ms): ${JSON.stringify(t)}`);
  return t;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function quoteString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
