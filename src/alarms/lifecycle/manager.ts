import type { AlarmEvent } from '../events.js';
import type { AlarmPriority } from '../../profiles/types.js';
import type { Clock } from '../../time/clock.js';
import { TimerQueue, type Timed } from '../../rules/timer-queue.js';
import { AlarmLifecycleError } from './errors.js';
import type {
  AlarmFlags,
  AlarmListFilter,
  AlarmSettings,
  AlarmSnapshot,
  AlarmState,
  OutOfServiceInfo,
  ShelveInfo,
  SuppressionInfo,
  TransitionAction,
  TransitionListener,
  TransitionRecord,
} from './types.js';

export interface AlarmLifecycleOptions {
  clock: Clock;
  /** The longest an operator may shelve any alarm (ms). */
  maxShelveMs: number;
  /** The longest an alarm may be out of service (ms); unlimited when absent. */
  maxOutOfServiceMs?: number;
  /** Settings of an alarm seen for the first time in a raise event and not registered with `define`. */
  settingsFor?: (event: AlarmEvent) => AlarmSettings | undefined;
  /** A listener or a timer threw; the manager's state is already consistent. */
  onError?: (err: unknown) => void;
}

const PRIORITY_RANK: Record<AlarmPriority, number> = { critical: 0, high: 1, medium: 2, low: 3 };

/** A deadline of one alarm, kept in the shared TimerQueue. */
class AlarmTimer implements Timed {
  dueAt = 0;
  seq = 0;
  heapIndex = -1;
  constructor(private readonly onFire: (now: number) => void) {}
  fire(now: number): void {
    this.onFire(now);
  }
}

/** What the manager keeps of an alarm's latest raise event (all that snapshots and records use). */
type RaiseInfo = Pick<AlarmEvent, 'site' | 'device' | 'priority' | 'message'>;

interface AlarmEntry {
  alarmId: string;
  settings: AlarmSettings;
  /** The alarm is active: its condition is true, or it is latched and not reset. */
  active: boolean;
  acknowledged: boolean;
  conditionActive: boolean;
  shelved?: ShelveInfo;
  suppressed?: SuppressionInfo;
  outOfService?: OutOfServiceInfo;
  lastRaise?: RaiseInfo;
  raisedAt?: number;
  acknowledgedAt?: number;
  acknowledgedBy?: string;
  changedAt: number;
  shelveTimer: AlarmTimer;
  oosTimer: AlarmTimer;
  reAlarmTimer: AlarmTimer;
}

function stateOf(e: AlarmEntry): AlarmState {
  if (e.active) return e.acknowledged ? 'ack-active' : 'unack-active';
  return e.acknowledged ? 'normal' : 'rtn-unack';
}

function isAnnunciated(e: AlarmEntry): boolean {
  return e.shelved === undefined && e.suppressed === undefined && e.outOfService === undefined;
}

function flagsOf(e: AlarmEntry): AlarmFlags {
  return {
    awaitingReset: e.active && !e.conditionActive,
    shelved: e.shelved !== undefined,
    suppressed: e.suppressed !== undefined,
    outOfService: e.outOfService !== undefined,
  };
}

/**
 * The ISA-18.2 alarm lifecycle: rule events (raise, clear) and operator actions move each alarm through
 * normal → unack-active → ack-active / rtn-unack → normal, with latching, re-alarm, and the overlays shelved,
 * suppressed by design and out of service. Overlays stop annunciation only: the state keeps following the
 * rule events. Every transition goes to the listeners; an illegal action throws `AlarmLifecycleError` and
 * changes nothing. Pure logic on an injected Clock: no I/O, no persistence.
 */
export class AlarmLifecycle {
  private readonly clock: Clock;
  private readonly maxShelveMs: number;
  private readonly maxOutOfServiceMs: number;
  private readonly settingsFor: AlarmLifecycleOptions['settingsFor'];
  private readonly onError: (err: unknown) => void;
  private readonly timers: TimerQueue;
  private readonly alarms = new Map<string, AlarmEntry>();
  private readonly listeners = new Set<TransitionListener>();
  private unmatchedEvents = 0;

  constructor(options: AlarmLifecycleOptions) {
    if (!(options.maxShelveMs > 0)) throw new RangeError('maxShelveMs must be positive');
    this.clock = options.clock;
    this.maxShelveMs = options.maxShelveMs;
    this.maxOutOfServiceMs = options.maxOutOfServiceMs ?? Number.POSITIVE_INFINITY;
    this.settingsFor = options.settingsFor;
    this.onError = options.onError ?? (() => undefined);
    this.timers = new TimerQueue({ clock: this.clock, onFireError: (err) => this.onError(err) });
  }

  /** Subscribes to every transition; returns the unsubscribe function. */
  subscribe(listener: TransitionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Registers an alarm (or updates its settings) before it is first raised. */
  define(alarmId: string, settings: AlarmSettings = {}): void {
    const entry = this.alarms.get(alarmId);
    if (entry === undefined) {
      this.alarms.set(alarmId, this.newEntry(alarmId, settings));
      return;
    }
    entry.settings = { ...settings };
    if (settings.lifeSafety === true) {
      // A definition that becomes life-safety drops what a life-safety alarm may not have.
      if (entry.shelved !== undefined) this.endShelve(entry, 'unshelve', undefined, 'became life-safety');
      if (entry.suppressed !== undefined) this.setSuppressed(alarmId, false, 'became life-safety');
    }
    this.syncReAlarm(entry);
  }

  /**
   * Rebuilds alarms from snapshots taken before a restart (e.g. by the SQLite store), without emitting the
   * transitions that led to them: they were recorded already. Call it on a new lifecycle, after `define` and
   * after subscribing the store. An alarm already defined keeps its settings; any other gets `latched`,
   * `lifeSafety` and `reAlarmMs` from its snapshot. Deadlines are taken up again on the Clock: shelve and
   * out-of-service expiry at their `until`; re-alarm at `changedAt + reAlarmMs` (the re-alarm timer starts at
   * the transition that made it due). Deadlines already past fire at once, oldest first, as ordinary
   * transitions (`shelve-expired`, `oos-expired`, `re-alarm`) that the listeners see and the store records.
   */
  restore(snapshots: readonly AlarmSnapshot[]): void {
    const now = this.clock.now();
    const due: { at: number; seq: number; fire: () => void }[] = [];
    const atOnce = (at: number, fire: () => void): void => {
      due.push({ at, seq: due.length, fire });
    };
    for (const s of snapshots) {
      const existing = this.alarms.get(s.alarmId);
      if (existing !== undefined) {
        this.timers.cancel(existing.shelveTimer);
        this.timers.cancel(existing.oosTimer);
        this.timers.cancel(existing.reAlarmTimer);
      }
      const settings: AlarmSettings = existing?.settings ?? {
        ...(s.latched ? { latched: true } : {}),
        ...(s.lifeSafety ? { lifeSafety: true } : {}),
        ...(s.reAlarmMs !== undefined ? { reAlarmMs: s.reAlarmMs } : {}),
      };
      const entry = this.newEntry(s.alarmId, settings);
      entry.active = s.state === 'unack-active' || s.state === 'ack-active';
      entry.acknowledged = s.state === 'normal' || s.state === 'ack-active';
      entry.conditionActive = s.conditionActive;
      entry.changedAt = s.changedAt;
      if (s.suppressed !== undefined) entry.suppressed = { ...s.suppressed };
      if (s.shelved !== undefined) entry.shelved = { ...s.shelved };
      if (s.outOfService !== undefined) entry.outOfService = { ...s.outOfService };
      if (s.site !== undefined && s.device !== undefined && s.priority !== undefined) {
        entry.lastRaise = { site: s.site, device: s.device, priority: s.priority, message: s.message ?? '' };
      }
      if (s.raisedAt !== undefined) entry.raisedAt = s.raisedAt;
      if (s.acknowledgedAt !== undefined) entry.acknowledgedAt = s.acknowledgedAt;
      if (s.acknowledgedBy !== undefined) entry.acknowledgedBy = s.acknowledgedBy;
      this.alarms.set(s.alarmId, entry);

      if (entry.shelved !== undefined) {
        if (entry.shelved.until <= now) atOnce(entry.shelved.until, () => this.endShelve(entry, 'shelve-expired', undefined, undefined));
        else this.timers.schedule(entry.shelveTimer, entry.shelved.until);
      }
      if (entry.outOfService !== undefined) {
        if (entry.outOfService.until <= now) atOnce(entry.outOfService.until, () => this.endOutOfService(entry, 'oos-expired', undefined, undefined));
        else this.timers.schedule(entry.oosTimer, entry.outOfService.until);
      }
      const reAlarmMs = entry.settings.reAlarmMs;
      if (reAlarmMs !== undefined && reAlarmMs > 0 && stateOf(entry) === 'ack-active' && entry.conditionActive && isAnnunciated(entry)) {
        const at = entry.changedAt + reAlarmMs;
        if (at <= now) atOnce(at, () => this.reAlarm(entry));
        else this.timers.schedule(entry.reAlarmTimer, at);
      }
    }
    due.sort((a, b) => a.at - b.at || a.seq - b.seq);
    for (const d of due) {
      try {
        d.fire();
      } catch (err) {
        this.onError(err);
      }
    }
  }

  // ---- rule events -------------------------------------------------------------------------------

  onRaise(event: AlarmEvent): void {
    let entry = this.alarms.get(event.alarmId);
    if (entry === undefined) {
      entry = this.newEntry(event.alarmId, this.settingsFor?.(event) ?? {});
      this.alarms.set(event.alarmId, entry);
    }
    entry.lastRaise = event;
    if (entry.conditionActive) {
      this.unmatchedEvents++;
      return;
    }
    entry.conditionActive = true;
    if (entry.active) {
      // A latched alarm waiting for reset sees its condition again: no new occurrence, nothing to announce.
      this.transition(entry, 'raise', { ts: event.ts }, () => undefined, false);
      return;
    }
    this.transition(
      entry,
      'raise',
      { ts: event.ts },
      () => {
        entry.active = true;
        entry.acknowledged = false;
        entry.raisedAt = event.ts;
        entry.acknowledgedAt = undefined;
        entry.acknowledgedBy = undefined;
      },
      isAnnunciated(entry),
    );
  }

  onClear(event: AlarmEvent): void {
    const entry = this.alarms.get(event.alarmId);
    if (entry === undefined || !entry.conditionActive) {
      this.unmatchedEvents++;
      return;
    }
    this.transition(
      entry,
      'clear',
      { ts: event.ts },
      () => {
        entry.conditionActive = false;
        if (entry.settings.latched !== true) entry.active = false;
      },
      false,
    );
  }

  // ---- operator actions --------------------------------------------------------------------------

  acknowledge(alarmId: string, by: string, comment?: string): void {
    const entry = this.require(alarmId, by);
    if (entry.acknowledged) {
      throw new AlarmLifecycleError('not-unacknowledged', alarmId, `Alarm ${alarmId} is ${stateOf(entry)}: there is nothing to acknowledge.`);
    }
    this.transition(entry, 'ack', { by, comment }, () => {
      entry.acknowledged = true;
      entry.acknowledgedAt = this.clock.now();
      entry.acknowledgedBy = by;
    }, false);
  }

  /** Shelves for `durationMs` (re-shelving replaces the expiry). Never a life-safety alarm. */
  shelve(alarmId: string, by: string, durationMs: number, comment?: string): void {
    const entry = this.require(alarmId, by);
    if (entry.settings.lifeSafety === true) {
      throw new AlarmLifecycleError('life-safety', alarmId, `Alarm ${alarmId} is a fire/life-safety alarm and can never be shelved.`);
    }
    if (entry.outOfService !== undefined) {
      throw new AlarmLifecycleError('out-of-service', alarmId, `Alarm ${alarmId} is out of service; return it to service before shelving it.`);
    }
    if (!Number.isFinite(durationMs) || durationMs <= 0) {
      throw new AlarmLifecycleError('invalid-duration', alarmId, `Shelve duration must be a positive number of milliseconds, got ${String(durationMs)}.`);
    }
    const max = Math.min(this.maxShelveMs, entry.settings.maxShelveMs ?? Number.POSITIVE_INFINITY);
    if (durationMs > max) {
      throw new AlarmLifecycleError('shelve-too-long', alarmId, `Alarm ${alarmId} can be shelved for at most ${max} ms, not ${durationMs} ms.`);
    }
    const now = this.clock.now();
    this.transition(entry, 'shelve', { by, comment }, () => {
      entry.shelved = { by, since: now, until: now + durationMs, ...(comment !== undefined ? { comment } : {}) };
      this.timers.schedule(entry.shelveTimer, now + durationMs);
    }, false);
  }

  unshelve(alarmId: string, by: string, comment?: string): void {
    const entry = this.require(alarmId, by);
    if (entry.shelved === undefined) {
      throw new AlarmLifecycleError('not-shelved', alarmId, `Alarm ${alarmId} is not shelved.`);
    }
    this.endShelve(entry, 'unshelve', by, comment);
  }

  /** Authorised removal until `untilMs` (clock time, ms since epoch); it returns to service by itself then. */
  removeFromService(alarmId: string, by: string, untilMs: number, comment?: string): void {
    const entry = this.require(alarmId, by);
    const now = this.clock.now();
    if (!Number.isFinite(untilMs) || untilMs <= now) {
      throw new AlarmLifecycleError('invalid-duration', alarmId, `Out-of-service end must be a time after now, got ${String(untilMs)}.`);
    }
    if (untilMs - now > this.maxOutOfServiceMs) {
      throw new AlarmLifecycleError('invalid-duration', alarmId, `Alarm ${alarmId} can be out of service for at most ${this.maxOutOfServiceMs} ms.`);
    }
    this.transition(entry, 'oos', { by, comment }, () => {
      // Out of service supersedes a shelve; the shelve is not resumed on return.
      if (entry.shelved !== undefined) {
        entry.shelved = undefined;
        this.timers.cancel(entry.shelveTimer);
      }
      entry.outOfService = { by, since: now, until: untilMs, ...(comment !== undefined ? { comment } : {}) };
      this.timers.schedule(entry.oosTimer, untilMs);
    }, false);
  }

  returnToService(alarmId: string, by: string, comment?: string): void {
    const entry = this.require(alarmId, by);
    if (entry.outOfService === undefined) {
      throw new AlarmLifecycleError('not-out-of-service', alarmId, `Alarm ${alarmId} is not out of service.`);
    }
    this.endOutOfService(entry, 'return-to-service', by, comment);
  }

  /** Resets a latched alarm whose condition has cleared; the reset also acknowledges it. */
  reset(alarmId: string, by: string, comment?: string): void {
    const entry = this.require(alarmId, by);
    if (entry.settings.latched !== true) {
      throw new AlarmLifecycleError('not-latched', alarmId, `Alarm ${alarmId} is not latched; it needs no reset.`);
    }
    if (entry.conditionActive) {
      throw new AlarmLifecycleError('condition-active', alarmId, `Alarm ${alarmId} cannot be reset while its condition is still active.`);
    }
    if (!entry.active) {
      throw new AlarmLifecycleError('not-awaiting-reset', alarmId, `Alarm ${alarmId} is ${stateOf(entry)}; there is nothing to reset.`);
    }
    this.transition(entry, 'reset', { by, comment }, () => {
      entry.active = false;
      if (!entry.acknowledged) {
        entry.acknowledged = true;
        entry.acknowledgedAt = this.clock.now();
        entry.acknowledgedBy = by;
      }
    }, false);
  }

  /** Records an operator's note on the alarm in the audit log; the state does not change. */
  comment(alarmId: string, by: string, text: string): void {
    const entry = this.require(alarmId, by);
    if (text.trim() === '') throw new AlarmLifecycleError('missing-comment', alarmId, 'A comment needs some text.');
    this.transition(entry, 'comment', { by, comment: text }, () => undefined, false);
  }

  /** Suppression by design, driven by the caller's logic (e.g. the pump is off for maintenance). */
  setSuppressed(alarmId: string, suppressed: boolean, reason: string): void {
    const entry = this.alarms.get(alarmId);
    if (entry === undefined) throw this.unknown(alarmId);
    if (suppressed) {
      if (entry.settings.lifeSafety === true) {
        throw new AlarmLifecycleError('life-safety', alarmId, `Alarm ${alarmId} is a fire/life-safety alarm and can never be suppressed.`);
      }
      if (entry.suppressed !== undefined) return;
      const now = this.clock.now();
      this.transition(entry, 'suppress', { comment: reason }, () => {
        entry.suppressed = { reason, since: now };
      }, false);
      return;
    }
    if (entry.suppressed === undefined) return;
    this.transition(entry, 'unsuppress', { comment: reason }, () => {
      entry.suppressed = undefined;
    }, () => this.shouldAnnounceOnReveal(entry));
  }

  // ---- queries -----------------------------------------------------------------------------------

  get(alarmId: string): AlarmSnapshot | undefined {
    const entry = this.alarms.get(alarmId);
    return entry === undefined ? undefined : this.snapshot(entry);
  }

  /** Alarms most urgent first: unacknowledged-active first, then by priority, newest raise, id. */
  list(filter: AlarmListFilter = {}): AlarmSnapshot[] {
    const skipQuiet = filter.skipQuiet ?? true;
    const out: AlarmSnapshot[] = [];
    for (const entry of this.alarms.values()) {
      const s = this.snapshot(entry);
      if (skipQuiet && s.state === 'normal' && s.annunciated) continue;
      if (filter.state !== undefined && s.state !== filter.state) continue;
      if (filter.device !== undefined && s.device !== filter.device) continue;
      if (filter.priority !== undefined && s.priority !== filter.priority) continue;
      if (filter.annunciated !== undefined && s.annunciated !== filter.annunciated) continue;
      out.push(s);
    }
    const stateRank: Record<AlarmState, number> = { 'unack-active': 0, 'rtn-unack': 1, 'ack-active': 2, normal: 3 };
    return out.sort(
      (a, b) =>
        stateRank[a.state] - stateRank[b.state] ||
        (a.priority === undefined ? 4 : PRIORITY_RANK[a.priority]) - (b.priority === undefined ? 4 : PRIORITY_RANK[b.priority]) ||
        (b.raisedAt ?? 0) - (a.raisedAt ?? 0) ||
        (a.alarmId < b.alarmId ? -1 : a.alarmId > b.alarmId ? 1 : 0),
    );
  }

  /** Raises of a condition already active and clears of one not active (duplicated or lost events). */
  unmatched(): number {
    return this.unmatchedEvents;
  }

  /** Timers waiting (shelve expiry, out-of-service expiry, re-alarm). */
  pendingTimers(): number {
    return this.timers.size();
  }

  /** Cancels every timer (shutdown). State is kept. */
  stop(): void {
    this.timers.clear();
  }

  // ---- internals ---------------------------------------------------------------------------------

  private newEntry(alarmId: string, settings: AlarmSettings): AlarmEntry {
    const entry: AlarmEntry = {
      alarmId,
      settings: { ...settings },
      active: false,
      acknowledged: true,
      conditionActive: false,
      changedAt: this.clock.now(),
      shelveTimer: new AlarmTimer(() => this.endShelve(entry, 'shelve-expired', undefined, undefined)),
      oosTimer: new AlarmTimer(() => this.endOutOfService(entry, 'oos-expired', undefined, undefined)),
      reAlarmTimer: new AlarmTimer(() => this.reAlarm(entry)),
    };
    return entry;
  }

  private require(alarmId: string, by: string): AlarmEntry {
    const entry = this.alarms.get(alarmId);
    if (entry === undefined) throw this.unknown(alarmId);
    if (by.trim() === '') {
      throw new AlarmLifecycleError('missing-operator', alarmId, 'An operator action needs the name of the operator.');
    }
    return entry;
  }

  private unknown(alarmId: string): AlarmLifecycleError {
    return new AlarmLifecycleError('unknown-alarm', alarmId, `No alarm with id ${alarmId} is known.`);
  }

  private endShelve(entry: AlarmEntry, action: 'unshelve' | 'shelve-expired', by: string | undefined, comment: string | undefined): void {
    this.transition(entry, action, { by, comment }, () => {
      entry.shelved = undefined;
      this.timers.cancel(entry.shelveTimer);
    }, () => this.shouldAnnounceOnReveal(entry));
  }

  private endOutOfService(
    entry: AlarmEntry,
    action: 'return-to-service' | 'oos-expired',
    by: string | undefined,
    comment: string | undefined,
  ): void {
    this.transition(entry, action, { by, comment }, () => {
      entry.outOfService = undefined;
      this.timers.cancel(entry.oosTimer);
    }, () => this.shouldAnnounceOnReveal(entry));
  }

  private reAlarm(entry: AlarmEntry): void {
    if (stateOf(entry) !== 'ack-active' || !entry.conditionActive || !isAnnunciated(entry)) return;
    this.transition(entry, 're-alarm', {}, () => {
      entry.acknowledged = false;
      entry.acknowledgedAt = undefined;
      entry.acknowledgedBy = undefined;
    }, true);
  }

  /** An overlay came off: announce again when the alarm is now visible and waiting for acknowledgement. */
  private shouldAnnounceOnReveal(entry: AlarmEntry): boolean {
    return isAnnunciated(entry) && stateOf(entry) === 'unack-active';
  }

  /** Re-alarm runs while the alarm is acknowledged, its condition active and it is annunciated. */
  private syncReAlarm(entry: AlarmEntry): void {
    const reAlarmMs = entry.settings.reAlarmMs;
    const wanted =
      reAlarmMs !== undefined && reAlarmMs > 0 && stateOf(entry) === 'ack-active' && entry.conditionActive && isAnnunciated(entry);
    if (!wanted) {
      this.timers.cancel(entry.reAlarmTimer);
      return;
    }
    // Keep a running re-alarm timer; start one from now otherwise.
    if (entry.reAlarmTimer.heapIndex < 0) this.timers.schedule(entry.reAlarmTimer, this.clock.now() + reAlarmMs);
  }

  private transition(
    entry: AlarmEntry,
    action: TransitionAction,
    meta: { by?: string | undefined; comment?: string | undefined; ts?: number },
    apply: () => void,
    annunciate: boolean | (() => boolean),
  ): void {
    const from = stateOf(entry);
    apply();
    const to = stateOf(entry);
    const ts = meta.ts ?? this.clock.now();
    entry.changedAt = this.clock.now();
    this.syncReAlarm(entry);
    const record: TransitionRecord = {
      alarmId: entry.alarmId,
      from,
      to,
      action,
      ts,
      annunciate: typeof annunciate === 'function' ? annunciate() : annunciate,
      flags: flagsOf(entry),
      lifeSafety: entry.settings.lifeSafety === true,
    };
    if (meta.by !== undefined) record.by = meta.by;
    if (meta.comment !== undefined) record.comment = meta.comment;
    if (entry.lastRaise !== undefined) record.priority = entry.lastRaise.priority;
    for (const listener of this.listeners) {
      try {
        listener({ ...record, flags: { ...record.flags } });
      } catch (err) {
        this.onError(err);
      }
    }
  }

  private snapshot(entry: AlarmEntry): AlarmSnapshot {
    const s: AlarmSnapshot = {
      alarmId: entry.alarmId,
      state: stateOf(entry),
      conditionActive: entry.conditionActive,
      latched: entry.settings.latched === true,
      lifeSafety: entry.settings.lifeSafety === true,
      awaitingReset: entry.active && !entry.conditionActive,
      annunciated: isAnnunciated(entry),
      changedAt: entry.changedAt,
    };
    if (entry.settings.reAlarmMs !== undefined) s.reAlarmMs = entry.settings.reAlarmMs;
    if (entry.shelved !== undefined) s.shelved = { ...entry.shelved };
    if (entry.suppressed !== undefined) s.suppressed = { ...entry.suppressed };
    if (entry.outOfService !== undefined) s.outOfService = { ...entry.outOfService };
    const raise = entry.lastRaise;
    if (raise !== undefined) {
      s.site = raise.site;
      s.device = raise.device;
      s.priority = raise.priority;
      s.message = raise.message;
    }
    if (entry.raisedAt !== undefined) s.raisedAt = entry.raisedAt;
    if (entry.acknowledgedAt !== undefined) s.acknowledgedAt = entry.acknowledgedAt;
    if (entry.acknowledgedBy !== undefined) s.acknowledgedBy = entry.acknowledgedBy;
    return s;
  }
}
