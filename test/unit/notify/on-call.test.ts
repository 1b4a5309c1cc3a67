import { describe, expect, it } from 'vitest';
import { OnCallSchedules } from '../../../src/alarms/notify/on-call.js';
import type { PersonConfig, ScheduleConfig } from '../../../src/config/notifications-schema.js';
import { fromLocalMs, parseDateTime, toLocalMs } from '../../../src/notify/time-zone.js';

const HOUR = 3_600_000;
const people: PersonConfig[] = ['a', 'b', 'c'].map((id) => ({ id, name: id.toUpperCase(), contacts: {} }));
const utc = (iso: string): number => Date.parse(iso);

function schedules(timeZone: string, rotations: ScheduleConfig['rotations'], overrides: ScheduleConfig['overrides'] = []): OnCallSchedules {
  return new OnCallSchedules([{ id: 'techs', rotations, overrides }], people, timeZone);
}
const who = (s: OnCallSchedules, iso: string) => s.at('techs', utc(iso))?.person?.id;

describe('time zone arithmetic', () => {
  it('moves a reading in the spring-forward gap forward and takes the first of a repeated reading', () => {
    expect(fromLocalMs(Date.UTC(2026, 2, 29, 2, 30), 'Europe/Berlin')).toBe(utc('2026-03-29T01:30:00Z'));
    expect(fromLocalMs(Date.UTC(2026, 9, 25, 2, 30), 'Europe/Berlin')).toBe(utc('2026-10-25T00:30:00Z'));
    expect(fromLocalMs(Date.UTC(2026, 9, 25, 3, 30), 'Europe/Berlin')).toBe(utc('2026-10-25T02:30:00Z'));
    expect(toLocalMs(utc('2026-07-01T10:00:00Z'), 'Asia/Shanghai')).toBe(Date.UTC(2026, 6, 1, 18));
  });

  it('reads override times as site-local unless they carry an offset', () => {
    expect(parseDateTime('2026-01-14T18:00', 'Asia/Shanghai')).toBe(utc('2026-01-14T10:00:00Z'));
    expect(parseDateTime('2026-01-14T18:00Z', 'Asia/Shanghai')).toBe(utc('2026-01-14T18:00:00Z'));
    expect(parseDateTime('2026-01-14T18:00-05:00', 'Asia/Shanghai')).toBe(utc('2026-01-14T23:00:00Z'));
    expect(parseDateTime('2026-02-30T18:00', 'UTC')).toBeUndefined();
  });
});

describe('on-call rotations', () => {
  it('hands a daily rotation off at 09:00 local on both sides of the spring DST change (a 23-hour shift)', () => {
    const s = schedules('Europe/Berlin', [{ members: ['a', 'b', 'c'], handoff: 'daily', handoffTime: '09:00', start: '2026-03-27' }]);
    expect(who(s, '2026-03-27T07:59:00Z')).toBeUndefined(); // before the first hand-off
    expect(who(s, '2026-03-28T07:59:00Z')).toBe('a'); // 08:59 CET
    const b = s.at('techs', utc('2026-03-28T08:00:00Z')); // 09:00 CET
    expect(b).toMatchObject({ person: { id: 'b', name: 'B' }, source: 'rotation', since: utc('2026-03-28T08:00:00Z'), until: utc('2026-03-29T07:00:00Z') });
    expect((b?.until ?? 0) - (b?.since ?? 0)).toBe(23 * HOUR);
    expect(who(s, '2026-03-29T06:59:00Z')).toBe('b'); // 08:59 CEST
    expect(who(s, '2026-03-29T07:00:00Z')).toBe('c'); // 09:00 CEST
    expect(who(s, '2026-03-30T07:00:00Z')).toBe('a');
  });

  it('gives the autumn shift 25 hours and keeps the local hand-off time (New York)', () => {
    const s = schedules('America/New_York', [{ members: ['a', 'b'], handoff: 'daily', handoffTime: '09:00', start: '2026-10-30' }]);
    const entry = s.at('techs', utc('2026-11-01T12:00:00Z')); // 07:00 EST, still the shift of 31 October
    expect(entry).toMatchObject({ person: { id: 'b' }, since: utc('2026-10-31T13:00:00Z'), until: utc('2026-11-01T14:00:00Z') });
    expect((entry?.until ?? 0) - (entry?.since ?? 0)).toBe(25 * HOUR);
    expect(who(s, '2026-11-01T14:00:00Z')).toBe('a');
  });

  it('hands off at a local time the spring-forward night skips as soon as the clock passes it', () => {
    const s = schedules('Europe/Berlin', [{ members: ['a', 'b'], handoff: 'daily', handoffTime: '02:30', start: '2026-03-28' }]);
    expect(who(s, '2026-03-29T01:29:00Z')).toBe('a');
    expect(who(s, '2026-03-29T01:30:00Z')).toBe('b'); // 03:30 CEST: 02:30 never happened
  });

  it('runs a weekly rotation, lets an override take over for its period, then hands on to the next rotation', () => {
    const s = schedules(
      'Asia/Shanghai',
      [
        { members: ['a', 'b'], handoff: 'weekly', handoffTime: '09:00', start: '2026-01-05', end: '2026-02-02' },
        { members: ['c'], handoff: 'weekly', handoffTime: '09:00', start: '2026-02-02' },
      ],
      [{ person: 'c', from: '2026-01-14T18:00', until: '2026-01-15T08:00' }],
    );
    expect(who(s, '2026-01-05T00:59:00Z')).toBeUndefined();
    expect(who(s, '2026-01-05T01:00:00Z')).toBe('a');
    expect(who(s, '2026-01-12T00:59:00Z')).toBe('a');
    expect(s.at('techs', utc('2026-01-12T01:00:00Z'))).toMatchObject({ person: { id: 'b' }, since: utc('2026-01-12T01:00:00Z'), until: utc('2026-01-19T01:00:00Z') });
    expect(s.at('techs', utc('2026-01-14T10:00:00Z'))).toMatchObject({ person: { id: 'c' }, source: 'override', until: utc('2026-01-15T00:00:00Z') });
    expect(who(s, '2026-01-15T00:00:00Z')).toBe('b');
    expect(who(s, '2026-02-02T00:59:00Z')).toBe('b'); // week 4 of the first rotation
    expect(s.at('techs', utc('2026-02-02T01:00:00Z'))).toMatchObject({ person: { id: 'c' }, source: 'rotation' });
    expect(s.all(utc('2026-02-02T01:00:00Z'))).toHaveLength(1);
    expect(s.at('nights', 0)).toBeUndefined();
  });
});
