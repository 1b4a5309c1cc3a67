const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${NAME}` (or `${NAME:-default}`) in every string of the parsed config with the environment
 * variable, so secrets need not be written in the file. A missing variable without a default is an issue
 * at that path. Substituted values are never logged: the logger redacts secret fields.
 */
export function substituteEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
  report: (path: Array<string | number>, message: string) => void,
  path: Array<string | number> = [],
): unknown {
  if (typeof value === 'string') {
    return value.replace(PLACEHOLDER, (_match, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined) return found;
      if (fallback !== undefined) return fallback;
      report(path, `environment variable ${name} is not set`);
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, report, [...path, i]));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = substituteEnv(v, env, report, [...path, k]);
    return out;
  }
  return value;
}
