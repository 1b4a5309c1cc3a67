import type { PointValue } from '../../src/points/sample.js';
import type { Rng } from '../rng.js';

/**
 * One access-controlled door, stepped on simulated time. People arrive at random (seeded) at the rate the
 * building's daily pattern gives: coming in they present a badge, going out they press the exit button.
 * A granted badge or an exit request releases the lock; the door opens for a few seconds, closes, and
 * locks again. The door reports what a door-mqtt-v1 device publishes: its state (`open`, `locked`) on
 * every change and its access events (`granted`, `denied`, `forced`) as they happen.
 */

/** People at the door at one moment, from the building's daily pattern. */
export interface DoorTrafficNow {
  /** People passing per minute, both ways. */
  movementsPerMinute: number;
  /** Share of them coming in (with a badge); the others go out by the exit button. */
  entryShare: number;
}

export interface DoorSpec {
  /** Device id in the site config. */
  id: string;
  /** The door's name on its controller: the `{door}` of its topics. */
  door: string;
  name: string;
  location: string;
  /** Share of badge reads that are refused. */
  deniedShare: number;
  /** Badge numbers of the people who use this door: `first` to `first + count - 1`. */
  badges: { first: number; count: number };
  traffic: (nowMs: number) => DoorTrafficNow;
}

export type DoorEventType = 'granted' | 'denied' | 'forced';
export type DenyReason = 'not-authorised' | 'expired' | 'outside-schedule' | 'unknown-badge' | 'anti-passback';

/** Field names as on the wire (door-mqtt-v1). */
export interface DoorEvent {
  type: DoorEventType;
  /** Empty for a forced door: nobody presented a badge. */
  badge: string;
  reason?: DenyReason;
}

export interface DoorState {
  open: boolean;
  locked: boolean;
}

export type DoorOutput = { kind: 'state'; atMs: number; state: DoorState } | { kind: 'event'; atMs: number; event: DoorEvent };

export interface DoorContext {
  rng: Rng;
  /** Simulated time the model starts at, ms since the epoch. */
  startMs: number;
}

/**
 * - locked: closed and locked, waiting;
 * - unlocked: lock released, nobody has pushed the door yet;
 * - open: open and unlocked;
 * - relocking: closed again, the lock engages a moment later;
 * - forced: opened while locked.
 */
type DoorPhase = 'locked' | 'unlocked' | 'open' | 'relocking' | 'forced';

const DENY_REASONS: readonly DenyReason[] = ['not-authorised', 'expired', 'outside-schedule', 'unknown-badge', 'anti-passback'];
/** Badges that belong to nobody in the building: a visitor's hotel key card, an old card of another site. */
const UNKNOWN_BADGE_MIN = 900_000;
const UNKNOWN_BADGE_MAX = 999_999;
/** From the lock releasing to the door opening: a badge holder reaches for the handle, an exit is quicker. */
const BADGE_OPEN_DELAY_MS = { min: 800, max: 2_500 } as const;
const EXIT_OPEN_DELAY_MS = { min: 300, max: 1_000 } as const;
/** How long a door stays open for one person walking through. */
const OPEN_FOR_MS = { min: 2_500, max: 6_000 } as const;
/** Someone following through an open door keeps it open this much longer. */
const FOLLOWER_EXTRA_MS = { min: 1_500, max: 3_000 } as const;
/** Share of grants after which nobody opens the door: the lock engages again after the release time. */
const NOBODY_OPENS_SHARE = 0.03;
const UNLOCK_TIMEOUT_MS = 5_000;
/** The lock engages this long after the door contact closes. */
const RELOCK_DELAY_MS = 1_000;
/** A forced door stands open this long before it swings shut. */
const FORCED_OPEN_MS = 20_000;
/** When a scenario that holds the door open is cleared, the door closes this long after. */
const CLOSE_ON_CLEAR_MS = 1_000;
/** A badge-denials burst: this many refused reads of one badge, this far apart (all within a minute). */
const DENIAL_BURST_COUNT = 6;
const DENIAL_BURST_INTERVAL_MS = 8_000;
const MS_PER_MINUTE = 60_000;
/** The daily pattern changes over minutes: look it up once a minute, not at every step. */
const TRAFFIC_REFRESH_MS = MS_PER_MINUTE;

export class DoorModel {
  readonly id: string;
  readonly spec: DoorSpec;
  private readonly rng: Rng;

  private phase: DoorPhase = 'locked';
  /** Time left in the current phase; the phase ends when it reaches zero. */
  private phaseLeftMs = 0;
  /** In `unlocked`: whether someone will open the door, or the lock times out. */
  private willOpen = true;
  private reported: DoorState = { open: false, locked: true };
  private traffic: DoorTrafficNow = { movementsPerMinute: 0, entryShare: 0 };
  private trafficSlot = Number.NaN;
  /**
   * Arrivals form a Poisson process whose rate follows the time of day: the next person comes when the
   * rate integrated over time reaches an exponentially distributed threshold, drawn anew after each arrival.
   */
  private untilArrival: number;
  private outputs: DoorOutput[] = [];
  private nowMs: number;

  // Scenarios
  private holding = false;
  private forcePending = false;
  private burst: { left: number; untilNextMs: number; badge: string } | null = null;

  constructor(spec: DoorSpec, ctx: DoorContext) {
    this.id = spec.id;
    this.spec = spec;
    this.rng = ctx.rng;
    this.nowMs = ctx.startMs;
    this.untilArrival = this.exponential();
  }

  step(dtMs: number, nowMs: number): void {
    if (dtMs <= 0) return;
    this.nowMs = nowMs;
    this.runDenialBurst(dtMs);
    this.runPhase(dtMs);
    if (this.phase === 'locked' && this.forcePending) this.force();
    else if (this.phase === 'locked' && this.holding) this.grant(this.staffBadge(), BADGE_OPEN_DELAY_MS);
    // Nobody badges at a door that is being forced, or about to be: the scenario wants a clean signature.
    if (this.phase === 'forced' || this.forcePending) return;
    const slot = Math.floor(nowMs / TRAFFIC_REFRESH_MS);
    if (slot !== this.trafficSlot) {
      this.trafficSlot = slot;
      this.traffic = this.spec.traffic(nowMs);
    }
    this.untilArrival -= (this.traffic.movementsPerMinute * dtMs) / MS_PER_MINUTE;
    if (this.untilArrival > 0) return;
    this.untilArrival = this.exponential();
    this.arrive(this.traffic.entryShare);
  }

  state(): DoorState {
    return { ...this.reported };
  }

  values(): Record<string, PointValue> {
    return { open: this.reported.open, locked: this.reported.locked };
  }

  /** What happened since the last call, oldest first. */
  drain(): DoorOutput[] {
    const out = this.outputs;
    this.outputs = [];
    return out;
  }

  /** door-forced: the door is pushed open without a grant as soon as it is closed and locked. */
  startForced(): void {
    this.forcePending = true;
  }

  stopForced(): void {
    this.forcePending = false;
    if (this.phase === 'forced') this.phaseLeftMs = Math.min(this.phaseLeftMs, CLOSE_ON_CLEAR_MS);
  }

  /** door-held-open: the next person to be granted (now, if the door is idle) wedges the door open. */
  startHeldOpen(): void {
    this.holding = true;
    if (this.phase === 'unlocked') this.willOpen = true;
    // A door that has just closed is pushed open again before its lock engages.
    if (this.phase === 'relocking') this.enter('open', OPEN_FOR_MS.max);
  }

  stopHeldOpen(): void {
    this.holding = false;
    if (this.phase === 'open') this.phaseLeftMs = Math.min(this.phaseLeftMs, CLOSE_ON_CLEAR_MS);
  }

  /** badge-denials: one badge refused again and again, starting now. */
  startDenialBurst(): void {
    const badge = String(this.rng.int(UNKNOWN_BADGE_MIN, UNKNOWN_BADGE_MAX));
    this.burst = { left: DENIAL_BURST_COUNT, untilNextMs: 0, badge };
    this.runDenialBurst(0);
  }

  stopDenialBurst(): void {
    this.burst = null;
  }

  private runDenialBurst(dtMs: number): void {
    if (!this.burst) return;
    this.burst.untilNextMs -= dtMs;
    while (this.burst && this.burst.untilNextMs <= 0) {
      this.emitEvent({ type: 'denied', badge: this.burst.badge, reason: 'unknown-badge' });
      this.burst.left -= 1;
      this.burst.untilNextMs += DENIAL_BURST_INTERVAL_MS;
      if (this.burst.left <= 0) this.burst = null;
    }
  }

  private runPhase(dtMs: number): void {
    if (this.phase === 'locked') return;
    // A wedged door does not close, whatever its timer says.
    if (this.phase === 'open' && this.holding) return;
    this.phaseLeftMs -= dtMs;
    if (this.phaseLeftMs > 0) return;
    switch (this.phase) {
      case 'unlocked':
        if (this.willOpen) this.enter('open', this.rng.range(OPEN_FOR_MS.min, OPEN_FOR_MS.max));
        else this.enter('locked', 0);
        break;
      case 'open':
        this.enter('relocking', RELOCK_DELAY_MS);
        break;
      case 'relocking':
      case 'forced':
        this.enter('locked', 0);
        break;
    }
  }

  private arrive(entryShare: number): void {
    if (!this.rng.chance(entryShare)) {
      this.release(EXIT_OPEN_DELAY_MS);
      return;
    }
    if (this.rng.chance(this.spec.deniedShare)) {
      const reason = this.rng.pick(DENY_REASONS);
      const badge = reason === 'unknown-badge' ? String(this.rng.int(UNKNOWN_BADGE_MIN, UNKNOWN_BADGE_MAX)) : this.staffBadge();
      this.emitEvent({ type: 'denied', badge, reason });
      return;
    }
    this.grant(this.staffBadge(), BADGE_OPEN_DELAY_MS);
  }

  private grant(badge: string, openDelayMs: { min: number; max: number }): void {
    this.emitEvent({ type: 'granted', badge });
    this.release(openDelayMs);
  }

  /** The lock releases for a badge or an exit request; on a door already open, the person follows through. */
  private release(openDelayMs: { min: number; max: number }): void {
    switch (this.phase) {
      case 'locked':
        this.willOpen = this.holding || !this.rng.chance(NOBODY_OPENS_SHARE);
        this.enter('unlocked', this.willOpen ? this.rng.range(openDelayMs.min, openDelayMs.max) : UNLOCK_TIMEOUT_MS);
        break;
      case 'unlocked':
        this.willOpen = true;
        break;
      case 'open':
        this.phaseLeftMs += this.rng.range(FOLLOWER_EXTRA_MS.min, FOLLOWER_EXTRA_MS.max);
        break;
      case 'relocking':
        this.enter('open', this.rng.range(OPEN_FOR_MS.min, OPEN_FOR_MS.max));
        break;
      case 'forced':
        break;
    }
  }

  private force(): void {
    this.forcePending = false;
    this.emitEvent({ type: 'forced', badge: '' });
    this.enter('forced', FORCED_OPEN_MS);
  }

  private enter(phase: DoorPhase, forMs: number): void {
    this.phase = phase;
    this.phaseLeftMs = forMs;
    const open = phase === 'open' || phase === 'forced';
    const locked = phase === 'locked' || phase === 'forced';
    if (open !== this.reported.open || locked !== this.reported.locked) {
      this.reported = { open, locked };
      this.outputs.push({ kind: 'state', atMs: this.nowMs, state: { open, locked } });
    }
  }

  private emitEvent(event: DoorEvent): void {
    this.outputs.push({ kind: 'event', atMs: this.nowMs, event });
  }

  /** Exp(1): the integrated arrival rate until the next person. */
  private exponential(): number {
    return -Math.log(1 - this.rng.next());
  }

  private staffBadge(): string {
    const { first, count } = this.spec.badges;
    return String(this.rng.int(first, first + count - 1));
  }
}
