import type { Clock, TimerHandle } from '../../src/time/clock.js';

/**
 * The COV subscriptions of one device, as the standard keys them: subscriber address, subscriber process
 * id and monitored object. Subscribing again with the same key renews (and may change) the subscription;
 * a lifetime of 0 means indefinite; a timed one ends on the injected Clock.
 */

export interface CovSubscription {
  subscriber: string;
  processId: number;
  objectType: number;
  instance: number;
  confirmed: boolean;
  /** ms since the epoch on the device's clock; null: indefinite. */
  expiresAt: number | null;
}

export interface CovSubscribeRequest {
  subscriber: string;
  processId: number;
  objectType: number;
  instance: number;
  confirmed: boolean;
  /** Seconds; 0 = indefinite. */
  lifetimeS: number;
}

const MS_PER_S = 1000;

export class CovSubscriptionTable {
  private readonly subs = new Map<string, { sub: CovSubscription; timer: TimerHandle | undefined }>();

  constructor(
    private readonly clock: Clock,
    private readonly maxSubscriptions: number,
  ) {}

  /** Adds or renews; returns null when the table is full (a renewal always fits). */
  subscribe(req: CovSubscribeRequest): CovSubscription | null {
    const k = keyOf(req.subscriber, req.processId, req.objectType, req.instance);
    const existing = this.subs.get(k);
    if (!existing && this.subs.size >= this.maxSubscriptions) return null;
    this.clock.clearTimeout(existing?.timer);
    const expiresAt = req.lifetimeS > 0 ? this.clock.now() + req.lifetimeS * MS_PER_S : null;
    const sub: CovSubscription = {
      subscriber: req.subscriber, processId: req.processId, objectType: req.objectType, instance: req.instance, confirmed: req.confirmed, expiresAt,
    };
    const timer = expiresAt === null ? undefined : this.clock.setTimeout(() => this.expire(k, sub), req.lifetimeS * MS_PER_S);
    this.subs.set(k, { sub, timer });
    return { ...sub };
  }

  /** Returns whether there was such a subscription. */
  cancel(subscriber: string, processId: number, objectType: number, instance: number): boolean {
    const k = keyOf(subscriber, processId, objectType, instance);
    const entry = this.subs.get(k);
    if (!entry) return false;
    this.clock.clearTimeout(entry.timer);
    this.subs.delete(k);
    return true;
  }

  /** Live subscriptions to one object (expired ones are gone even if their timer has not run yet). */
  forObject(objectType: number, instance: number): CovSubscription[] {
    const now = this.clock.now();
    return [...this.subs.values()]
      .map((e) => e.sub)
      .filter((s) => s.objectType === objectType && s.instance === instance && (s.expiresAt === null || s.expiresAt > now))
      .map((s) => ({ ...s }));
  }

  list(): CovSubscription[] {
    const now = this.clock.now();
    return [...this.subs.values()].map((e) => e.sub).filter((s) => s.expiresAt === null || s.expiresAt > now).map((s) => ({ ...s }));
  }

  /** Whole seconds left, for the time-remaining field of a notification (0 for indefinite). */
  timeRemainingS(sub: CovSubscription): number {
    if (sub.expiresAt === null) return 0;
    return Math.max(0, Math.ceil((sub.expiresAt - this.clock.now()) / MS_PER_S));
  }

  clear(): void {
    for (const e of this.subs.values()) this.clock.clearTimeout(e.timer);
    this.subs.clear();
  }

  private expire(k: string, sub: CovSubscription): void {
    // Renewed in the meantime: the entry holds a newer subscription with its own timer.
    if (this.subs.get(k)?.sub === sub) this.subs.delete(k);
  }
}

function keyOf(subscriber: string, processId: number, objectType: number, instance: number): string {
  return `${subscriber}|${processId}|${objectType}:${instance}`;
}
