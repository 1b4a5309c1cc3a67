import { DAY_MS, instantOf, localDay, parseDateTime, toLocalMs } from '../notify/time-zone.js';
import { nextCron, type CronSpec } from './cron.js';

const MINUTE_MS = 60_000;

/**
 * When a calendar schedule falls due, in the site's time zone:
 * - cron: at every occurrence of the expression (fixed);
 * - every-days: every N days at the anchor's time of day, counted from the anchor date (fixed: "every 15
 *   days" is not a cron expression, since cron restarts its day count every month);
 * - floating: N days after the last completion, at the anchor's time of day; the anchor itself is the first
 *   due time.
 * Days are calendar days: an order due at 09:00 stays at 09:00 across a DST change.
 */
export type CalendarRule =
  | { kind: 'cron'; spec: CronSpec }
  | { kind: 'every-days'; days: number; anchorDay: number; minuteOfDay: number }
  | { kind: 'floating'; days: number; anchorDay: number; minuteOfDay: number };

export interface Anchor {
  /** Local day (days since 1970-01-01 in the zone). */
  day: number;
  minuteOfDay: number;
}

/** `YYYY-MM-DDTHH:MM` (wall clock in the zone, or with Z/±HH:MM) or `YYYY-MM-DD` (00:00); undefined when malformed. */
export function parseAnchor(text: string, timeZone: string): Anchor | undefined {
  const instant = parseDateTime(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00` : text, timeZone);
  if (instant === undefined) return undefined;
  const local = toLocalMs(instant, timeZone);
  const day = localDay(local);
  return { day, minuteOfDay: Math.floor((local - day * DAY_MS) / MINUTE_MS) };
}

/** The first fixed occurrence strictly after `afterTs`; undefined for a floating rule or a cron that never fires. */
export function nextFixed(rule: CalendarRule, afterTs: number, timeZone: string): number | undefined {
  switch (rule.kind) {
    case 'cron':
      return nextCron(rule.spec, afterTs, timeZone);
    case 'every-days': {
      const today = localDay(toLocalMs(afterTs, timeZone));
      let k = Math.max(0, Math.floor((today - rule.anchorDay) / rule.days));
      for (;;) {
        const at = instantOf(rule.anchorDay + k * rule.days, rule.minuteOfDay, timeZone);
        if (at > afterTs) return at;
        k++;
      }
    }
    case 'floating':
      return undefined;
  }
}

/** A floating rule's due time after a completion at `completedAt`: N local days later, at the anchor's time. */
export function dueAfterCompletion(rule: CalendarRule & { kind: 'floating' }, completedAt: number, timeZone: string): number {
  return instantOf(localDay(toLocalMs(completedAt, timeZone)) + rule.days, rule.minuteOfDay, timeZone);
}

/** A floating rule's first due time (before any completion): the anchor. */
export function firstFloatingDue(rule: CalendarRule & { kind: 'floating' }, timeZone: string): number {
  return instantOf(rule.anchorDay, rule.minuteOfDay, timeZone);
}

/** The nominal interval of a rule at a period that fell due at `periodAt`: what "within 10% of the interval" is measured against. */
export function intervalAt(rule: CalendarRule, periodAt: number, timeZone: string): number {
  if (rule.kind !== 'cron') return rule.days * DAY_MS;
  const next = nextCron(rule.spec, periodAt, timeZone);
  return next === undefined ? DAY_MS : next - periodAt;
}
