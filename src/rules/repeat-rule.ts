import type { AlarmEvent } from '../alarms/events.js';
import { ruleEvent } from './alarm-definition.js';
import type { CompiledRepeatAlarm } from './condition-alarm.js';
import { DelayedAlarm, type EpisodeSnapshot, type RuleContext } from './delayed-alarm.js';
import type { PointReader } from './expr/compile.js';
import { SlidingWindow } from './sliding-window.js';
import type { Timed } from './timer-queue.js';

/** The part of a repeat rule's state that survives a restart: JSON-serialisable. */
export interface RepeatSnapshot extends EpisodeSnapshot {
  /** The newest `count` edge timestamps, oldest first. */
  window: number[];
  /** The last known result of `when` (an edge is false → true); absent when never known. */
  lastWhen?: boolean;
}

/**
 * "N occurrences within M": active while the condition `when` became true (a false → true edge) at least
 * `count` times within the last `windowMs`: a jockey pump starting 6 times in an hour, a door re-opened
 * 5 times in 10 minutes.
 *
 * - The edges are counted in the sliding window of event rules (sliding-window.ts: half-open window, one
 *   fixed ring of `count` timestamps). The alarm condition is "the window holds `count` edges"; it goes
 *   away when the oldest of them ages out, a moment that waits in the engine's TimerQueue (a second timer
 *   entry besides the delays). Raise and clear then go through the shared delays (delayed-alarm.ts).
 * - Edges: `when` is evaluated when one of its inputs changes. An edge is a change from a known false to
 *   true, stamped with the sample that made it true. An unknown result (an input not good or never seen)
 *   changes nothing and is skipped over: false, unknown, true counts once, since the condition did become
 *   true. The first known result is not an edge (nobody saw it start).
 * - Quality does not interrupt the window: the edges counted did happen (as for event rules).
 * - Events carry `value` = edges in the window, `limit` = `count`, and `conditionSince` = the oldest of the
 *   `count` edges (raise) or the moment the window dropped below `count` (clear).
 */
export class RepeatRule extends DelayedAlarm {
  readonly spec: CompiledRepeatAlarm;
  private readonly read: PointReader;
  private readonly window: SlidingWindow;
  /** Wakes the rule when the oldest counted edge leaves the window. */
  private readonly windowTimer: WindowTimer;
  private lastWhen: boolean | undefined;
  private lastCount = 0;

  constructor(spec: CompiledRepeatAlarm, ctx: RuleContext, read: PointReader) {
    super(ctx, spec.onDelayMs, spec.offDelayMs);
    this.spec = spec;
    this.read = read;
    this.window = new SlidingWindow(spec.count, spec.windowMs);
    this.windowTimer = new WindowTimer(this);
  }

  get alarmId(): string {
    return this.spec.alarmId;
  }

  /** Edge timestamps held, at most `count`. */
  remembered(): number {
    return this.window.size();
  }

  /** One of the inputs changed; `ts` is that sample's timestamp. */
  evaluate(ts: number, now: number): void {
    const result = this.spec.condition.test(this.read);
    if (result === undefined || result === this.lastWhen) return;
    const edge = result && this.lastWhen === false;
    this.lastWhen = result;
    if (edge && Number.isFinite(ts) && this.window.insert(ts)) this.judgeWindow(now);
    this.ctx.stateChanged?.();
  }

  /** The oldest counted edge left the window (or the restore found the window stale). */
  windowDeadline(now: number): void {
    this.judgeWindow(now);
  }

  snapshot(): RepeatSnapshot {
    return { ...this.snapshotEpisode(), window: this.window.timestamps(), ...(this.lastWhen === undefined ? {} : { lastWhen: this.lastWhen }) };
  }

  /** Takes up a snapshot's state without emitting anything; the window is re-judged when the timers run. */
  restore(snapshot: RepeatSnapshot, now: number): void {
    this.window.restore(snapshot.window);
    this.lastWhen = snapshot.lastWhen;
    this.restoreEpisode(snapshot);
    this.ctx.timers.cancel(this.windowTimer);
    if (this.window.size() === this.spec.count) this.ctx.timers.schedule(this.windowTimer, this.window.fullUntil());
    else if (this.isActive() || this.state === 'pending-raise') this.ctx.timers.schedule(this.windowTimer, now);
  }

  private judgeWindow(now: number): void {
    const full = this.window.isFull(now);
    this.lastCount = full ? this.spec.count : this.window.countAt(now);
    if (full) {
      this.ctx.timers.schedule(this.windowTimer, this.window.fullUntil());
      this.observe(true, this.window.oldest(), now);
    } else {
      this.ctx.timers.cancel(this.windowTimer);
      this.observe(false, this.window.size() === this.spec.count ? this.window.fullUntil() : now, now);
    }
  }

  protected event(type: AlarmEvent['type'], now: number): AlarmEvent {
    const spec = this.spec;
    return ruleEvent(type, spec, this.ctx.site, 'repeat', this.conditionSince, now, { value: this.lastCount, limit: spec.count });
  }
}

/** The second deadline of a repeat rule (its first is the delay, owned by DelayedAlarm). */
class WindowTimer implements Timed {
  dueAt = 0;
  seq = 0;
  heapIndex = -1;

  constructor(readonly rule: RepeatRule) {}

  get alarmId(): string {
    return this.rule.alarmId;
  }

  fire(now: number): void {
    this.rule.windowDeadline(now);
  }
}
