import type { AlarmEvent } from '../alarms/events.js';
import type { AlarmPriority } from '../profiles/types.js';
import { ruleEvent, type EventAnnotations } from './alarm-definition.js';
import type { RuleContext } from './delayed-alarm.js';
import { MAX_WINDOW_COUNT, SlidingWindow } from './sliding-window.js';
import type { Timed } from './timer-queue.js';

export { TimestampRing } from './sliding-window.js';

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
 *   however many events arrive. The window is the one repeat alarms use too (sliding-window.ts).
 *
 * Events carry `value` = the number of events in the window (`count` on raise; on clear the number left,
 * which the ring knows exactly because it is below `count`), `limit` = `count`, and `conditionSince` =
 * the timestamp of the oldest event of the window that made it fire (raise), or the moment that window
 * dropped below `count` (clear).
 */

/** Ring sizes above this are refused by the compiler: each counted event costs 8 bytes per device and rule. */
export const MAX_EVENT_RULE_COUNT = MAX_WINDOW_COUNT;

/** An event rule as compiled from a profile and a device's config. Immutable; shared by engines. */
export interface CompiledEventRule extends EventAnnotations {
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

/** The part of an event rule's state that survives a restart: JSON-serialisable. */
export interface EventRuleSnapshot {
  state: EventRuleState;
  raisedAt: number;
  lastValue: number;
  /** The newest `count` event timestamps, oldest first. */
  window: number[];
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
  private readonly window: SlidingWindow;

  constructor(spec: CompiledEventRule, ctx: RuleContext) {
    this.spec = spec;
    this.ctx = ctx;
    this.window = new SlidingWindow(spec.count, spec.windowMs);
  }

  get alarmId(): string {
    return this.spec.alarmId;
  }

  isActive(): boolean {
    return this.state === 'active';
  }

  /** Timestamps held, at most `count`: what the rule remembers. For tests and debugging. */
  remembered(): number {
    return this.window.size();
  }

  /**
   * Counts one event with timestamp `ts`; `now` is the engine's clock. A counted event changes the state a
   * restart must resume (the window), so it is reported through `stateChanged` like a raise or a clear.
   */
  onEvent(ts: number, now: number): void {
    if (!Number.isFinite(ts)) return;
    // A real clock may run the clear timer a little late; an event in between must not hide the clear.
    if (this.state === 'active') this.clearIfDue(now);
    if (!this.window.insert(ts)) return;
    switch (this.state) {
      case 'normal':
        if (this.window.isFull(now)) this.raise(now);
        break;
      case 'active':
        // The clear timer checks the (only ever later) deadline when it fires.
        break;
    }
    this.ctx.stateChanged?.();
  }

  /** The clear deadline came: clear, or wait longer if newer events keep the window full. */
  fire(now: number): void {
    switch (this.state) {
      case 'active':
        if (!this.clearIfDue(now)) this.ctx.timers.schedule(this, this.window.fullUntil());
        return;
      case 'normal':
        return;
    }
  }

  snapshot(): EventRuleSnapshot {
    return { state: this.state, raisedAt: this.raisedAt, lastValue: this.lastValue, window: this.window.timestamps() };
  }

  /**
   * Takes up a snapshot's state without emitting anything. An active rule waits for its clear deadline
   * again; one already past fires when the engine runs the due timers right after the restore.
   */
  restore(snapshot: EventRuleSnapshot): void {
    this.ctx.timers.cancel(this);
    this.window.restore(snapshot.window);
    this.raisedAt = snapshot.raisedAt;
    this.lastValue = snapshot.lastValue;
    // An "active" snapshot whose window no longer holds `count` (a changed count) clears at once.
    this.state = snapshot.state === 'active' ? 'active' : 'normal';
    if (this.state === 'active') this.ctx.timers.schedule(this, this.window.size() < this.spec.count ? this.raisedAt : this.window.fullUntil());
  }

  /** While active: clears if the window is no longer full at `now`; returns whether it cleared. */
  private clearIfDue(now: number): boolean {
    const until = this.window.size() < this.spec.count ? now : this.window.fullUntil();
    if (until > now) return false;
    this.ctx.timers.cancel(this);
    this.clear(until, now);
    return true;
  }

  private raise(now: number): void {
    this.state = 'active';
    this.raisedAt = now;
    this.lastValue = this.spec.count;
    this.ctx.timers.schedule(this, this.window.fullUntil());
    this.ctx.emit(this.event('raise', this.window.oldest(), now));
  }

  private clear(droppedAt: number, now: number): void {
    this.state = 'normal';
    this.lastValue = this.window.countAt(now);
    this.ctx.emit(this.event('clear', droppedAt, now));
    this.ctx.stateChanged?.();
  }

  private event(type: AlarmEvent['type'], conditionSince: number, now: number): AlarmEvent {
    const spec = this.spec;
    return ruleEvent(type, spec, this.ctx.site, 'event-count', conditionSince, now, { value: this.lastValue, limit: spec.count });
  }
}
