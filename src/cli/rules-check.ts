import { resolve } from 'node:path';
import { ConfigError, formatIssue, type ConfigIssue } from '../config/config-error.js';
import { loadConfigFile } from '../config/loader.js';
import { applyRuleFiles, loadRuleFiles, ruleFileIssue } from '../config/rule-files.js';
import { ruleWarnings } from '../config/rule-warnings.js';
import type { DeviceConfig, SiteConfig } from '../config/schema.js';
import { checkSemantics } from '../config/semantic-checks.js';
import { builtInProfiles, findProfile } from '../profiles/index.js';

export interface RulesCheckResult {
  errors: ConfigIssue[];
  warnings: ConfigIssue[];
  /** What was checked against what, for the summary line. */
  checkedAgainst: string;
}

/**
 * `facility-gw rules check FILES [--config SITE]`. With the site file, the rule files are checked as the
 * gateway would load them, against the site's devices. Without it, against every built-in profile each
 * entry selects (by `type` or `profile`); an entry that selects devices by id only needs the site file.
 */
export function checkRuleFiles(files: readonly string[], options: { config?: string | undefined; env?: NodeJS.ProcessEnv } = {}): RulesCheckResult {
  const env = options.env ?? process.env;
  const named = files.map((f) => ({ path: resolve(f), name: f }));
  const warnings: ConfigIssue[] = [];
  if (options.config !== undefined) {
    try {
      loadConfigFile(options.config, { displayName: options.config, env, extraRuleFiles: named, onWarning: (w) => warnings.push(w) });
      return { errors: [], warnings, checkedAgainst: `the devices of ${options.config}` };
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      return { errors: err.issues, warnings, checkedAgainst: `the devices of ${options.config}` };
    }
  }
  const loaded = loadRuleFiles(named, env);
  if (loaded.issues.length > 0) return { errors: loaded.issues, warnings, checkedAgainst: 'the rule file schema' };
  // One stand-in device per built-in profile; only what the rule files bring is judged.
  const devices: DeviceConfig[] = builtInProfiles.map((p) => ({
    id: p.id, type: p.equipment, profile: p.id, link: 'none', pollIntervalMs: 1000, staleAfterPolls: 3, commLossDelayMs: 10_000, enabled: true,
    thresholds: [], eventRules: [], disableThresholds: [], topicVars: {},
  }));
  const site: SiteConfig = { site: { id: 'check', name: 'check', timezone: 'UTC' }, http: { host: '127.0.0.1', port: 0 }, embeddedBroker: { host: '127.0.0.1', port: 0 }, links: [], devices, sinks: [] };
  const { config, provenance } = applyRuleFiles(site, loaded.files);
  const errors: ConfigIssue[] = [];
  const seen = new Set<string>();
  const keep = (list: ConfigIssue[], issue: ConfigIssue | undefined) => {
    if (issue === undefined) return;
    // An entry for a type is checked once per profile of that type; say each problem once.
    const key = formatIssue(issue);
    if (!seen.has(key)) list.push(issue);
    seen.add(key);
  };
  for (const issue of checkSemantics(config, findProfile)) keep(errors, ruleFileIssue(provenance, issue.segments, `${profileOf(config, issue.segments)}${issue.message}`));
  for (const w of ruleWarnings(config, findProfile)) keep(warnings, ruleFileIssue(provenance, w.segments, `${profileOf(config, w.segments)}${w.message}`));
  return { errors, warnings, checkedAgainst: 'the built-in profiles (give --config to check against a site’s devices)' };
}

function profileOf(config: SiteConfig, segments: ReadonlyArray<string | number>): string {
  const i = segments[1];
  return typeof i === 'number' ? `with profile ${config.devices[i]?.profile ?? '?'}: ` : '';
}
