import type { Sample } from '../points/sample.js';
import type { CounterMode, CounterRow } from './store.js';

const HOUR_MS = 3_600_000;
/** A counter may grow by one hour's worth beyond the elapsed time: coarse counters step in whole units. */
const GRACE_HOURS = 1;

export type CounterStep = 'unchanged' | 'counted' | 'reset' | 'implausible';

/**
 * One meter kept by the gateway from a device's samples: the units (hours, starts, trips, cycles) counted
 * since it started watching. From a counter point it adds the increase of the device's own counter; from a
 * binary point (count: rising-edges) it counts false→true changes. A counter that goes down was reset on the
 * device (a replaced controller, a cleared counter): what it shows now is counted as the increase since the
 * reset. An increase larger than `maxPerHour` allows for the time elapsed (a replaced controller with a
 * used count, a misread) is not counted: the meter re-bases on the new reading instead.
 *
 * `update` is the hot path: no allocation, a few comparisons.
 */
export class MeterCounter {
  total: number;
  lastRaw: number | undefined;
  lastChangeTs: number | undefined;
  resets: number;
  /** Set when the counter changed since it was last saved; the service keeps a list of dirty counters. */
  dirty = false;

  constructor(
    readonly point: string,
    readonly mode: CounterMode,
    private readonly maxPerHour: number,
    saved?: CounterRow,
  ) {
    this.total = saved?.total ?? 0;
    this.lastRaw = saved?.lastRaw;
    this.lastChangeTs = saved?.lastChangeTs;
    this.resets = saved?.resets ?? 0;
  }

  update(s: Sample): CounterStep {
    if (s.quality !== 'good' || s.value === null) return 'unchanged';
    if (this.mode === 'rising-edges') return this.edge(s);
    const v = s.value;
    if (typeof v !== 'number' || !Number.isFinite(v)) return 'unchanged';
    const last = this.lastRaw;
    if (last === undefined) {
      this.rebase(v, s.ts);
      return 'unchanged';
    }
    if (v === last) return 'unchanged';
    const reset = v < last;
    // After a reset the device counts from zero again: what it shows is the increase since then.
    const increase = reset ? v : v - last;
    const elapsedH = Math.max(0, s.ts - (this.lastChangeTs ?? s.ts)) / HOUR_MS;
    if (increase > this.maxPerHour * (elapsedH + GRACE_HOURS)) {
      this.resets++;
      this.rebase(v, s.ts);
      return 'implausible';
    }
    this.total += increase;
    if (reset) this.resets++;
    this.rebase(v, s.ts);
    return reset ? 'reset' : 'counted';
  }

  toRow(): CounterRow {
    return { point: this.point, mode: this.mode, total: this.total, lastRaw: this.lastRaw, lastChangeTs: this.lastChangeTs, resets: this.resets };
  }

  private edge(s: Sample): CounterStep {
    const v = s.value;
    const on = v === true || (typeof v === 'number' && v !== 0);
    const off = v === false || v === 0;
    if (!on && !off) return 'unchanged';
    const was = this.lastRaw;
    const now = on ? 1 : 0;
    if (was === now) return 'unchanged';
    this.rebase(now, s.ts);
    // The first reading after start-up with no saved state tells nothing about a start.
    if (was === 0 && on) {
      this.total += 1;
      return 'counted';
    }
    return 'unchanged';
  }

  private rebase(raw: number, ts: number): void {
    this.lastRaw = raw;
    this.lastChangeTs = ts;
    this.dirty = true;
  }
}

/** The default plausibility limit of a meter: run hours cannot grow faster than time; counts up to one a second. */
export function defaultMaxPerHour(unit: string | undefined, mode: CounterMode): number {
  if (mode === 'rising-edges') return Number.POSITIVE_INFINITY;
  return unit === 'h' ? 1.1 : 3600;
}
