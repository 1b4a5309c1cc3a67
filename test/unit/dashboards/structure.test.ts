import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

/** The Grafana dashboards and their provisioning: what Grafana needs to load them, checked without Grafana. */

const DASHBOARDS_DIR = fileURLToPath(new URL('../../../dashboards/', import.meta.url));
const DATASOURCE_YAML = join(DASHBOARDS_DIR, 'provisioning/datasources/influxdb.yaml');
const PROVIDER_YAML = join(DASHBOARDS_DIR, 'provisioning/dashboards/facility-gw.yaml');
/** The mounts the provider file documents: Grafana's paths → directories of dashboards/. */
const MOUNTS: Readonly<Record<string, string>> = {
  '/etc/grafana/provisioning': 'provisioning',
  '/var/lib/grafana/dashboards/facility-gw': '.',
};

interface DataSourceRef {
  type?: string;
  uid?: string;
}
interface Target {
  refId?: string;
  query?: string;
  rawQuery?: boolean;
  datasource?: DataSourceRef;
}
interface Panel {
  id?: number;
  type: string;
  title?: string;
  datasource?: DataSourceRef | null;
  targets?: Target[];
  panels?: Panel[];
  gridPos?: { x: number; y: number; w: number; h: number };
}
interface Variable {
  name: string;
  type: string;
  query?: string;
  datasource?: DataSourceRef;
}
interface Annotation {
  builtIn?: number;
  name: string;
  datasource?: DataSourceRef;
  query?: string;
}
interface Dashboard {
  uid?: string;
  title?: string;
  panels?: Panel[];
  templating?: { list?: Variable[] };
  annotations?: { list?: Annotation[] };
}
interface DataSourceYaml {
  datasources: Array<{ uid: string; type: string; url: string; isDefault?: boolean; jsonData: Record<string, unknown> }>;
}
interface ProviderYaml {
  providers: Array<{ type: string; options: { path: string } }>;
}

const files = readdirSync(DASHBOARDS_DIR).filter((f) => f.endsWith('.json')).sort();
const dashboards = files.map((file) => ({ file, text: readFileSync(join(DASHBOARDS_DIR, file), 'utf8') }));
const datasource = (parse(readFileSync(DATASOURCE_YAML, 'utf8')) as DataSourceYaml).datasources[0];
const DS_UID = datasource?.uid;

function load(text: string): Dashboard {
  return JSON.parse(text) as Dashboard;
}

/** Every panel, including those inside rows. */
function allPanels(dashboard: Dashboard): Panel[] {
  return (dashboard.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
}

function queryPanels(dashboard: Dashboard): Panel[] {
  return allPanels(dashboard).filter((p) => p.type !== 'row');
}

function queriesOf(dashboard: Dashboard): string[] {
  const fromPanels = queryPanels(dashboard).flatMap((p) => (p.targets ?? []).map((t) => t.query ?? ''));
  const fromAnnotations = (dashboard.annotations?.list ?? []).filter((a) => !a.builtIn).map((a) => a.query ?? '');
  return [...fromPanels, ...fromAnnotations];
}

/** A panel uses the provisioned data source by uid, or leaves it out and gets the default, which it is. */
function usesProvisioned(ref: DataSourceRef | null | undefined): boolean {
  if (ref === undefined || ref === null) return datasource?.isDefault === true;
  return ref.uid === DS_UID && ref.type === 'influxdb';
}

describe('dashboard files', () => {
  it('are the six dashboards, each valid JSON', () => {
    expect(files).toEqual(['alarms.json', 'building-overview.json', 'elevators.json', 'gateway-health.json', 'pumps.json', 'security.json']);
    for (const { file, text } of dashboards) expect(() => load(text), file).not.toThrow();
  });

  it('have fixed, unique uids and unique titles', () => {
    const parsed = dashboards.map(({ text }) => load(text));
    const uids = parsed.map((d) => d.uid);
    for (const uid of uids) expect(uid).toMatch(/^facility-gw-[a-z0-9-]+$/);
    expect(new Set(uids).size).toBe(uids.length);
    expect(new Set(parsed.map((d) => d.title)).size).toBe(parsed.length);
  });
});

describe.each(dashboards)('$file', ({ text }) => {
  const dashboard = load(text);

  it('numbers its panels uniquely, rows and the panels inside them included', () => {
    const ids = allPanels(dashboard).map((p) => p.id);
    expect(ids.every((id) => Number.isInteger(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('places every panel on the 24-column grid', () => {
    for (const p of allPanels(dashboard)) {
      const g = p.gridPos;
      expect(g, p.title).toBeDefined();
      if (g) expect(g.x >= 0 && g.w > 0 && g.x + g.w <= 24 && g.h > 0, p.title).toBe(true);
    }
  });

  it('queries the provisioned data source from every panel, with at least one raw InfluxQL query', () => {
    const panels = queryPanels(dashboard);
    expect(panels.length).toBeGreaterThan(0);
    for (const p of panels) {
      expect(usesProvisioned(p.datasource), p.title).toBe(true);
      const targets = p.targets ?? [];
      expect(targets.length, p.title).toBeGreaterThan(0);
      expect(new Set(targets.map((t) => t.refId)).size, p.title).toBe(targets.length);
      for (const t of targets) {
        expect(t.query?.trim(), p.title).toBeTruthy();
        expect(t.rawQuery, p.title).toBe(true);
        if (t.datasource) expect(usesProvisioned(t.datasource), p.title).toBe(true);
      }
    }
  });

  it('has the template variables site and device, the device list filtered by site', () => {
    const variables = dashboard.templating?.list ?? [];
    const site = variables.find((v) => v.name === 'site');
    const device = variables.find((v) => v.name === 'device');
    for (const v of [site, device]) {
      expect(v?.type).toBe('query');
      expect(usesProvisioned(v?.datasource)).toBe(true);
      expect(v?.query).toMatch(/^SHOW TAG VALUES /);
    }
    expect(site?.query).toContain('WITH KEY = "site"');
    expect(device?.query).toContain('WITH KEY = "device"');
    expect(device?.query).toContain('"site" =~ /^$site$/');
  });

  it('bounds every query in time and filters it by site, using variables only as anchored regexes', () => {
    for (const query of queriesOf(dashboard)) {
      expect(query.includes('$timeFilter') || query.includes('${__to}ms'), query).toBe(true);
      expect(query, query).toContain('"site" =~ /^$site$/');
      // Values are regex-escaped by Grafana only in this form; anywhere else they would go in raw.
      const rest = query.replaceAll('/^$site$/', '').replaceAll('/^$device$/', '');
      expect(rest, query).not.toMatch(/\$(site|device)\b|\$\{(site|device)\}|\[\[(site|device)\]\]/);
    }
  });

  it('reads its annotations from the provisioned data source', () => {
    for (const a of (dashboard.annotations?.list ?? []).filter((x) => !x.builtIn)) {
      expect(usesProvisioned(a.datasource), a.name).toBe(true);
      expect(a.query?.trim(), a.name).toBeTruthy();
    }
  });
});

describe('provisioning', () => {
  it('defines the InfluxQL data source from the environment', () => {
    expect(datasource).toMatchObject({ uid: 'facility-gw-influxdb', type: 'influxdb', url: '${INFLUX_URL}' });
    expect(datasource?.jsonData).toMatchObject({ version: 'InfluxQL', dbName: '${INFLUX_DB}' });
  });

  it('points the dashboard provider at the directory holding the dashboards, under the documented mounts', () => {
    const providerText = readFileSync(PROVIDER_YAML, 'utf8');
    const provider = (parse(providerText) as ProviderYaml).providers[0];
    expect(provider?.type).toBe('file');
    const mounted = MOUNTS[provider?.options.path ?? ''];
    expect(mounted, 'provider path is one of the documented mounts').toBeDefined();
    for (const file of files) expect(existsSync(join(DASHBOARDS_DIR, mounted ?? '', file)), file).toBe(true);
    // Grafana looks for datasources/ and dashboards/ under its provisioning directory.
    for (const sub of ['datasources', 'dashboards']) expect(existsSync(join(DASHBOARDS_DIR, MOUNTS['/etc/grafana/provisioning'] ?? '', sub))).toBe(true);
    // The example in the provider file mounts exactly these.
    for (const [grafanaPath, local] of Object.entries(MOUNTS)) {
      expect(providerText).toContain(`${local === '.' ? 'dashboards' : `dashboards/${local}`}:${grafanaPath}`);
    }
  });
});
