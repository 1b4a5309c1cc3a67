import type { AlarmPriority } from '../profiles/types.js';
import type { AlarmEvent } from './events.js';

/**
 * The alarms active right now, fed with the rules' raise and clear events: a raise adds, a clear removes.
 * This is what `GET /alarms/active` serves. It holds no lifecycle (acknowledge, shelve): that is the alarm
 * manager's job, built later on the same events.
 */

/** An active alarm: the fields of its latest raise event, and when that raise was emitted. */
export type ActiveAlarm = Omit<AlarmEvent, 'type' | 'ts'> & {
  /** When the raise event was emitted (after any on-delay), ms since epoch. */
  raisedAt: number;
};

export interface ActiveAlarmFilter {
  /** Only this device's alarms; undefined means every device. */
  device?: string | undefined;
  /** Only alarms of this priority; undefined means every priority. */
  priority?: AlarmPriority | undefined;
}

export interface ActiveAlarmCounts {
  active: number;
  /** Raise events that made an alarm active. */
  raises: number;
  /** Clear events that ended an active alarm. */
  clears: number;
  /**
   * Raises of an alarm already active and clears of an alarm not active. The rule engine emits neither;
   * a non-zero count points at a duplicated event stream or a restart that lost state.
   */
  unmatched: number;
}

const PRIORITY_RANK: Record<AlarmPriority, number> = { critical: 0, high: 1, medium: 2, low: 3 };

export class ActiveAlarms {
  private readonly active = new Map<string, ActiveAlarm>();
  private raises = 0;
  private clears = 0;
  private unmatched = 0;

  apply(event: AlarmEvent): void {
    switch (event.type) {
      case 'raise':
        this.raise(event);
        return;
      case 'clear':
        if (this.active.delete(event.alarmId)) this.clears++;
        else this.unmatched++;
        return;
    }
  }

  /** Puts back an alarm that was active before a restart, without counting it as a new raise. */
  restore(alarm: ActiveAlarm): void {
    this.active.set(alarm.alarmId, { ...alarm });
  }

  get(alarmId: string): ActiveAlarm | undefined {
    const alarm = this.active.get(alarmId);
    return alarm === undefined ? undefined : { ...alarm };
  }

  /**
   * Active alarms, most urgent first: by priority (critical, high, medium, low), then newest raise first
   * (what changed last is what an operator looks for), then by id so the order is stable. Copies.
   */
  list(filter: ActiveAlarmFilter = {}): ActiveAlarm[] {
    const out: ActiveAlarm[] = [];
    for (const alarm of this.active.values()) {
      if (filter.device !== undefined && alarm.device !== filter.device) continue;
      if (filter.priority !== undefined && alarm.priority !== filter.priority) continue;
      out.push({ ...alarm });
    }
    return out.sort(
      (a, b) =>
        PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] ||
        b.raisedAt - a.raisedAt ||
        (a.alarmId < b.alarmId ? -1 : a.alarmId > b.alarmId ? 1 : 0),
    );
  }

  size(): number {
    return this.active.size;
  }

  counts(): ActiveAlarmCounts {
    return { active: this.active.size, raises: this.raises, clears: this.clears, unmatched: this.unmatched };
  }

  private raise(event: AlarmEvent): void {
    const existing = this.active.get(event.alarmId);
    if (existing !== undefined) {
      // Keep when it was raised; take the latest value.
      this.unmatched++;
      existing.value = event.value;
      existing.quality = event.quality;
      return;
    }
    this.raises++;
    const alarm: ActiveAlarm = {
      alarmId: event.alarmId,
      site: event.site,
      device: event.device,
      rule: event.rule,
      kind: event.kind,
      priority: event.priority,
      message: event.message,
      raisedAt: event.ts,
      conditionSince: event.conditionSince,
    };
    // Optional fields only when present, so a comm-loss alarm carries no `point: undefined`.
    if (event.point !== undefined) alarm.point = event.point;
    if (event.value !== undefined) alarm.value = event.value;
    if (event.quality !== undefined) alarm.quality = event.quality;
    if (event.limit !== undefined) alarm.limit = event.limit;
    this.active.set(event.alarmId, alarm);
  }
}
