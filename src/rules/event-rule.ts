import type { AlarmEvent } from '../alarms/events.js';
import type { AlarmPriority } from '../profiles/types.js';
import type { RuleContext } from './threshold.js';
import type { Timed } from './timer-queue.js';

/**
 * An event rule: counts one kind of device event (a refused badge, a forced door) in a sliding window and
 * raises while at least `count` of them fall within the last `windowMs`.
 *
 * Semantics:
 * - The window is half-open: at time t it holds the events with `t - windowMs < ts <= t`. An event exactly
 *   `windowMs` old has left it, so "5 within 2 minutes" means the first and the fifth are less than
 *   2 minutes apart, and an alarm raised by an event at ts clears at exactly `ts + windowMs`.
 * - Raise: when an event arrives and the window then holds `count` events. Once per episode: more events
 *   while active raise nothing, they only keep the alarm up longer.
 * - Clear: when the window holds fewer than `count` again, i.e. when the oldest of the `count` newest
 *   events ages out. That moment waits in the engine's TimerQueue (one entry per active rule, none while
 *   normal). Events that arrive while active do not move the timer; when it fires it checks whether newer
 *   events pushed the deadline back and re-schedules itself, so a burst costs no heap operations.
 * - Re-raise: the events still in the window count towards the next episode; an event right after a clear
 *   can raise again at once if the window holds `count` events with it.
 * - Event timestamps place events in the window; the engine's clock says what "now" is. The window ends at
 *   the later of the two (a device stamping a little ahead of the gateway does not stretch the window).
 * - Out of order: an event older than the newest seen is put in its place in time. If it is older than all
 *   of the `count` newest events it can never matter and is dropped; if it is older than the window when
 *   it arrives it counts for nothing. Either way a late event cannot raise an alarm that would have
 *   cleared already. Timestamps that are not finite numbers are ignored.
 * - A device going offline does not touch event rules: the events it reported did happen, and the window
 *   ages them out on its own.
 *
 * Why `count` timestamps are enough: both decisions depend only on the `count` newest events. The window
 *   holds at least `count` events exactly when the `count`-th newest is still in it, and it drops below
 *   `count` exactly when that one ages out. Anything older is out of the window whenever it could matter.
 *   So each rule keeps a fixed ring of `count` timestamps, allocated once: counting allocates nothing,
 *   however many events arrive.
 *
 * Events carry `value` = the number of events in the window (`count` on raise; on clear the number left,
 * which the ring knows exactly because it is below `count`), `limit` = `count`, and `conditionSince` =
 * the timestamp of the oldest event of the window that made it fire (raise), or the moment that window
 * dropped below `count` (clear).
 */

/** Ring sizes above this are refused by the compiler: each counted event costs 8 bytes per device and rule. */
export const MAX_EVENT_RULE_COUNT = 10_000;

/** An event rule as compiled from a profile and a device's config. Immutable; shared by engines. */
export interface CompiledEventRule {
  /** `<deviceId>:<ruleId>`. */
  alarmId: string;
  device: string;
  /** Rule id within the device. */
  rule: string;
  /** Event name from the device's profile, e.g. `access_denied`. */
  event: string;
  priority: AlarmPriority;
  message: string;
  /** Whole number, 1..MAX_EVENT_RULE_COUNT. */
  count: number;
  /** > 0. */
  windowMs: number;
}

export type EventRuleState = 'normal' | 'active';

/**
 * The newest `capacity` timestamps in ascending order, in a fixed circular buffer. Appending in time order
 * is O(1); an out-of-order insert shifts only the entries newer than it.
 */
export class TimestampRing {
  readonly capacity: number;
  private readonly times: Float64Array;
  /** Index of the oldest entry. */
  private start = 0;
  private length = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.times = new Float64Array(capacity);
  }

  size(): number {
    return this.length;
  }

  isFull(): boolean {
    return this.length === this.capacity;
  }

  /** The `index`-th oldest entry (0 = oldest); NaN when out of range. */
  at(index: number): number {
    if (index < 0 || index >= this.length) return Number.NaN;
    return this.times[(this.start + index) % this.capacity] ?? Number.NaN;
  }

  oldest(): number {
    return this.at(0);
  }

  newest(): number {
    return this.at(this.length - 1);
  }

  /**
   * Adds `ts`, dropping the oldest entry when full. Returns false (and changes nothing) when the ring is full
   * and `ts` is not newer than its oldest entry: it would not be among the newest `capacity`.
   */
  insert(ts: number): boolean {
    const full = this.length === this.capacity;
    if (full && !(ts > this.at(0))) return false;
    if (full) {
      this.start = (this.start + 1) % this.capacity;
      this.length--;
    }
    // Shift the entries newer than ts one place up; in time order there are none.
    let index = this.length;
    while (index > 0) {
      const previous = this.at(index - 1);
      if (!(previous > ts)) break;
      this.times[(this.start + index) % this.capacity] = previous;
      index--;
    }
    this.times[(this.start + index) % this.capacity] = ts;
    this.length++;
    return true;
  }

  /** Entries newer than `after` (the ones still in a window that starts after it). */
  countNewerThan(after: number): number {
    let n = 0;
    for (let i = this.length - 1; i >= 0 && this.at(i) > after; i--) n++;
    return n;
  }
}

export class EventCountRule implements Timed {
  readonly spec: CompiledEventRule;
  state: EventRuleState = 'normal';
  /** When the alarm was raised (engine clock); meaningful while active. */
  raisedAt = 0;
  /** The value of the last event emitted: events in the window. */
  lastValue = 0;

  // Timed: owned by the TimerQueue.
  dueAt = 0;
  seq = 0;
  heapIndex = -1;

  private readonly ctx: RuleContext;
  private readonly ring: TimestampRing;

  constructor(spec: CompiledEventRule, ctx: RuleContext) {
    this.spec = spec;
    this.ctx = ctx;
    this.ring = new TimestampRing(spec.count);
  }

  isActive(): boolean {
    return this.state === 'active';
  }

  /** Timestamps held, at most `count`: what the rule remembers. For tests and debugging. */
  remembered(): number {
    return this.ring.size();
  }

  /** Counts one event with timestamp `ts`; `now` is the engine's clock. */
  onEvent(ts: number, now: number): void {
    if (!Number.isFinite(ts)) return;
    // A real clock may run the clear timer a little late; an event in between must not hide the clear.
    if (this.state === 'active') this.clearIfDue(now);
    if (!this.ring.insert(ts)) return;
    switch (this.state) {
      case 'normal':
        if (this.windowIsFull(now)) this.raise(now);
        return;
      case 'active':
        // The clear timer checks the (only ever later) deadline when it fires.
        return;
    }
  }

  /** The clear deadline came: clear, or wait longer if newer events keep the window full. */
  fire(now: number): void {
    switch (this.state) {
      case 'active':
        if (!this.clearIfDue(now)) this.ctx.timers.schedule(this, this.windowFullUntil());
        return;
      case 'normal':
        return;
    }
  }

  /** While active: clears if the window is no longer full at `now`; returns whether it cleared. */
  private clearIfDue(now: number): boolean {
    const until = this.windowFullUntil();
    if (until > now) return false;
    this.ctx.timers.cancel(this);
    this.clear(until, now);
    return true;
  }

  /** While active (the ring is full): when the oldest of the `count` newest events leaves the window. */
  private windowFullUntil(): number {
    return this.ring.oldest() + this.spec.windowMs;
  }

  /** True when the ring holds `count` events and the oldest of them is still in the window. */
  private windowIsFull(now: number): boolean {
    if (!this.ring.isFull()) return false;
    const windowEnd = Math.max(now, this.ring.newest());
    return this.ring.oldest() > windowEnd - this.spec.windowMs;
  }

  private raise(now: number): void {
    this.state = 'active';
    this.raisedAt = now;
    this.lastValue = this.spec.count;
    this.ctx.timers.schedule(this, this.windowFullUntil());
    this.ctx.emit(this.event('raise', this.ring.oldest(), now));
  }

  private clear(droppedAt: number, now: number): void {
    this.state = 'normal';
    this.lastValue = this.ring.countNewerThan(now - this.spec.windowMs);
    this.ctx.emit(this.event('clear', droppedAt, now));
  }

  private event(type: AlarmEvent['type'], conditionSince: number, now: number): AlarmEvent {
    const spec = this.spec;
    return {
      type,
      alarmId: spec.alarmId,
      site: this.ctx.site,
      device: spec.device,
      rule: spec.rule,
      kind: 'event-count',
      priority: spec.priority,
      message: spec.message,
      value: this.lastValue,
      limit: spec.count,
      conditionSince,
      ts: now,
    };
  }
}
