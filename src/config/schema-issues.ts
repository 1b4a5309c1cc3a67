import type { ErrorObject } from 'ajv';

/**
 * Ajv's errors as the config loader reports them: a path into the document and a sentence. Shared by the
 * site file and the rule files, so both speak the same way.
 */
export function schemaIssues(errors: ErrorObject[]): Array<{ segments: Array<string | number>; message: string }> {
  return dedupe(errors).map((e) => ({ segments: errorSegments(e), message: describe(e) }));
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

