import type { AlarmEvent } from '../alarms/events.js';
import type { DeviceStatusEvent } from '../drivers/driver.js';
import type { AlarmPriority } from '../profiles/types.js';
import { ruleEvent, type EventAnnotations } from './alarm-definition.js';
import type { RuleContext } from './delayed-alarm.js';
import type { Timed } from './timer-queue.js';

/**
 * Communication loss: one rule per device, so that a device that stops answering raises one alarm and not
 * one per point (its samples turn stale or bad, and thresholds ignore those).
 *
 * - Fed by the driver's DeviceStatusEvents. An offline event starts the delay (`commLossDelayMs`); the
 *   alarm raises if the device is still offline when it runs out. Further offline events while the delay
 *   runs or the alarm is active change nothing (drivers repeat them on every failed poll).
 * - An online event cancels a pending raise, or clears an active alarm at once: a device that answers again
 *   is proven reachable, so there is no off-delay.
 * - Before the first status event the device counts as online: a gateway that starts while a device is
 *   dead learns it from the driver's first offline event.
 * - `conditionSince` is the timestamp of the first offline event (raise) or of the online event (clear).
 */

export const COMM_LOSS_RULE_ID = 'comm_loss';
export const COMM_LOSS_PRIORITY: AlarmPriority = 'high';

export interface CompiledCommLoss extends EventAnnotations {
  /** `<deviceId>:comm_loss`. */
  alarmId: string;
  device: string;
  rule: typeof COMM_LOSS_RULE_ID;
  priority: AlarmPriority;
  message: string;
  /** How long the device must stay offline before the alarm raises; 0 raises on the first offline event. */
  delayMs: number;
}

export type CommLossState = 'online' | 'pending-raise' | 'active';

/** The part of a communication-loss rule's state that survives a restart: JSON-serialisable. */
export interface CommLossSnapshot {
  state: CommLossState;
  conditionSince: number;
  raisedAt: number;
  /** When the pending raise started (engine clock); the delay resumes with what was left of it. */
  pendingSince?: number;
}

export class CommLossRule implements Timed {
  readonly spec: CompiledCommLoss;
  state: CommLossState = 'online';
  /** Timestamp of the offline event that started the current outage, or of the last online event. */
  conditionSince = 0;
  /** When the alarm was raised (event ts); meaningful while active. */
  raisedAt = 0;
  /** When the pending raise started (engine clock). */
  pendingSince = 0;

  // Timed: owned by the TimerQueue.
  dueAt = 0;
  seq = 0;
  heapIndex = -1;

  private readonly ctx: RuleContext;

  constructor(spec: CompiledCommLoss, ctx: RuleContext) {
    this.spec = spec;
    this.ctx = ctx;
  }

  get alarmId(): string {
    return this.spec.alarmId;
  }

  isActive(): boolean {
    return this.state === 'active';
  }

  /** True once the device has been reported offline and not yet back. */
  isOffline(): boolean {
    return this.state !== 'online';
  }

  onStatus(status: DeviceStatusEvent, now: number): void {
    if (status.online) {
      this.backOnline(status.ts, now);
      return;
    }
    if (this.state !== 'online') return; // already counting, or already raised
    this.conditionSince = status.ts;
    if (this.spec.delayMs > 0) {
      this.state = 'pending-raise';
      this.pendingSince = now;
      this.ctx.timers.schedule(this, now + this.spec.delayMs);
      this.ctx.stateChanged?.();
    } else {
      this.raise(now);
    }
  }

  fire(now: number): void {
    switch (this.state) {
      case 'pending-raise':
        this.raise(now);
        return;
      case 'online':
      case 'active':
        return;
    }
  }

  snapshot(): CommLossSnapshot {
    return {
      state: this.state,
      conditionSince: this.conditionSince,
      raisedAt: this.raisedAt,
      ...(this.state === 'pending-raise' ? { pendingSince: this.pendingSince } : {}),
    };
  }

  /** Takes up a snapshot's state without emitting anything; a pending raise resumes its remaining delay. */
  restore(snapshot: CommLossSnapshot): void {
    this.ctx.timers.cancel(this);
    this.state = snapshot.state;
    this.conditionSince = snapshot.conditionSince;
    this.raisedAt = snapshot.raisedAt;
    this.pendingSince = snapshot.pendingSince ?? 0;
    if (this.state === 'pending-raise') this.ctx.timers.schedule(this, this.pendingSince + this.spec.delayMs);
  }

  private backOnline(ts: number, now: number): void {
    switch (this.state) {
      case 'online':
        return;
      case 'pending-raise':
        this.ctx.timers.cancel(this);
        this.state = 'online';
        this.ctx.stateChanged?.();
        return;
      case 'active':
        this.state = 'online';
        this.conditionSince = ts;
        this.ctx.emit(this.event('clear', now));
        this.ctx.stateChanged?.();
        return;
    }
  }

  private raise(now: number): void {
    this.state = 'active';
    this.raisedAt = now;
    this.ctx.emit(this.event('raise', now));
    this.ctx.stateChanged?.();
  }

  private event(type: AlarmEvent['type'], now: number): AlarmEvent {
    return ruleEvent(type, this.spec, this.ctx.site, 'comm-loss', this.conditionSince, now);
  }
}
