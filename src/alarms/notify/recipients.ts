import type { EscalationTargetConfig, PersonConfig } from '../../config/notifications-schema.js';
import type { OnCallSchedules } from './on-call.js';
import type { Recipient } from './types.js';

/** One recipient reached over one channel. */
export interface Reach {
  recipient: Recipient;
  channel: string;
  address?: string;
}

export interface ResolvedTargets {
  reaches: Reach[];
  /** Schedules that had nobody on call at that moment. */
  nobodyOnCall: string[];
}

/** Turns escalation targets into recipients and channels at moment `now`. */
export class RecipientResolver {
  private readonly people: Map<string, PersonConfig>;

  constructor(
    people: readonly PersonConfig[],
    private readonly schedules: OnCallSchedules,
  ) {
    this.people = new Map(people.map((p) => [p.id, p]));
  }

  /** A group channel, reached at its configured default target. */
  channel(id: string): Reach {
    return { recipient: { key: `channel:${id}`, id, name: id, kind: 'channel' }, channel: id };
  }

  /** Every contact of a person; none for an unknown person. */
  person(id: string): Reach[] {
    const p = this.people.get(id);
    if (!p) return [];
    const recipient: Recipient = { key: `person:${p.id}`, id: p.id, name: p.name, kind: 'person' };
    return Object.entries(p.contacts).map(([channel, address]) => ({ recipient, channel, address }));
  }

  resolve(targets: readonly EscalationTargetConfig[], now: number): ResolvedTargets {
    const reaches: Reach[] = [];
    const nobodyOnCall: string[] = [];
    for (const t of targets) {
      if (t.channel !== undefined) reaches.push(this.channel(t.channel));
      if (t.person !== undefined) reaches.push(...this.person(t.person));
      if (t.schedule !== undefined) {
        const onCall = this.schedules.at(t.schedule, now)?.person;
        if (onCall) reaches.push(...this.person(onCall.id));
        else nobodyOnCall.push(t.schedule);
      }
    }
    // One push per recipient and channel even when two targets name the same person.
    const seen = new Set<string>();
    return {
      reaches: reaches.filter((r) => {
        const k = `${r.recipient.key}|${r.channel}`;
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      }),
      nobodyOnCall,
    };
  }
}
