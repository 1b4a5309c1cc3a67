import { describe, expect, it } from 'vitest';
import { dueAfterCompletion, intervalAt, nextFixed, parseAnchor, type CalendarRule } from '../../../src/maintenance/calendar.js';
import { nextCron, parseCron, type CronSpec } from '../../../src/maintenance/cron.js';

const BERLIN = 'Europe/Berlin';
const SHANGHAI = 'Asia/Shanghai';
const iso = (ts: number | undefined) => (ts === undefined ? undefined : new Date(ts).toISOString());

function spec(expr: string): CronSpec {
  const p = parseCron(expr);
  if (!p.ok) throw new Error(p.error);
  return p.spec;
}

/** The next `n` occurrences after `from`. */
function series(expr: string, from: string, tz: string, n: number): Array<string | undefined> {
  const s = spec(expr);
  const out: Array<string | undefined> = [];
  let t = Date.parse(from);
  for (let i = 0; i < n; i++) {
    const next = nextCron(s, t, tz);
    out.push(iso(next));
    if (next === undefined) break;
    t = next;
  }
  return out;
}

describe('cron parsing', () => {
  it('reads names, steps, lists, ranges and Sunday as 0 or 7', () => {
    const s = spec('0 9 1-7 jan,Jul */2');
    expect([...s.months]).toEqual([1, 7]);
    expect([...s.days]).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect([...s.weekdays]).toEqual([0, 2, 4, 6]);
    expect([...spec('0 0 * * 7').weekdays]).toEqual([0]);
    expect([...spec('0 0 * * Monday-Wednesday').weekdays]).toEqual([1, 2, 3]);
    expect([...spec('30 15 0 * * *').seconds]).toEqual([30]);
  });

  it('names the field and the problem', () => {
    const err = (e: string) => {
      const p = parseCron(e);
      return p.ok ? 'parsed' : p.error;
    };
    expect(err('0 9 * *')).toMatch(/has 4 fields; a cron expression has 5/);
    expect(err('0 25 * * *')).toMatch(/hour 25 is out of range 0-23/);
    expect(err('0 9 * foo *')).toMatch(/month "foo" is not a valid value/);
    expect(err('0 9 10-2 * *')).toMatch(/day of month range "10-2" runs backwards/);
    expect(err('0 9 */0 * *')).toMatch(/step after \/ must be a whole number of at least 1/);
    expect(err('0 9 30 2 *')).toMatch(/never happens/);
    expect(err('0 L * * *')).toMatch(/hour field does not take L/);
    expect(err('0 9 1,,2 * *')).toMatch(/empty list item/);
  });
});

describe('next occurrence in the site time zone', () => {
  it('keeps 09:00 local across the spring-forward change in Berlin', () => {
    expect(series('0 9 * * *', '2026-03-27T12:00:00Z', BERLIN, 3)).toEqual([
      '2026-03-28T08:00:00.000Z', // CET, UTC+1
      '2026-03-29T07:00:00.000Z', // CEST from 29 March, UTC+2
      '2026-03-30T07:00:00.000Z',
    ]);
  });

  it('moves a time inside the spring-forward gap forward by the gap, and runs a doubled time once', () => {
    // 02:30 does not exist on 29 March 2026 in Berlin: it becomes 03:30 CEST.
    expect(series('30 2 * * *', '2026-03-28T12:00:00Z', BERLIN, 2)).toEqual(['2026-03-29T01:30:00.000Z', '2026-03-30T00:30:00.000Z']);
    // 02:30 happens twice on 25 October 2026: once only, at the first (CEST).
    expect(series('30 2 * * *', '2026-10-24T12:00:00Z', BERLIN, 2)).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
    // Starting between the two 02:30s, the repeated one does not fire again.
    expect(iso(nextCron(spec('30 2 * * *'), Date.parse('2026-10-25T00:45:00Z'), BERLIN))).toBe('2026-10-26T01:30:00.000Z');
  });

  it('runs in Asia/Shanghai (no DST): Monday 09:00 is 01:00 UTC all year', () => {
    expect(series('0 9 * * mon', '2026-03-25T00:00:00Z', SHANGHAI, 3)).toEqual(['2026-03-30T01:00:00.000Z', '2026-04-06T01:00:00.000Z', '2026-04-13T01:00:00.000Z']);
  });

  it('needs day and weekday both to match (first Wednesday), and L is the last day of the month', () => {
    expect(series('0 9 1-7 * wed', '2026-01-01T00:00:00Z', 'UTC', 3)).toEqual(['2026-01-07T09:00:00.000Z', '2026-02-04T09:00:00.000Z', '2026-03-04T09:00:00.000Z']);
    expect(series('0 9 L 2 *', '2026-01-01T00:00:00Z', 'UTC', 3)).toEqual(['2026-02-28T09:00:00.000Z', '2027-02-28T09:00:00.000Z', '2028-02-29T09:00:00.000Z']);
  });

  it('quarterly and yearly built-in expressions land on their months', () => {
    expect(series('0 9 10 3,6,9,12 *', '2026-01-01T00:00:00Z', SHANGHAI, 4)).toEqual([
      '2026-03-10T01:00:00.000Z',
      '2026-06-10T01:00:00.000Z',
      '2026-09-10T01:00:00.000Z',
      '2026-12-10T01:00:00.000Z',
    ]);
  });
});

describe('every-N-days and floating rules', () => {
  it('counts every 15 days from the anchor at the anchor’s wall-clock time, across DST', () => {
    const anchor = parseAnchor('2026-03-14T09:00', BERLIN);
    if (anchor === undefined) throw new Error('anchor');
    const rule: CalendarRule = { kind: 'every-days', days: 15, anchorDay: anchor.day, minuteOfDay: anchor.minuteOfDay };
    const first = nextFixed(rule, Date.parse('2026-03-01T00:00:00Z'), BERLIN);
    expect(iso(first)).toBe('2026-03-14T08:00:00.000Z');
    const second = nextFixed(rule, first ?? 0, BERLIN);
    expect(iso(second)).toBe('2026-03-29T07:00:00.000Z'); // 09:00 CEST
    // From any time in between, the grid holds.
    expect(iso(nextFixed(rule, Date.parse('2026-04-20T00:00:00Z'), BERLIN))).toBe('2026-04-28T07:00:00.000Z');
    expect(intervalAt(rule, first ?? 0, BERLIN)).toBe(15 * 86_400_000);
  });

  it('floats from the completion: N local days later at the anchor’s time, DST or not', () => {
    const anchor = parseAnchor('2026-03-10T09:00', BERLIN);
    if (anchor === undefined) throw new Error('anchor');
    const rule = { kind: 'floating' as const, days: 14, anchorDay: anchor.day, minuteOfDay: anchor.minuteOfDay };
    expect(iso(dueAfterCompletion(rule, Date.parse('2026-03-20T15:00:00Z'), BERLIN))).toBe('2026-04-03T07:00:00.000Z');
    const shanghai = parseAnchor('2026-03-10T09:00', SHANGHAI);
    if (shanghai === undefined) throw new Error('anchor');
    expect(iso(dueAfterCompletion({ ...rule, anchorDay: shanghai.day, minuteOfDay: shanghai.minuteOfDay }, Date.parse('2026-03-20T15:00:00Z'), SHANGHAI))).toBe(
      '2026-04-03T01:00:00.000Z',
    );
  });

  it('rejects anchors that are not dates', () => {
    expect(parseAnchor('2026-02-30T09:00', BERLIN)).toBeUndefined();
    expect(parseAnchor('next monday', BERLIN)).toBeUndefined();
    expect(parseAnchor('2026-02-03', BERLIN)).toEqual({ day: Date.UTC(2026, 1, 3) / 86_400_000, minuteOfDay: 0 });
  });
});
