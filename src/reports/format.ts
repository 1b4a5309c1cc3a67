import { toLocalMs } from '../notify/time-zone.js';
import type { DurationStats } from '../workorders/kpis.js';

/** Shared wording of the report's figures, so Markdown, HTML and CSV say the same thing. */

const MINUTE_MS = 60_000;

/** `2026-11-03 18:04` in the site's time zone. */
export function localTime(ts: number, timeZone: string): string {
  return new Date(toLocalMs(ts, timeZone)).toISOString().slice(0, 16).replace('T', ' ');
}

/** `45 min`, `2 h 5 min`, `3 d 4 h`; `–` when there is no value. */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '–';
  const sign = ms < 0 ? '−' : '';
  const minutes = Math.round(Math.abs(ms) / MINUTE_MS);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  if (d > 0) return `${sign}${d} d${h > 0 ? ` ${h} h` : ''}`;
  if (h > 0) return `${sign}${h} h${m > 0 ? ` ${m} min` : ''}`;
  return `${sign}${m} min`;
}

/** Minutes with one decimal, for CSV (a number a spreadsheet can sum); empty when there is no value. */
export function minutes(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '' : (Math.round((ms / MINUTE_MS) * 10) / 10).toString();
}

export function percent(value: number | null): string {
  return value === null ? '–' : `${value.toFixed(1)} %`;
}

export function statsText(s: DurationStats): string {
  return s.count === 0 ? 'no data' : `${duration(s.meanMs)} (median ${duration(s.medianMs)}, 90 % within ${duration(s.p90Ms)}, n = ${s.count})`;
}

/** A table as the renderers take it: header and rows of plain text cells. */
export interface Table {
  /** Machine name of the section (CSV). */
  id: string;
  title: string;
  header: string[];
  rows: string[][];
  /** Shown when there are no rows. */
  empty?: string;
}
