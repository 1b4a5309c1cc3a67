import { DAY_MS, fromLocalMs, parseDateTime, parseDay, toLocalMs } from '../notify/time-zone.js';

/** A report's period [from, to) with the words a reader sees for it. */
export interface ReportPeriod {
  from: number;
  to: number;
  /** `November 2026` for a calendar month, else `2026-11-03 – 2026-11-09`. */
  label: string;
  timeZone: string;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** A bad --from / --to; the message names the option and what was wrong. */
export class PeriodError extends Error {
  override readonly name = 'PeriodError';
}

/**
 * The period of `--from A --to B`. A date (`YYYY-MM-DD`) is a whole local day in the site's time zone: `--from`
 * starts at its midnight, `--to` ends at the midnight after it (so `--from 2026-11-01 --to 2026-11-30` is all of
 * November). A date and time (`YYYY-MM-DDTHH:MM`, local; with `Z` or `±HH:MM` an exact instant) is taken as is,
 * `--to` exclusive.
 */
export function parsePeriod(fromText: string, toText: string, timeZone: string): ReportPeriod {
  const from = parseBound(fromText, 'from', timeZone);
  const to = parseBound(toText, 'to', timeZone);
  if (to <= from) throw new PeriodError(`--to (${toText}) must be after --from (${fromText})`);
  return { from, to, label: labelOf(from, to, timeZone), timeZone };
}

function parseBound(text: string, which: 'from' | 'to', timeZone: string): number {
  const day = parseDay(text);
  if (day !== undefined) return fromLocalMs((which === 'to' ? day + 1 : day) * DAY_MS, timeZone);
  const instant = parseDateTime(text, timeZone);
  if (instant !== undefined) return instant;
  throw new PeriodError(`--${which}: "${text}" is not a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM, optionally with Z or ±HH:MM)`);
}

/** The calendar month before the one `now` falls in, in `timeZone`. */
export function previousMonth(now: number, timeZone: string): ReportPeriod {
  const local = new Date(toLocalMs(now, timeZone));
  const year = local.getUTCFullYear();
  const month = local.getUTCMonth();
  const from = fromLocalMs(Date.UTC(year, month - 1, 1), timeZone);
  const to = fromLocalMs(Date.UTC(year, month, 1), timeZone);
  return { from, to, label: labelOf(from, to, timeZone), timeZone };
}

/** `2026-11` for the month a period starts in (the key a delivered monthly report is kept under). */
export function monthKey(period: Pick<ReportPeriod, 'from' | 'timeZone'>): string {
  return new Date(toLocalMs(period.from, period.timeZone)).toISOString().slice(0, 7);
}

function labelOf(from: number, to: number, timeZone: string): string {
  const a = new Date(toLocalMs(from, timeZone));
  const b = new Date(toLocalMs(to, timeZone));
  const midnight = (d: Date) => d.getUTCHours() === 0 && d.getUTCMinutes() === 0 && d.getUTCSeconds() === 0;
  if (midnight(a) && midnight(b) && a.getUTCDate() === 1 && b.getUTCDate() === 1) {
    const months = (b.getUTCFullYear() - a.getUTCFullYear()) * 12 + b.getUTCMonth() - a.getUTCMonth();
    if (months === 1) return `${MONTHS[a.getUTCMonth()] ?? ''} ${a.getUTCFullYear()}`;
  }
  if (midnight(a) && midnight(b)) {
    const last = new Date(b.getTime() - DAY_MS);
    return `${a.toISOString().slice(0, 10)} – ${last.toISOString().slice(0, 10)}`;
  }
  const fmt = (d: Date) => d.toISOString().slice(0, 16).replace('T', ' ');
  return `${fmt(a)} – ${fmt(b)}`;
}
