/**
 * Grafana's expansion of an InfluxQL raw query, done the way Grafana does it, so that a test can run a
 * dashboard's queries against a real InfluxDB:
 *
 * - `$timeFilter` → `time >= <from>ms and time <= <to>ms`;
 * - `$__interval` / `$__interval_ms` → the range divided by the panel's max data points, rounded to
 *   Grafana's ladder of nice intervals, but not below the panel's (or the data source's) min interval;
 * - `$__from` / `$__to` → the range in epoch milliseconds;
 * - template variables (`$site`, `${site}`, `[[site]]`) → their values, regex-escaped, as Grafana formats
 *   them for InfluxQL's `=~ /^…$/`; several values (a multi-value variable or All) become `(a|b)`.
 */

export type VariableValue = string | readonly string[];

export interface ExpandContext {
  /** Time range, epoch milliseconds. */
  from: number;
  to: number;
  /** The panel's interval: `min interval` of the panel, else of the data source (`timeInterval`). */
  minInterval?: string;
  /** The panel's max data points; Grafana uses the panel's width in pixels, about 1000 on a wide panel. */
  maxDataPoints?: number;
  variables: Readonly<Record<string, VariableValue>>;
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

/** Grafana's rounding of a raw interval (ms): the first step whose bound is above it. */
const LADDER: ReadonlyArray<readonly [below: number, interval: number]> = [
  [10, 1], [15, 10], [35, 20], [75, 50], [150, 100], [350, 200], [750, 500],
  [1_500, 1_000], [3_500, 2_000], [7_500, 5_000], [12_500, 10_000], [17_500, 15_000], [25_000, 20_000], [45_000, 30_000],
  [90_000, 60_000], [210_000, 120_000], [450_000, 300_000], [750_000, 600_000], [1_050_000, 900_000], [1_500_000, 1_200_000],
  [2_700_000, 1_800_000], [5_400_000, 3_600_000], [9_000_000, 7_200_000], [16_200_000, 10_800_000], [32_400_000, 21_600_000],
  [86_400_000, 43_200_000], [604_800_000, 86_400_000], [1_814_400_000, 604_800_000], [3_628_800_000, 2_592_000_000],
];

function roundInterval(ms: number): number {
  return LADDER.find(([below]) => ms < below)?.[1] ?? UNIT_MS.y!;
}

/** `10s`, `1h`, `500ms` → milliseconds; a leading `>` (Grafana's "at least") is ignored. */
function parseDuration(text: string): number {
  const match = /^>?(\d+)(ms|s|m|h|d|w|y)$/.exec(text.trim());
  if (!match) throw new Error(`not a Grafana interval: "${text}"`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/** Milliseconds as an InfluxQL duration in the largest unit that divides it (`90000` → `90s`). */
function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms % UNIT_MS[unit]! === 0) return `${ms / UNIT_MS[unit]!}${unit}`;
  }
  return `${ms}ms`;
}

/** `$__interval` in ms for a range, as Grafana computes it. */
export function intervalMs(ctx: Pick<ExpandContext, 'from' | 'to' | 'minInterval' | 'maxDataPoints'>): number {
  const raw = roundInterval((ctx.to - ctx.from) / (ctx.maxDataPoints ?? 1000));
  return Math.max(raw, ctx.minInterval ? parseDuration(ctx.minInterval) : 1);
}

/** Escapes what is special in a regex and the `/` that would end InfluxQL's regex literal. */
export function escapeRegex(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');
}

function formatVariable(value: VariableValue): string {
  if (typeof value === 'string') return escapeRegex(value);
  if (value.length === 0) throw new Error('a variable without a value');
  return value.length === 1 ? escapeRegex(value[0]!) : `(${value.map(escapeRegex).join('|')})`;
}

/** `$name`, `${name}` and `[[name]]`; names run over word characters, so `$__interval_ms` is one name. */
const REFERENCE = /\$\{(\w+)\}|\[\[(\w+)\]\]|\$(\w+)/g;

/** The query with every macro and variable replaced; throws on a name it does not know. */
export function expandQuery(query: string, ctx: ExpandContext): string {
  const interval = intervalMs(ctx);
  const builtins: Readonly<Record<string, string>> = {
    timeFilter: `time >= ${ctx.from}ms and time <= ${ctx.to}ms`,
    __interval: formatDuration(interval),
    __interval_ms: String(interval),
    __from: String(ctx.from),
    __to: String(ctx.to),
  };
  return query.replace(REFERENCE, (_match, braced?: string, bracketed?: string, bare?: string) => {
    const name = braced ?? bracketed ?? bare ?? '';
    if (Object.hasOwn(builtins, name)) return builtins[name]!;
    const value = Object.hasOwn(ctx.variables, name) ? ctx.variables[name] : undefined;
    if (value === undefined) throw new Error(`unknown variable $${name} in: ${query}`);
    return formatVariable(value);
  });
}
