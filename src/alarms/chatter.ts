import type { Clock, TimerHandle } from '../time/clock.js';

/**
 * Live detection of chattering alarms (ISA-18.2 / EEMUA 191: an alarm that cycles between active and
 * normal 3 or more times within a minute). A chattering alarm floods the operator with annunciations that
 * carry no new information; the usual answers are a shelve now and a deadband or delay fix later. This
 * module only tells who chatters; what to do with it is the caller's policy.
 *
 * Definitions (the KPI module uses the same ones over the audit log):
 * - A *cycle* is one raise: the condition going from clear to active. A raise while the condition is already
 *   active (a repeated event) is not a new cycle; a clear only re-arms the next raise.
 * - A raise at `ts` counts in the window during [ts, ts + windowMs): three raises at 0 s, 30 s and 59.999 s
 *   chatter; three at 0 s, 30 s and 60 s do not ("within a minute").
 * - An alarm *starts* chattering at the raise that makes the window hold `cycles` raises, and *stops* at the
 *   moment the window no longer holds `cycles` raises; a timer on the Clock finds that moment even when no
 *   further event arrives.
 */
export interface ChatterOptions {
  /** Raises within `windowMs` that make an alarm chattering (DOMAIN.md: 3). */
  cycles: number;
  /** Length of the sliding window in ms (DOMAIN.md: 60 000). */
  windowMs: number;
  clock: Clock;
  /** Told when an alarm starts or stops chattering. */
  onChange?: (change: ChatterChange) => void;
  /** A listener threw; the detector's state is already consistent. */
  onError?: (err: unknown) => void;
  /**
   * Most raise timestamps kept per alarm (memory bound). A faster chatterer reports this many cycles in
   * the window; start and stop stay exact, since they only need the newest `cycles` raises. Default 1000.
   */
  maxTrackedCycles?: number;
}

export interface ChatterChange {
  type: 'start' | 'stop';
  alarmId: string;
  /** Raises in the window at that moment (at most `maxTrackedCycles`). */
  cycles: number;
  /** ms since epoch: the raise that started it, or the moment the window dropped below `cycles`. */
  at: number;
  /** For `stop`: when the chattering started. */
  since?: number;
  /** For `stop`: the most raises the window held during this chattering episode. */
  peakCycles?: number;
}

export interface ChatteringAlarm {
  alarmId: string;
  /** Raises in the window now. */
  cycles: number;
  /** When it started chattering (ms since epoch). */
  since: number;
  /** The most raises the window held since it started chattering. */
  peakCycles: number;
}

interface AlarmTrack {
  conditionActive: boolean;
  /** Latest event time seen; earlier timestamps are taken as this one (events out of order). */
  lastTs: number;
  /** Raise times still in the window, oldest first, at most `maxTrackedCycles`. */
  raises: number[];
  chattering: boolean;
  since: number;
  peakCycles: number;
  stopTimer?: TimerHandle;
}

const DEFAULT_MAX_TRACKED_CYCLES = 1000;

export class ChatterDetector {
  private readonly cycles: number;
  private readonly windowMs: number;
  private readonly clock: Clock;
  private readonly maxTracked: number;
  private readonly onChange: (change: ChatterChange) => void;
  private readonly onError: (err: unknown) => void;
  private readonly tracks = new Map<string, AlarmTrack>();

  constructor(options: ChatterOptions) {
    if (!Number.isInteger(options.cycles) || options.cycles < 2) {
      throw new RangeError(`ChatterDetector: cycles must be an integer of at least 2, got ${String(options.cycles)}`);
    }
    if (!Number.isFinite(options.windowMs) || options.windowMs <= 0) {
      throw new RangeError(`ChatterDetector: windowMs must be a positive number of milliseconds, got ${String(options.windowMs)}`);
    }
    const maxTracked = options.maxTrackedCycles ?? DEFAULT_MAX_TRACKED_CYCLES;
    if (!Number.isInteger(maxTracked) || maxTracked < options.cycles) {
      throw new RangeError(`ChatterDetector: maxTrackedCycles must be an integer of at least cycles (${options.cycles}), got ${String(maxTracked)}`);
    }
    this.cycles = options.cycles;
    this.windowMs = options.windowMs;
    this.clock = options.clock;
    this.maxTracked = maxTracked;
    this.onChange = options.onChange ?? (() => undefined);
    this.onError = options.onError ?? (() => undefined);
  }

  /** Feeds one condition change of `alarmId` (the `ts` of the rule event, ms since epoch). */
  record(alarmId: string, kind: 'raise' | 'clear', ts: number): void {
    if (typeof alarmId !== 'string' || alarmId === '') throw new TypeError('ChatterDetector.record: alarmId must be a non-empty string');
    if (kind !== 'raise' && kind !== 'clear') throw new TypeError(`ChatterDetector.record(${alarmId}): kind must be 'raise' or 'clear', got ${String(kind)}`);
    if (!Number.isFinite(ts)) throw new TypeError(`ChatterDetector.record(${alarmId}): ts must be a finite number of ms, got ${String(ts)}`);

    let track = this.tracks.get(alarmId);
    if (track === undefined) {
      track = { conditionActive: false, lastTs: ts, raises: [], chattering: false, since: 0, peakCycles: 0 };
      this.tracks.set(alarmId, track);
    }
    const at = Math.max(ts, track.lastTs);
    track.lastTs = at;

    if (kind === 'clear') {
      track.conditionActive = false;
      this.forgetIfQuiet(alarmId, track, at);
      return;
    }
    if (track.conditionActive) return; // a repeated raise is not a new cycle
    track.conditionActive = true;
    track.raises.push(at);
    if (track.raises.length > this.maxTracked) track.raises.shift();
    this.prune(track, at);
    const count = track.raises.length;
    if (track.chattering) {
      track.peakCycles = Math.max(track.peakCycles, count);
    } else if (count >= this.cycles) {
      track.chattering = true;
      track.since = at;
      track.peakCycles = count;
      this.emit({ type: 'start', alarmId, cycles: count, at });
    }
    if (track.chattering) this.scheduleStop(alarmId, track);
  }

  /** The alarms chattering now, most cycles first. */
  chattering(): ChatteringAlarm[] {
    const now = this.clock.now();
    const out: ChatteringAlarm[] = [];
    for (const [alarmId, track] of this.tracks) {
      if (!track.chattering) continue;
      out.push({ alarmId, cycles: this.countAt(track, now), since: track.since, peakCycles: track.peakCycles });
    }
    return out.sort((a, b) => b.cycles - a.cycles || a.alarmId.localeCompare(b.alarmId));
  }

  isChattering(alarmId: string): boolean {
    return this.tracks.get(alarmId)?.chattering === true;
  }

  /** Drops what is known of an alarm (removed from the config), without a `stop` notice. */
  forget(alarmId: string): void {
    const track = this.tracks.get(alarmId);
    if (track === undefined) return;
    this.clock.clearTimeout(track.stopTimer);
    this.tracks.delete(alarmId);
  }

  /** Alarms with something remembered (for tests and self-metrics). */
  trackedAlarms(): number {
    return this.tracks.size;
  }

  /** Cancels every timer; the detector can be fed again afterwards. */
  stop(): void {
    for (const track of this.tracks.values()) {
      this.clock.clearTimeout(track.stopTimer);
      track.stopTimer = undefined;
    }
  }

  /** Arms the timer for the moment the window would drop below `cycles` raises if nothing else came. */
  private scheduleStop(alarmId: string, track: AlarmTrack): void {
    this.clock.clearTimeout(track.stopTimer);
    const pivot = track.raises[track.raises.length - this.cycles];
    if (pivot === undefined) return;
    const dueAt = pivot + this.windowMs;
    track.stopTimer = this.clock.setTimeout(() => this.onStopTimer(alarmId, track, dueAt), dueAt - this.clock.now());
  }

  private onStopTimer(alarmId: string, track: AlarmTrack, dueAt: number): void {
    track.stopTimer = undefined;
    if (this.tracks.get(alarmId) !== track || !track.chattering) return;
    // The clock may be behind the event timestamps; judge at the later of the two.
    const at = Math.max(this.clock.now(), dueAt);
    this.prune(track, at);
    if (track.raises.length >= this.cycles) {
      this.scheduleStop(alarmId, track);
      return;
    }
    track.chattering = false;
    this.emit({ type: 'stop', alarmId, cycles: track.raises.length, at, since: track.since, peakCycles: track.peakCycles });
    this.forgetIfQuiet(alarmId, track, at);
  }

  /** Removes raises that left the window at time `at`. */
  private prune(track: AlarmTrack, at: number): void {
    let drop = 0;
    while (drop < track.raises.length && (track.raises[drop] ?? 0) <= at - this.windowMs) drop++;
    if (drop > 0) track.raises.splice(0, drop);
  }

  private countAt(track: AlarmTrack, at: number): number {
    let n = 0;
    for (const ts of track.raises) if (ts > at - this.windowMs) n++;
    return n;
  }

  /** Keeps memory bounded by the alarms that are active, chattering or had a raise within the window. */
  private forgetIfQuiet(alarmId: string, track: AlarmTrack, at: number): void {
    this.prune(track, at);
    if (!track.conditionActive && !track.chattering && track.raises.length === 0) this.tracks.delete(alarmId);
  }

  private emit(change: ChatterChange): void {
    try {
      this.onChange(change);
    } catch (err) {
      this.onError(err);
    }
  }
}
