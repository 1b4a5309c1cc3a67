import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { ConfigError } from '../config/config-error.js';
import { loadConfigFile, parseConfig, type LoadOptions } from '../config/loader.js';
import type { SiteConfig } from '../config/schema.js';
import { findProfile as findBuiltInProfile } from '../profiles/index.js';
import type { DeviceProfile } from '../profiles/types.js';
import { compileRules, RuleCompileError, type CompiledRuleSet, type ProfileLookup } from '../rules/compile.js';

/**
 * The rule sets a back-test compares. A candidate (`loadCandidate`, the one place that decides) is either
 * - a site config file (it has a `site` section): its rules, rule files and work-order templates replace the
 *   current ones whole — the file the rule author would deploy; or
 * - a rule file (anything else): applied on top of the current site config, as `rules check --config` does,
 *   so a rule author back-tests just the file they changed.
 * Both go through the config loader, so every error names the file, the line and the path.
 */

export interface RuleSetUnderTest {
  /** For the report: where the rules came from. */
  label: string;
  config: SiteConfig;
  rules: CompiledRuleSet;
}

/** Raised for input a back-test cannot run on; the message names the file or the option. */
export class BacktestInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BacktestInputError';
  }
}

export interface RuleSetLoadOptions {
  findProfile?: (id: string) => DeviceProfile | undefined;
  env?: NodeJS.ProcessEnv;
}

/** Loads and compiles a rule set from a file (see above); throws ConfigError or BacktestInputError. */
export function loadRuleSet(path: string, options: RuleSetLoadOptions = {}): RuleSetUnderTest {
  const loadOptions: LoadOptions = { displayName: path, ...(options.env === undefined ? {} : { env: options.env }), ...(options.findProfile === undefined ? {} : { findProfile: options.findProfile }) };
  const config = loadConfigFile(path, loadOptions);
  return ruleSetFromConfig(path, config, options.findProfile ?? findBuiltInProfile);
}

/** Where the current rules come from: a site file, or config text (the built-in demo building). */
export type CurrentConfigSource = { path: string } | { text: string; name: string };

/** Loads the current rule set. */
export function loadCurrent(source: CurrentConfigSource, options: RuleSetLoadOptions = {}): RuleSetUnderTest {
  return 'path' in source ? loadRuleSet(source.path, options) : loadWith(source, options, undefined);
}

/** Loads a candidate: a site config file, or a rule file applied over the current config (see above). */
export function loadCandidate(path: string, current: CurrentConfigSource, options: RuleSetLoadOptions = {}): RuleSetUnderTest {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new BacktestInputError(`${path}: cannot read: ${(err as Error).message}`);
  }
  const top: unknown = parseDocument(text).toJS();
  const isSiteConfig = top !== null && typeof top === 'object' && !Array.isArray(top) && 'site' in top;
  if (isSiteConfig) return loadRuleSet(path, options);
  const rules = loadWith(current, options, { path, name: path });
  return { ...rules, label: `${rules.label} + ${path}` };
}

function loadWith(source: CurrentConfigSource, options: RuleSetLoadOptions, extra: { path: string; name: string } | undefined): RuleSetUnderTest {
  const loadOptions: LoadOptions = {
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.findProfile === undefined ? {} : { findProfile: options.findProfile }),
    ...(extra === undefined ? {} : { extraRuleFiles: [extra] }),
  };
  const label = 'path' in source ? source.path : source.name;
  const config = 'path' in source ? loadConfigFile(source.path, { ...loadOptions, displayName: source.path }) : parseConfig(source.text, { ...loadOptions, displayName: source.name });
  return ruleSetFromConfig(label, config, options.findProfile ?? findBuiltInProfile);
}

/** Compiles the rules of a config already loaded (the running gateway's, a test's). */
export function ruleSetFromConfig(label: string, config: SiteConfig, lookupProfile: ProfileLookup = findBuiltInProfile): RuleSetUnderTest {
  try {
    return { label, config, rules: compileRules(config, lookupProfile) };
  } catch (err) {
    if (err instanceof RuleCompileError) throw new BacktestInputError(`${label}: ${err.message}`);
    throw err;
  }
}

export { ConfigError };
