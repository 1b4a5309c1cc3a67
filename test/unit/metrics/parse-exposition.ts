/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), enough to check what /metrics
 * serves: every sample belongs to a family declared by a `# TYPE` line before it, names and labels are well
 * formed, values are numbers, and histogram buckets are cumulative and end with `+Inf` equal to `_count`.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface ExposedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ExposedFamily {
  name: string;
  type: MetricType;
  help: string;
  samples: ExposedSample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const SAMPLE_LINE = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)$`);
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\[\\"n])*)"(,|$)/y;
const TYPES = new Set<string>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export function parseExposition(text: string): Map<string, ExposedFamily> {
  const families = new Map<string, ExposedFamily>();
  const helps = new Map<string, string>();
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  for (const [index, line] of text.slice(0, -1).split('\n').entries()) {
    const where = `line ${index + 1}: ${line}`;
    if (line === '') continue;
    const help = new RegExp(`^# HELP (${NAME}) (.*)$`).exec(line);
    if (help) {
      helps.set(help[1] as string, help[2] as string);
      continue;
    }
    const type = new RegExp(`^# TYPE (${NAME}) (\\w+)$`).exec(line);
    if (type) {
      const [, name, kind] = type as unknown as [string, string, string];
      if (!TYPES.has(kind)) throw new Error(`${where}: unknown type`);
      if (families.has(name)) throw new Error(`${where}: family declared twice`);
      families.set(name, { name, type: kind as MetricType, help: helps.get(name) ?? '', samples: [] });
      continue;
    }
    if (line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) throw new Error(`${where}: not a sample`);
    const [, name, labelText, valueText] = match as unknown as [string, string, string | undefined, string];
    const value = parseValue(valueText);
    if (value === undefined) throw new Error(`${where}: bad value`);
    const family = familyOf(families, name);
    if (!family) throw new Error(`${where}: no # TYPE line before this sample`);
    family.samples.push({ name, labels: parseLabels(labelText ?? '', where), value });
  }
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

function parseValue(text: string): number | undefined {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  // Prometheus reads NaN in any case; prom-client writes `Nan` (its default event-loop metrics do before the
  // first measurement).
  if (text.toLowerCase() === 'nan') return NaN;
  const value = Number(text);
  return text.trim() !== '' && !Number.isNaN(value) ? value : undefined;
}

function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < text.length) {
    const match = LABEL.exec(text);
    if (!match) throw new Error(`${where}: bad labels`);
    labels[match[1] as string] = (match[2] as string).replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

/** The family a sample belongs to: its own name, or a histogram's or summary's with a known suffix. */
function familyOf(families: Map<string, ExposedFamily>, name: string): ExposedFamily | undefined {
  const own = families.get(name);
  if (own) return own;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const family = families.get(name.slice(0, -suffix.length));
    if (family && (family.type === 'histogram' || (family.type === 'summary' && suffix !== '_bucket'))) return family;
  }
  return undefined;
}

/** Per label set (a histogram with labels has none before its first observation): cumulative, +Inf = _count. */
function checkHistogram(family: ExposedFamily): void {
  const series = new Map<string, { buckets: ExposedSample[]; count?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (sample.name === `${family.name}_bucket` && le !== undefined) entry.buckets.push(sample);
    if (sample.name === `${family.name}_count`) entry.count = sample.value;
  }
  for (const [key, { buckets, count }] of series) {
    const where = `${family.name} ${key}`;
    const last = buckets.at(-1);
    if (count === undefined || !last || last.labels.le !== '+Inf') throw new Error(`${where}: histogram without +Inf bucket or _count`);
    for (let i = 1; i < buckets.length; i++) {
      if ((buckets[i] as ExposedSample).value < (buckets[i - 1] as ExposedSample).value) throw new Error(`${where}: buckets not cumulative`);
    }
    if (last.value !== count) throw new Error(`${where}: +Inf bucket differs from _count`);
  }
}

/** The value of the one sample of `name` whose labels include `labels`; throws when there is none or more. */
export function sampleValue(families: Map<string, ExposedFamily>, name: string, labels: Record<string, string> = {}): number {
  const matches = [...families.values()]
    .flatMap((f) => f.samples)
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (matches.length !== 1) throw new Error(`${matches.length} samples of ${name} ${JSON.stringify(labels)}`);
  return (matches[0] as ExposedSample).value;
}
