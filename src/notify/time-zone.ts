/**
 * Wall-clock arithmetic in an IANA time zone with nothing but Intl, DST included. A "local ms" value is a
 * wall-clock reading written as if it were UTC (Date.UTC(y, m, d, h, min)); it is not an instant.
 */

const MINUTE_MS = 60_000;
export const DAY_MS = 24 * 60 * MINUTE_MS;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when `timeZone` is an IANA zone this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock reading of instant `ts` in `timeZone`, as local ms. */
export function toLocalMs(ts: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(ts))) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  const { year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = parts;
  return Date.UTC(year, month - 1, day, hour, minute, second) + (((ts % 1000) + 1000) % 1000);
}

/** Offset of `timeZone` from UTC at instant `ts`, ms (east positive). */
export function offsetAt(ts: number, timeZone: string): number {
  return toLocalMs(ts, timeZone) - ts;
}

/**
 * The instant a wall-clock reading happens in `timeZone`. A reading that happens twice (clocks set back)
 * gives the first; one that never happens (clocks set forward) is moved forward by the gap, as a clock on
 * the wall would show it (02:30 on a spring-forward night becomes 03:30). Same rule as Temporal's
 * "compatible" disambiguation.
 */
export function fromLocalMs(localMs: number, timeZone: string): number {
  // Real zones change their offset at most once within two days, so the offsets a day either side are the
  // only two candidates.
  const before = offsetAt(localMs - DAY_MS, timeZone);
  const after = offsetAt(localMs + DAY_MS, timeZone);
  const valid = [...new Set([before, after])].map((o) => localMs - o).filter((t) => toLocalMs(t, timeZone) === localMs);
  if (valid.length > 0) return Math.min(...valid);
  return localMs - before;
}

/** Days since 1970-01-01 of the local date of `localMs`. */
export function localDay(localMs: number): number {
  return Math.floor(localMs / DAY_MS);
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** `YYYY-MM-DD` → days since 1970-01-01; undefined when it is not a real calendar date. */
export function parseDay(text: string): number | undefined {
  const m = DATE.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  return ms / DAY_MS;
}

/** `HH:MM` → minutes after midnight; undefined when malformed. */
export function parseTimeOfDay(text: string): number | undefined {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

const DATETIME = /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?(Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)?$/;

/**
 * `YYYY-MM-DDTHH:MM[:SS]` read as wall-clock time in `timeZone`, or with `Z` / `±HH:MM` as that exact
 * instant. Undefined when malformed.
 */
export function parseDateTime(text: string, timeZone: string): number | undefined {
  const m = DATETIME.exec(text);
  if (!m) return undefined;
  const day = parseDay(m[1] ?? '');
  if (day === undefined) return undefined;
  const localMs = day * DAY_MS + (Number(m[2]) * 60 + Number(m[3])) * MINUTE_MS + Number(m[4] ?? 0) * 1000;
  const zone = m[5];
  if (zone === undefined) return fromLocalMs(localMs, timeZone);
  if (zone === 'Z') return localMs;
  const sign = zone.startsWith('-') ? -1 : 1;
  const [hh, mm] = zone.slice(1).split(':').map(Number);
  return localMs - sign * ((hh ?? 0) * 60 + (mm ?? 0)) * MINUTE_MS;
}

/** The instant of `minuteOfDay` on local day `day` in `timeZone`. */
export function instantOf(day: number, minuteOfDay: number, timeZone: string): number {
  return fromLocalMs(day * DAY_MS + minuteOfDay * MINUTE_MS, timeZone);
}
