import type { PersonConfig, ScheduleConfig } from '../../config/notifications-schema.js';
import { instantOf, localDay, parseDateTime, parseDay, parseTimeOfDay, toLocalMs } from '../../notify/time-zone.js';

export interface OnCallPerson {
  id: string;
  name: string;
}

/** Who is on call in one schedule at one moment, and for how long. */
export interface OnCallEntry {
  scheduleId: string;
  /** Absent when the moment falls outside every rotation and override. */
  person?: OnCallPerson;
  source: 'rotation' | 'override' | 'none';
  /** ms since epoch: start of this shift (or override). */
  since?: number;
  /** ms since epoch: the next hand-off (or the end of the override). */
  until?: number;
}

interface Rotation {
  members: string[];
  periodDays: number;
  handoffMinute: number;
  startDay: number;
  endDay: number;
}

interface Override {
  person: string;
  from: number;
  until: number;
}

interface Schedule {
  id: string;
  rotations: Rotation[];
  overrides: Override[];
}

/**
 * On-call rotations in the site time zone. Hand-offs happen at a local wall-clock time, so across a DST
 * change a daily shift lasts 23 or 25 hours and the hand-off stays at, say, 09:00 local. Config is
 * assumed checked (checkNotifications); a malformed date here throws.
 */
export class OnCallSchedules {
  private readonly schedules = new Map<string, Schedule>();
  /** The last answer per schedule and the span it holds for: Intl time-zone math is slow, shifts are long. */
  private readonly cache = new Map<string, { entry: OnCallEntry; from: number; until: number }>();
  private readonly people = new Map<string, OnCallPerson>();

  constructor(schedules: readonly ScheduleConfig[], people: readonly PersonConfig[], private readonly timeZone: string) {
    for (const p of people) this.people.set(p.id, { id: p.id, name: p.name });
    for (const s of schedules) {
      this.schedules.set(s.id, {
        id: s.id,
        rotations: s.rotations.map((r, i) => ({
          members: r.members,
          periodDays: r.handoff === 'daily' ? 1 : 7,
          handoffMinute: required(parseTimeOfDay(r.handoffTime), `schedule ${s.id} rotation ${i}: handoffTime`),
          startDay: required(parseDay(r.start), `schedule ${s.id} rotation ${i}: start`),
          endDay: r.end === undefined ? Infinity : required(parseDay(r.end), `schedule ${s.id} rotation ${i}: end`),
        })),
        overrides: s.overrides.map((o, i) => ({
          person: o.person,
          from: required(parseDateTime(o.from, timeZone), `schedule ${s.id} override ${i}: from`),
          until: required(parseDateTime(o.until, timeZone), `schedule ${s.id} override ${i}: until`),
        })),
      });
    }
  }

  has(scheduleId: string): boolean {
    return this.schedules.has(scheduleId);
  }

  /** Who is on call in `scheduleId` at `ts`; undefined for an unknown schedule. */
  at(scheduleId: string, ts: number): OnCallEntry | undefined {
    const cached = this.cache.get(scheduleId);
    if (cached && cached.from <= ts && ts < cached.until) return cached.entry;
    const schedule = this.schedules.get(scheduleId);
    if (!schedule) return undefined;
    const entry = this.compute(schedule, ts);
    if (entry.since !== undefined && entry.until !== undefined) {
      // A rotation shift holds only between the overrides around `ts`.
      let from = entry.since;
      let until = entry.until;
      if (entry.source === 'rotation') {
        for (const o of schedule.overrides) {
          if (o.until <= ts) from = Math.max(from, o.until);
          else if (o.from > ts) until = Math.min(until, o.from);
        }
      }
      this.cache.set(scheduleId, { entry, from, until });
    }
    return entry;
  }

  private compute(schedule: Schedule, ts: number): OnCallEntry {
    const scheduleId = schedule.id;
    for (const o of schedule.overrides) {
      if (o.from <= ts && ts < o.until) return this.entry(scheduleId, o.person, 'override', o.from, o.until);
    }
    for (const r of schedule.rotations) {
      const shift = this.shiftOf(r, ts);
      if (shift) return this.entry(scheduleId, shift.person, 'rotation', shift.since, shift.until);
    }
    return { scheduleId, source: 'none' };
  }

  /** Every schedule's on-call entry at `ts`, in config order. */
  all(ts: number): OnCallEntry[] {
    return [...this.schedules.keys()].map((id) => this.at(id, ts) ?? { scheduleId: id, source: 'none' });
  }

  private shiftOf(r: Rotation, ts: number): { person: string; since: number; until: number } | undefined {
    if (r.members.length === 0) return undefined;
    const today = localDay(toLocalMs(ts, this.timeZone));
    // Before today's hand-off the shift that began on an earlier day is still running.
    const shiftDay = ts >= instantOf(today, r.handoffMinute, this.timeZone) ? today : today - 1;
    if (shiftDay < r.startDay || shiftDay >= r.endDay) return undefined;
    const index = Math.floor((shiftDay - r.startDay) / r.periodDays);
    const firstDay = r.startDay + index * r.periodDays;
    const nextDay = Math.min(firstDay + r.periodDays, r.endDay);
    const person = r.members[index % r.members.length];
    if (person === undefined) return undefined;
    return {
      person,
      since: instantOf(firstDay, r.handoffMinute, this.timeZone),
      until: instantOf(nextDay, r.handoffMinute, this.timeZone),
    };
  }

  private entry(scheduleId: string, personId: string, source: 'rotation' | 'override', since: number, until: number): OnCallEntry {
    const person = this.people.get(personId) ?? { id: personId, name: personId };
    return { scheduleId, person, source, since, until };
  }
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what} is malformed`);
  return value;
}
