import { DAY_MS, fromLocalMs, toLocalMs } from '../notify/time-zone.js';

/**
 * Cron expressions for planned maintenance, in node-cron's syntax: five fields (minute hour day-of-month
 * month day-of-week) or six with a leading second; `*`, lists, ranges, steps (`*\/2`, `1-10/3`), month and
 * weekday names (`jan`, `january`, `mon`, `monday`), 0 and 7 both Sunday, `L` for the last day of the month.
 * Like node-cron (and unlike Vixie cron), day-of-month and day-of-week must BOTH match, so
 * `0 9 1-7 * mon` is "the first Monday of the month at 09:00".
 *
 * node-cron itself runs jobs on the real clock; the gateway needs the schedule maths on its injected Clock
 * and in the site's time zone, so this module only parses and computes occurrences. Occurrences are
 * wall-clock readings in the zone: a time that does not exist on a spring-forward night moves forward by
 * the gap (02:30 becomes 03:30), a time that happens twice on a fall-back night counts once (the first).
 */

export interface CronSpec {
  readonly expression: string;
  readonly seconds: ReadonlySet<number>;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  /** Days of the month 1..31. */
  readonly days: ReadonlySet<number>;
  /** True when the day-of-month field includes `L` (the last day of the month). */
  readonly lastDay: boolean;
  /** Months 1..12. */
  readonly months: ReadonlySet<number>;
  /** Weekdays 0..6, 0 = Sunday. */
  readonly weekdays: ReadonlySet<number>;
}

export type CronParse = { ok: true; spec: CronSpec } | { ok: false; error: string };

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MONTH_NAMES = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const WEEKDAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

interface FieldDef {
  name: string;
  min: number;
  max: number;
  names?: ReadonlyMap<string, number>;
  allowLast?: boolean;
}

const namesOf = (short: string[], long: string[], first: number): Map<string, number> =>
  new Map([...short.map((n, i): [string, number] => [n, i + first]), ...long.map((n, i): [string, number] => [n, i + first])]);

const SECOND: FieldDef = { name: 'second', min: 0, max: 59 };
const MINUTE: FieldDef = { name: 'minute', min: 0, max: 59 };
const HOUR: FieldDef = { name: 'hour', min: 0, max: 23 };
const DAY: FieldDef = { name: 'day of month', min: 1, max: 31, allowLast: true };
const MONTH: FieldDef = { name: 'month', min: 1, max: 12, names: namesOf(MONTHS, MONTH_NAMES, 1) };
const WEEKDAY: FieldDef = { name: 'day of week', min: 0, max: 7, names: namesOf(WEEKDAYS, WEEKDAY_NAMES, 0) };

class CronSyntaxError extends Error {}

/** Parses a cron expression; the error names the field and what is wrong with it. */
export function parseCron(expression: string): CronParse {
  const fields = expression.trim().split(/\s+/).filter((f) => f !== '');
  if (fields.length !== 5 && fields.length !== 6) {
    return { ok: false, error: `"${expression}" has ${fields.length} field${fields.length === 1 ? '' : 's'}; a cron expression has 5 (minute hour day month weekday) or 6 (second first)` };
  }
  const [second, minute, hour, day, month, weekday] = fields.length === 6 ? fields : ['0', ...fields];
  try {
    const days = parseField(day ?? '', DAY);
    const weekdays = parseField(weekday ?? '', WEEKDAY);
    // 7 is Sunday too.
    if (weekdays.values.delete(7)) weekdays.values.add(0);
    const spec: CronSpec = {
      expression,
      seconds: parseField(second ?? '', SECOND).values,
      minutes: parseField(minute ?? '', MINUTE).values,
      hours: parseField(hour ?? '', HOUR).values,
      days: days.values,
      lastDay: days.last,
      months: parseField(month ?? '', MONTH).values,
      weekdays: weekdays.values,
    };
    if (!canEverMatch(spec)) return { ok: false, error: `"${expression}" never happens: no month has that day` };
    return { ok: true, spec };
  } catch (err) {
    if (err instanceof CronSyntaxError) return { ok: false, error: `"${expression}": ${err.message}` };
    throw err;
  }
}

function parseField(text: string, def: FieldDef): { values: Set<number>; last: boolean } {
  const values = new Set<number>();
  let last = false;
  for (const part of text.toLowerCase().split(',')) {
    if (part === '') throw new CronSyntaxError(`${def.name} field "${text}" has an empty list item`);
    if (part === 'l') {
      if (!def.allowLast) throw new CronSyntaxError(`${def.name} field does not take L (only day of month does)`);
      last = true;
      continue;
    }
    const [range, stepText, extra] = part.split('/');
    if (extra !== undefined) throw new CronSyntaxError(`${def.name} field "${part}" has more than one /`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) < 1) throw new CronSyntaxError(`${def.name} field "${part}": the step after / must be a whole number of at least 1`);
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (range === '*' || range === '?') {
      from = def.min;
      to = def.max === 7 ? 6 : def.max;
    } else {
      const bounds = (range ?? '').split('-');
      if (bounds.length > 2) throw new CronSyntaxError(`${def.name} field "${part}" is not a value, a range a-b or *`);
      from = valueOf(bounds[0] ?? '', def);
      to = bounds.length === 2 ? valueOf(bounds[1] ?? '', def) : stepText !== undefined ? (def.max === 7 ? 6 : def.max) : from;
      if (to < from) throw new CronSyntaxError(`${def.name} range "${range ?? ''}" runs backwards`);
    }
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return { values, last };
}

function valueOf(token: string, def: FieldDef): number {
  const named = def.names?.get(token);
  if (named !== undefined) return named;
  if (!/^\d+$/.test(token)) {
    const hint = def.names !== undefined ? ` (a number ${def.min}-${def.max} or a name such as ${[...def.names.keys()][1] ?? ''})` : ` (a number ${def.min}-${def.max})`;
    throw new CronSyntaxError(`${def.name} "${token}" is not a valid value${hint}`);
  }
  const v = Number(token);
  if (v < def.min || v > def.max) throw new CronSyntaxError(`${def.name} ${v} is out of range ${def.min}-${def.max}`);
  return v;
}

/** Days-in-month of each month in a leap year: the most a month can have. */
const MAX_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function canEverMatch(spec: CronSpec): boolean {
  if (spec.lastDay) return true;
  for (const m of spec.months) for (const d of spec.days) if (d <= (MAX_DAYS[m - 1] ?? 0)) return true;
  return false;
}

/** The longest span searched for the next occurrence: Feb 29 on a Monday can be 28 years away. */
const SEARCH_DAYS = 366 * 30;

/**
 * The first occurrence strictly after `afterTs` in `timeZone`, or undefined if there is none within
 * decades (an expression like `0 0 29 2 1` that almost never matches).
 */
export function nextCron(spec: CronSpec, afterTs: number, timeZone: string): number | undefined {
  // Start from the next whole second after `afterTs` in local wall time.
  let local = Math.floor(toLocalMs(afterTs, timeZone) / 1000) * 1000 + 1000;
  const limit = local + SEARCH_DAYS * DAY_MS;
  while (local < limit) {
    const candidate = nextLocalMatch(spec, local, limit);
    if (candidate === undefined) return undefined;
    const instant = fromLocalMs(candidate, timeZone);
    // A wall-clock time of a fall-back night maps to its first instant, which may lie before `afterTs`
    // (the second pass of the repeated hour): it happened already, look further.
    if (instant > afterTs) return instant;
    local = candidate + 1000;
  }
  return undefined;
}

/** The first local ms ≥ `fromLocal` whose fields all match, searching up to `limit`. */
function nextLocalMatch(spec: CronSpec, fromLocal: number, limit: number): number | undefined {
  let d = new Date(fromLocal);
  while (d.getTime() < limit) {
    const month = d.getUTCMonth() + 1;
    if (!spec.months.has(month)) {
      d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1));
      continue;
    }
    if (!dayMatches(spec, d)) {
      d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1));
      continue;
    }
    if (!spec.hours.has(d.getUTCHours())) {
      d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours() + 1));
      continue;
    }
    if (!spec.minutes.has(d.getUTCMinutes())) {
      d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes() + 1));
      continue;
    }
    if (!spec.seconds.has(d.getUTCSeconds())) {
      d = new Date(d.getTime() + 1000);
      continue;
    }
    return d.getTime();
  }
  return undefined;
}

function dayMatches(spec: CronSpec, d: Date): boolean {
  const day = d.getUTCDate();
  const lastOfMonth = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  const dayOk = spec.days.has(day) || (spec.lastDay && day === lastOfMonth);
  return dayOk && spec.weekdays.has(d.getUTCDay());
}

/** How many times the expression fires on a day it matches (a maintenance schedule fires at most hourly). */
export function firingsPerDay(spec: CronSpec): number {
  return spec.seconds.size * spec.minutes.size * spec.hours.size;
}
