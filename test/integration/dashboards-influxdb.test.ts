import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import type { Health } from '../../src/api/schemas.js';
import { DemoGateway } from '../support/demo-gateway.js';
import { expandQuery, type VariableValue } from '../support/grafana-macros.js';
import { startInfluxDb1, type InfluxDb1Server, type InfluxQlSeries } from '../support/tsdb-servers.js';

/**
 * The dashboards proven on a real database: the simulated demo building runs through the gateway into
 * InfluxDB 1.6 (the v1 sink), with faults injected so that alarms, access events and bad readings exist;
 * then every query of every panel and annotation is expanded as Grafana would and must parse and return data.
 */

const DASHBOARDS_DIR = fileURLToPath(new URL('../../dashboards/', import.meta.url));
const DB = 'facility';
const SITE = 'demo-tower';
const RUN_MS = 20_000;
/** Fast faults: each shows within a few seconds, and together they feed every panel. */
const SCENARIOS: ReadonlyArray<readonly [name: string, device: string]> = [
  ['trapped-passenger', 'elevator-2'],
  ['no-answer', 'elevator-4'],
  ['no-answer', 'sump-1'],
  ['door-forced', 'door-carpark-bike-room'],
  ['door-held-open', 'door-lobby-mailroom'],
  ['badge-denials', 'door-plant-switch-room'],
  ['controller-dropped', 'acs-roof'],
  ['fire-alarm', 'fire-panel-1/l2_d017'],
  ['detector-fault', 'fire-panel-1/l3_d005'],
  ['detector-disabled', 'fire-panel-1/l4_d012'],
  ['valve-closed', 'fire-panel-1'],
  ['linkage-failure', 'fire-panel-1'],
];

interface Target {
  refId: string;
  query: string;
}
interface Panel {
  type: string;
  title: string;
  interval?: string;
  maxDataPoints?: number;
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  title: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; query: string }> };
  annotations: { list: Array<{ name: string; query?: string }> };
}
/** One query to run: a panel target or an annotation. */
interface Query {
  name: string;
  query: string;
  minInterval?: string;
  maxDataPoints?: number;
}

const DS_MIN_INTERVAL = (parse(readFileSync(join(DASHBOARDS_DIR, 'provisioning/datasources/influxdb.yaml'), 'utf8')) as {
  datasources: Array<{ jsonData: { timeInterval?: string } }>;
}).datasources[0]?.jsonData.timeInterval;

const dashboards = readdirSync(DASHBOARDS_DIR)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => JSON.parse(readFileSync(join(DASHBOARDS_DIR, file), 'utf8')) as Dashboard);

function queriesOf(dashboard: Dashboard): Query[] {
  const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');
  return [
    ...panels.flatMap((p) =>
      (p.targets ?? []).map((t) => ({ name: `${p.title} ${t.refId}`, query: t.query, minInterval: p.interval ?? DS_MIN_INTERVAL, maxDataPoints: p.maxDataPoints })),
    ),
    ...dashboard.annotations.list.flatMap((a) => (a.query ? [{ name: `annotation ${a.name}`, query: a.query, minInterval: DS_MIN_INTERVAL }] : [])),
  ];
}

/** Some row of some series has a value besides its time. */
function hasData(series: InfluxQlSeries[]): boolean {
  return series.some((s) => s.values.some((row) => row.slice(1).some((v) => v !== null)));
}

let influx: InfluxDb1Server;
let range: { from: number; to: number };

beforeAll(async () => {
  influx = await startInfluxDb1();
  await influx.createDatabase(DB);
  const from = Date.now();
  const demo = await DemoGateway.start({
    pollIntervalMs: 200,
    commLossDelayMs: 1000,
    bacnet: true,
    sinks: [{ id: 'influx1', type: 'influxdb-v1', url: influx.url, database: DB, batchSize: 5000, flushIntervalMs: 200, maxBufferLines: 100_000, timeoutMs: 5000, gzip: true }],
  });
  try {
    // A door event published before the gateway has its door online would be lost.
    await vi.waitFor(async () => {
      const access = (await demo.get<Health>('/health')).body.links.find((l) => l.link === 'access');
      expect(access?.devices.length).toBeGreaterThan(0);
      expect(access?.devices.filter((d) => d.state !== 'online')).toEqual([]);
    }, { timeout: 20_000, interval: 100 });
    for (const [name, device] of SCENARIOS) demo.sim.startScenario(name, device);
    await new Promise((resolve) => setTimeout(resolve, RUN_MS));
    // The trapped passenger opened a work order; the contractor arrives and repairs it, so the maintenance
    // panels have a completed order to show.
    const order = demo.gateway.workOrders.list({ asset: 'elevator-2' })[0];
    if (order === undefined) throw new Error('the trapped passenger opened no work order');
    demo.gateway.workOrders.recordArrival(order.id, 'lift.contractor');
    demo.gateway.workOrders.act(order.id, 'start', { by: 'lift.contractor' });
    demo.gateway.workOrders.act(order.id, 'complete', { by: 'lift.contractor', resolution: 'Door operator relay replaced; passenger released' });
  } finally {
    await demo.stop(); // sends what is still buffered
  }
  range = { from, to: Date.now() };
});

afterAll(async () => {
  await influx?.stop();
});

/** The query as Grafana would send it for this range and these variable values. */
function expand(q: Query, variables: Record<string, VariableValue>): string {
  return expandQuery(q.query, { ...range, variables, minInterval: q.minInterval, maxDataPoints: q.maxDataPoints });
}

/** Values of a SHOW TAG VALUES query, over all the measurements it names. */
async function tagValues(query: string, variables: Record<string, VariableValue>): Promise<string[]> {
  const series = await influx.query(expand({ name: 'variable', query }, variables), DB);
  return [...new Set(series.flatMap((s) => s.values.map((row) => String(row[1]))))].sort();
}

describe.each(dashboards)('$title', (dashboard) => {
  const variable = (name: string): string => {
    const found = dashboard.templating.list.find((v) => v.name === name);
    if (!found) throw new Error(`no variable ${name}`);
    return found.query;
  };
  /** What Grafana selects by default: the site, and All devices of it. */
  let variables: Record<string, VariableValue>;

  beforeAll(async () => {
    expect(await tagValues(variable('site'), {})).toContain(SITE);
    const devices = await tagValues(variable('device'), { site: SITE });
    expect(devices.length).toBeGreaterThan(0);
    variables = { site: SITE, device: devices };
  });

  it.each(queriesOf(dashboard))('$name returns data', async (q) => {
    const query = expand(q, variables);
    expect(hasData(await influx.query(query, DB)), query).toBe(true);
  });
});

describe('one selected device', () => {
  it('narrows the elevator panels to that car', async () => {
    const dashboard = dashboards.find((d) => d.title.endsWith('Elevators'));
    if (!dashboard) throw new Error('no elevator dashboard');
    for (const q of queriesOf(dashboard)) {
      const series = await influx.query(expand(q, { site: SITE, device: 'elevator-1' }), DB);
      for (const s of series) if (s.tags?.device !== undefined) expect(s.tags.device, q.name).toBe('elevator-1');
      // elevator-1 ran without a fault: only the alarm queries may be empty.
      if (!q.query.includes('FROM "alarm"')) expect(hasData(series), q.name).toBe(true);
    }
  });
});
