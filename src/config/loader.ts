import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { LineCounter, parseDocument } from 'yaml';
import { findProfile as findBuiltInProfile } from '../profiles/index.js';
import type { DeviceProfile } from '../profiles/types.js';
import { ConfigError, formatPath, type ConfigIssue } from './config-error.js';
import { substituteEnv } from './env-substitution.js';
import { toPlainJsonSchema } from './json-schema.js';
import { SiteConfigSchema, type SiteConfig } from './schema.js';
import { checkSemantics } from './semantic-checks.js';
import { lineOf } from './yaml-locate.js';

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  findProfile?: (id: string) => DeviceProfile | undefined;
  /** Name used in messages; defaults to the file's base name. */
  displayName?: string;
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
  return parseConfig(text, { ...options, displayName: name });
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
    for (const e of dedupe(validate.errors ?? [])) at(errorSegments(e), describe(e));
  }
  if (issues.length === 0) {
    const config = data as SiteConfig;
    for (const issue of checkSemantics(config, options.findProfile ?? findBuiltInProfile)) at(issue.segments, issue.message);
  }
  if (issues.length > 0) throw new ConfigError(sortIssues(issues));
  return data as SiteConfig;
}

function errorSegments(e: ErrorObject): Array<string | number> {
  const segments: Array<string | number> = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') segments.push(params.additionalProperty);
  if (e.keyword === 'required' && typeof params.missingProperty === 'string') segments.push(params.missingProperty);
  if (e.keyword === 'discriminator' && typeof params.tag === 'string') segments.push(params.tag);
  return segments;
}

function describe(e: ErrorObject): string {
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return 'unknown setting';
    case 'required':
      return 'is required';
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'discriminator':
      return params.error === 'mapping' ? `unknown type ${JSON.stringify(params.tagValue)}` : `"${String(params.tag)}" is required`;
    case 'pattern': {
      const description = (e.parentSchema as { description?: string } | undefined)?.description;
      return `must match ${String(params.pattern)}${description ? ` (${description})` : ''}`;
    }
    default:
      return e.message ?? e.keyword;
  }
}

/** oneOf reports "must match exactly one schema" on top of the branch's own error; keep only the useful ones. */
function dedupe(errors: ErrorObject[]): ErrorObject[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    if (e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'if') return false;
    const key = `${e.instancePath}|${e.keyword}|${JSON.stringify(e.params)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function sortIssues(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
}
