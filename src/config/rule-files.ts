import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { formatPath, type ConfigIssue } from './config-error.js';
import { substituteEnv } from './env-substitution.js';
import { toPlainJsonSchema } from './json-schema.js';
import { RuleFileSchema, type RuleEntry, type RuleFile } from './rule-file-schema.js';
import type { DeviceConfig, SiteConfig } from './schema.js';
import { lineOf } from './yaml-locate.js';
import { schemaIssues } from './schema-issues.js';

/** A rule file read and validated, with what is needed to point at its lines. */
export interface LoadedRuleFile {
  /** As shown in messages (relative to the site file's directory when given so). */
  name: string;
  rules: RuleEntry[];
  maintenance?: RuleFile['maintenance'];
  doc: Document;
  counter: LineCounter;
}

/**
 * Where a merged rule came from: `devices.<i>.<section>.<j>` (alarm rules) or `maintenance.<section>.<k>`
 * (schedules, evidence) → file and path in it.
 */
export type RuleProvenance = Map<string, { file: LoadedRuleFile; segments: Array<string | number> }>;

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  compiled ??= new Ajv({ allErrors: true, useDefaults: true, discriminator: true, strict: false, verbose: true }).compile(toPlainJsonSchema(RuleFileSchema));
  return compiled;
}

/** The files `ruleFiles` names, relative to `baseDir`; a directory stands for its *.yaml / *.yml files, sorted. */
export function expandRuleFiles(entries: readonly string[], baseDir: string): Array<{ path: string; name: string }> {
  const out: Array<{ path: string; name: string }> = [];
  for (const entry of entries) {
    const path = resolve(baseDir, entry);
    let isDir = false;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      // reported when read
    }
    if (!isDir) {
      out.push({ path, name: entry });
      continue;
    }
    for (const f of readdirSync(path).filter((n) => /\.ya?ml$/.test(n)).sort()) out.push({ path: join(path, f), name: join(entry, f) });
  }
  return out;
}

/** Reads and validates rule files; every problem is an issue with file, line and path. */
export function loadRuleFiles(
  files: ReadonlyArray<{ path: string; name: string }>,
  env: NodeJS.ProcessEnv,
): { files: LoadedRuleFile[]; issues: ConfigIssue[] } {
  const loaded: LoadedRuleFile[] = [];
  const issues: ConfigIssue[] = [];
  for (const { path, name } of files) {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      issues.push({ file: name, path: '', message: `cannot read rule file: ${(err as Error).message}` });
      continue;
    }
    const counter = new LineCounter();
    const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
    if (doc.errors.length > 0) {
      for (const e of doc.errors) issues.push({ file: name, line: counter.linePos(e.pos[0]).line, path: '', message: `YAML syntax: ${e.message.split('\n')[0]}` });
      continue;
    }
    const before = issues.length;
    const at = (segments: Array<string | number>, message: string) => issues.push({ file: name, line: lineOf(doc, counter, segments), path: formatPath(segments), message });
    const raw: unknown = doc.toJS() ?? { rules: [] };
    const data = substituteEnv(raw, env, at);
    const validate = validator();
    if (!validate(data)) for (const { segments, message } of schemaIssues(validate.errors ?? [])) at(segments, message);
    if (issues.length === before) {
      const file = data as RuleFile;
      loaded.push({ name, rules: file.rules, ...(file.maintenance !== undefined ? { maintenance: file.maintenance } : {}), doc, counter });
    }
  }
  return { files: loaded, issues };
}

function matches(entry: RuleEntry, device: DeviceConfig): boolean {
  const f = entry.for;
  return (f.type === undefined || f.type === device.type) && (f.profile === undefined || f.profile === device.profile) && (f.devices === undefined || f.devices.includes(device.id));
}

type Section = 'thresholds' | 'eventRules' | 'alarms';

/**
 * The config with the rule files applied: for each device, the matching entries' rules in file order, a
 * later one replacing an earlier one of the same id, then the device's own rules (which replace rule-file
 * ones of the same id); `disable` lists are added to `disableAlarms`. The provenance maps every merged rule
 * back to its file, so a problem the rule checks find is reported at the rule file's line.
 */
export function applyRuleFiles(config: SiteConfig, files: readonly LoadedRuleFile[]): { config: SiteConfig; provenance: RuleProvenance } {
  const provenance: RuleProvenance = new Map();
  const devices = config.devices.map((device, i) => {
    const merged: DeviceConfig = { ...device };
    const disable = [...(device.disableAlarms ?? [])];
    for (const section of ['thresholds', 'eventRules', 'alarms'] as const) {
      const byId = new Map<string, { def: { id: string }; from?: { file: LoadedRuleFile; segments: Array<string | number> } }>();
      for (const file of files) {
        file.rules.forEach((entry, k) => {
          if (!matches(entry, device)) return;
          (entry[section] as Array<{ id: string }>).forEach((def, m) => byId.set(def.id, { def, from: { file, segments: ['rules', k, section, m] } }));
        });
      }
      for (const def of (device[section] ?? []) as Array<{ id: string }>) {
        byId.delete(def.id);
        byId.set(def.id, { def });
      }
      const list = [...byId.values()];
      list.forEach((item, j) => {
        if (item.from) provenance.set(`${i}.${section}.${j}`, item.from);
      });
      (merged as Record<Section, unknown[]>)[section] = list.map((item) => item.def);
    }
    for (const file of files) for (const entry of file.rules) if (matches(entry, device)) disable.push(...entry.disable);
    merged.disableAlarms = [...new Set(disable)];
    return merged;
  });
  const maintenance = mergeMaintenance(config, files, provenance);
  return { config: { ...config, devices, ...(maintenance !== undefined ? { maintenance } : {}) }, provenance };
}

/** The site's maintenance schedules and evidence rules, then the rule files', in file order. */
function mergeMaintenance(config: SiteConfig, files: readonly LoadedRuleFile[], provenance: RuleProvenance): SiteConfig['maintenance'] {
  const withRules = files.filter((f) => f.maintenance !== undefined);
  if (withRules.length === 0) return config.maintenance;
  const base = config.maintenance ?? { schedules: [], builtIn: [], evidence: [] };
  const merged = { ...base, schedules: [...base.schedules], evidence: [...base.evidence] };
  for (const file of withRules) {
    for (const section of ['schedules', 'evidence'] as const) {
      (file.maintenance?.[section] ?? []).forEach((item, m) => {
        provenance.set(`maintenance.${section}.${merged[section].length}`, { file, segments: ['maintenance', section, m] });
        (merged[section] as unknown[]).push(item);
      });
    }
  }
  return merged;
}

/** Re-points an issue found on the merged config at the rule file a rule came from; undefined when it did not. */
export function ruleFileIssue(provenance: RuleProvenance, segments: ReadonlyArray<string | number>, message: string): ConfigIssue | undefined {
  const [a, b, c, d] = segments;
  const found =
    a === 'devices' && typeof b === 'number' && typeof c === 'string' && typeof d === 'number'
      ? { key: `${b}.${c}.${d}`, rest: segments.slice(4) }
      : a === 'maintenance' && typeof b === 'string' && typeof c === 'number'
        ? { key: `maintenance.${b}.${c}`, rest: segments.slice(3) }
        : undefined;
  const from = found === undefined ? undefined : provenance.get(found.key);
  if (from === undefined || found === undefined) return undefined;
  const inFile = [...from.segments, ...found.rest];
  return { file: from.file.name, line: lineOf(from.file.doc, from.file.counter, inFile), path: formatPath(inFile), message };
}


