import type { AlarmEvent } from '../alarms/events.js';
import type { Timed, TimerQueue } from './timer-queue.js';

/**
 * The delay and episode logic that every condition alarm shares (thresholds, discrete states, rates of
 * change, expressions, repeats): on-delay, off-delay, one raise and one clear per episode, and what a
 * condition that cannot be judged does. Each kind only decides whether its condition holds; this class
 * decides when that becomes a raise or a clear. Written once so that the kinds cannot drift apart.
 *
 * Semantics:
 * - `observe(holds, ts, now)` reports a judgement of the condition: `holds` true means "alarm condition
 *   present". A kind with hysteresis (a threshold's deadband) judges against its clear point while the
 *   alarm is up (`isActive()`), so `holds` means "not yet back to normal" there.
 * - On-delay: the condition must hold in every judgement for `onDelayMs` before the alarm raises; one
 *   judgement without it cancels the pending raise, and the next one with it starts the delay again.
 *   Off-delay: the condition must stay absent for `offDelayMs` before the alarm clears; one judgement with
 *   it cancels the pending clear and the alarm stays active.
 * - One raise per episode and one clear: a settled state (normal, active) never emits twice.
 * - `interrupt()`: the condition cannot be judged (an input not good, the device offline, an expression
 *   whose result is unknown). A pending raise or clear is cancelled, because a delay means "held
 *   continuously" and nobody saw the inputs in between; settled states do not change: an active alarm
 *   stays active, a normal one normal.
 * - Delays run on the engine's clock from the moment the engine judged; `conditionSince` keeps the
 *   timestamp the kind reports (usually the sample's own).
 * - Every change of state (a delay started or cancelled, a raise, a clear) is reported through
 *   `RuleContext.stateChanged`, so that the engine's owner can persist a snapshot; judgements that change
 *   nothing cost nothing.
 */

/** What a rule needs from the engine: where events go and where delays wait. Shared by all rules. */
export interface RuleContext {
  site: string;
  timers: TimerQueue;
  emit: (event: AlarmEvent) => void;
  /** Called after a rule's settled or pending state changed (not on judgements that change nothing). */
  stateChanged?: () => void;
}

export type EpisodeState = 'normal' | 'pending-raise' | 'active' | 'pending-clear';

/**
 * The part of a rule's state that survives a restart (see RuleEngine.snapshotState): JSON-serialisable.
 * Times are ms since the epoch on the engine's clock.
 */
export interface EpisodeSnapshot {
  state: EpisodeState;
  conditionSince: number;
  raisedAt: number;
  /** When the pending raise or clear started; its delay resumes with what was left of it. */
  pendingSince?: number;
}

export abstract class DelayedAlarm implements Timed {
  state: EpisodeState = 'normal';
  /** When the current raise (or clear) condition started, as reported by the kind (sample timestamp). */
  conditionSince = 0;
  /** When the alarm was raised (engine clock); meaningful while active or pending-clear. */
  raisedAt = 0;
  /** When the pending raise or clear started (engine clock); meaningful while pending. */
  pendingSince = 0;

  // Timed: owned by the TimerQueue.
  dueAt = 0;
  seq = 0;
  heapIndex = -1;

  protected readonly ctx: RuleContext;
  private readonly onDelayMs: number;
  private readonly offDelayMs: number;

  protected constructor(ctx: RuleContext, onDelayMs: number, offDelayMs: number) {
    this.ctx = ctx;
    this.onDelayMs = onDelayMs;
    this.offDelayMs = offDelayMs;
  }

  /** The stable id of the alarm this rule raises, for snapshots and logs. */
  abstract get alarmId(): string;

  /** The event of a raise or a clear, built from the rule's latest judgement. */
  protected abstract event(type: AlarmEvent['type'], now: number): AlarmEvent;

  /** True while the alarm is raised (including while its clear waits for the off-delay). */
  isActive(): boolean {
    return this.state === 'active' || this.state === 'pending-clear';
  }

  /** A judgement of the condition at `ts` (reported as conditionSince), seen by the engine at `now`. */
  protected observe(holds: boolean, ts: number, now: number): void {
    switch (this.state) {
      case 'normal':
        if (!holds) return;
        this.conditionSince = ts;
        if (this.onDelayMs > 0) this.startPending('pending-raise', now, now + this.onDelayMs);
        else this.raise(now);
        return;
      case 'pending-raise':
        if (!holds) this.cancelPending('normal');
        return;
      case 'active':
        if (holds) return;
        this.conditionSince = ts;
        if (this.offDelayMs > 0) this.startPending('pending-clear', now, now + this.offDelayMs);
        else this.clear(now);
        return;
      case 'pending-clear':
        if (holds) this.cancelPending('active');
        return;
    }
  }

  /**
   * The condition can no longer be judged (an input not good, the device offline): a pending raise or
   * clear is cancelled and the rule returns to its settled state. Settled states do not change.
   */
  interrupt(): void {
    switch (this.state) {
      case 'pending-raise':
        this.cancelPending('normal');
        return;
      case 'pending-clear':
        this.cancelPending('active');
        return;
      case 'normal':
      case 'active':
        return;
    }
  }

  /** The on-delay or off-delay ran out with the condition held throughout. */
  fire(now: number): void {
    switch (this.state) {
      case 'pending-raise':
        this.raise(now);
        return;
      case 'pending-clear':
        this.clear(now);
        return;
      case 'normal':
      case 'active':
        // Cancelled timers leave the queue, so this is not expected; nothing to do either way.
        return;
    }
  }

  snapshotEpisode(): EpisodeSnapshot {
    const pending = this.state === 'pending-raise' || this.state === 'pending-clear';
    return {
      state: this.state,
      conditionSince: this.conditionSince,
      raisedAt: this.raisedAt,
      ...(pending ? { pendingSince: this.pendingSince } : {}),
    };
  }

  /**
   * Takes up a snapshot's state without emitting anything (the raise or clear was emitted before the
   * restart). A pending delay waits for what was left of it on the engine's clock; if that is already past,
   * the engine fires it right after the restore.
   */
  restoreEpisode(snapshot: EpisodeSnapshot): void {
    this.ctx.timers.cancel(this);
    this.state = snapshot.state;
    this.conditionSince = snapshot.conditionSince;
    this.raisedAt = snapshot.raisedAt;
    this.pendingSince = snapshot.pendingSince ?? 0;
    if (this.state === 'pending-raise') this.ctx.timers.schedule(this, this.pendingSince + this.onDelayMs);
    else if (this.state === 'pending-clear') this.ctx.timers.schedule(this, this.pendingSince + this.offDelayMs);
  }

  private startPending(state: 'pending-raise' | 'pending-clear', now: number, dueAt: number): void {
    this.state = state;
    this.pendingSince = now;
    this.ctx.timers.schedule(this, dueAt);
    this.ctx.stateChanged?.();
  }

  private cancelPending(settled: 'normal' | 'active'): void {
    this.ctx.timers.cancel(this);
    this.state = settled;
    this.ctx.stateChanged?.();
  }

  private raise(now: number): void {
    this.state = 'active';
    this.raisedAt = now;
    this.ctx.emit(this.event('raise', now));
    this.ctx.stateChanged?.();
  }

  private clear(now: number): void {
    this.state = 'normal';
    this.ctx.emit(this.event('clear', now));
    this.ctx.stateChanged?.();
  }
}
