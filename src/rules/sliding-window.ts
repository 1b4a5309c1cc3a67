/**
 * The sliding window shared by event rules (device events) and repeat alarms (a condition becoming true):
 * "at least `count` occurrences within the last `windowMs`". Both decisions depend only on the `count`
 * newest occurrences, so a fixed ring of `count` timestamps, allocated once, is all the state there is.
 *
 * - The window is half-open: at time t it holds the occurrences with `t - windowMs < ts <= t`. One exactly
 *   `windowMs` old has left it, so "5 within 2 minutes" means the first and the fifth are less than
 *   2 minutes apart.
 * - It holds at least `count` exactly when the `count`-th newest is still in it, and drops below `count`
 *   exactly when that one ages out (`fullUntil()`).
 * - The window ends at the later of the engine's clock and the newest timestamp (a device stamping a little
 *   ahead of the gateway does not stretch the window).
 */

/** Ring sizes above this are refused by the compiler: each counted occurrence costs 8 bytes per rule. */
export const MAX_WINDOW_COUNT = 10_000;

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

  /** Forgets every entry. */
  clear(): void {
    this.start = 0;
    this.length = 0;
  }

  /** Entries newer than `after` (the ones still in a window that starts after it). */
  countNewerThan(after: number): number {
    let n = 0;
    for (let i = this.length - 1; i >= 0 && this.at(i) > after; i--) n++;
    return n;
  }
}

export class SlidingWindow {
  readonly count: number;
  readonly windowMs: number;
  private readonly ring: TimestampRing;

  constructor(count: number, windowMs: number) {
    this.count = count;
    this.windowMs = windowMs;
    this.ring = new TimestampRing(count);
  }

  /** Occurrence timestamps held, at most `count`. */
  size(): number {
    return this.ring.size();
  }

  /** Counts one occurrence; false when it can never matter (older than all of the `count` newest). */
  insert(ts: number): boolean {
    return this.ring.insert(ts);
  }

  /** True when the window ending at `now` holds `count` occurrences. */
  isFull(now: number): boolean {
    if (!this.ring.isFull()) return false;
    const windowEnd = Math.max(now, this.ring.newest());
    return this.ring.oldest() > windowEnd - this.windowMs;
  }

  /** While full: when the oldest of the `count` newest occurrences leaves the window. */
  fullUntil(): number {
    return this.ring.oldest() + this.windowMs;
  }

  /** The oldest of the occurrences held (the one that opened a full window); NaN when empty. */
  oldest(): number {
    return this.ring.oldest();
  }

  /** Occurrences in the window ending at `now` (exact whenever it is below `count`). */
  countAt(now: number): number {
    return this.ring.countNewerThan(now - this.windowMs);
  }

  /** The timestamps held, oldest first, for a snapshot. */
  timestamps(): number[] {
    return Array.from({ length: this.ring.size() }, (_, i) => this.ring.at(i));
  }

  /** Replaces the contents with `timestamps` (a snapshot's); the newest `count` finite ones are kept. */
  restore(timestamps: readonly number[]): void {
    this.ring.clear();
    for (const ts of timestamps) if (Number.isFinite(ts)) this.ring.insert(ts);
  }
}
