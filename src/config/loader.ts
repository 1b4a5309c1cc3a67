import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { LineCounter, parseDocument } from 'yaml';
import { findProfile as findBuiltInProfile } from '../profiles/index.js';
import type { DeviceProfile } from '../profiles/types.js';
import { ConfigError, formatPath, type ConfigIssue } from './config-error.js';
import { substituteEnv } from './env-substitution.js';
import { toPlainJsonSchema } from './json-schema.js';
import { SiteConfigSchema, type SiteConfig } from './schema.js';
import { applyRuleFiles, expandRuleFiles, loadRuleFiles, ruleFileIssue, type RuleProvenance } from './rule-files.js';
import { ruleWarnings } from './rule-warnings.js';
import { checkSemantics } from './semantic-checks.js';
import { schemaIssues } from './schema-issues.js';
import { lineOf } from './yaml-locate.js';

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  findProfile?: (id: string) => DeviceProfile | undefined;
  /** Name used in messages; defaults to the file's base name. */
  displayName?: string;
  /** Where `ruleFiles` are found; the site file's directory (default: the working directory). */
  baseDir?: string;
  /** More rule files, after the ones the site file names (`rules check FILES --config SITE`). */
  extraRuleFiles?: ReadonlyArray<{ path: string; name: string }>;
  /** Told of rules that can never raise or never clear (they are not errors). */
  onWarning?: (issue: ConfigIssue) => void;
}

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  compiled ??= new Ajv({ allErrors: true, useDefaults: true, discriminator: true, strict: false, verbose: true }).compile(
    toPlainJsonSchema(SiteConfigSchema),
  );
  return compiled;
}

/** Reads, validates and returns a site config file; throws ConfigError listing every problem. */
export function loadConfigFile(path: string, options: LoadOptions = {}): SiteConfig {
  const name = options.displayName ?? basename(path);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([{ file: name, path: '', message: `cannot read: ${(err as Error).message}` }]);
  }
  return parseConfig(text, { baseDir: dirname(path), ...options, displayName: name });
}

/** Validates config text (YAML or JSON). Every issue carries file, line and path. */
export function parseConfig(text: string, options: LoadOptions = {}): SiteConfig {
  const file = options.displayName ?? 'site.yaml';
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({ file, line: counter.linePos(e.pos[0]).line, path: '', message: `YAML syntax: ${e.message.split('\n')[0]}` })),
    );
  }
  const issues: ConfigIssue[] = [];
  const at = (segments: Array<string | number>, message: string) =>
    issues.push({ file, line: lineOf(doc, counter, segments), path: formatPath(segments), message });

  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError([{ file, line: 1, path: '', message: 'must be a mapping with site, links, devices and sinks' }]);
  }
  const data = substituteEnv(raw, options.env ?? process.env, at);
  const validate = validator();
  if (!validate(data)) {
    for (const { segments, message } of schemaIssues(validate.errors ?? [])) at(segments, message);
  }
  let config = data as SiteConfig;
  if (issues.length === 0) {
    let provenance: RuleProvenance = new Map();
    const ruleFiles = [...expandRuleFiles(config.ruleFiles ?? [], options.baseDir ?? process.cwd()), ...(options.extraRuleFiles ?? [])];
    if (ruleFiles.length > 0) {
      const loaded = loadRuleFiles(ruleFiles, options.env ?? process.env);
      issues.push(...loaded.issues);
      ({ config, provenance } = applyRuleFiles(config, loaded.files));
    }
    if (issues.length === 0) {
      // A problem in a rule that came from a rule file is reported at that file's line.
      for (const issue of checkSemantics(config, options.findProfile ?? findBuiltInProfile)) {
        const moved = ruleFileIssue(provenance, issue.segments, issue.message);
        if (moved) issues.push(moved);
        else at(issue.segments, issue.message);
      }
    }
    if (issues.length === 0 && options.onWarning) {
      for (const w of ruleWarnings(config, options.findProfile ?? findBuiltInProfile)) {
        options.onWarning(ruleFileIssue(provenance, w.segments, w.message) ?? { file, line: lineOf(doc, counter, w.segments), path: formatPath(w.segments), message: w.message });
      }
    }
  }
  if (issues.length > 0) throw new ConfigError(sortIssues(issues));
  return config;
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  // The site file first, then each rule file; by line within a file.
  const order = new Map<string, number>();
  for (const i of issues) if (!order.has(i.file)) order.set(i.file, order.size);
  return [...issues].sort((a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0) || (a.line ?? 0) - (b.line ?? 0));
}
