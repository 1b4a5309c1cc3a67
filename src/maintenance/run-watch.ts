import type { Sample } from '../points/sample.js';

/** A run of a pump seen in telemetry: when it started, how long it ran, the highest pressure on the way. */
export interface ObservedRun {
  start: number;
  durationMs: number;
  /** Highest good pressure reading during the run; undefined when none came. */
  peak: number | undefined;
}

/**
 * Watches one asset's running flag (and optionally a pressure point) and reports each finished run. Only
 * good readings count: a run is measured from the first good `true` to the first good `false`, so a link
 * outage in the middle does not end it. The hot path allocates only when a run ends.
 */
export class RunWatch {
  private runStart: number | undefined;
  private peak = Number.NEGATIVE_INFINITY;

  constructor(
    readonly scheduleId: string,
    readonly asset: string,
    private readonly onRun: (watch: RunWatch, run: ObservedRun) => void,
  ) {}

  onRunning(s: Sample): void {
    if (s.quality !== 'good') return;
    const v = s.value;
    const on = v === true || (typeof v === 'number' && v !== 0);
    const off = v === false || v === 0;
    if (on && this.runStart === undefined) {
      this.runStart = s.ts;
      this.peak = Number.NEGATIVE_INFINITY;
    } else if (off && this.runStart !== undefined) {
      const start = this.runStart;
      this.runStart = undefined;
      this.onRun(this, { start, durationMs: s.ts - start, peak: Number.isFinite(this.peak) ? this.peak : undefined });
    }
  }

  onPressure(s: Sample): void {
    if (this.runStart === undefined || s.quality !== 'good' || typeof s.value !== 'number') return;
    if (s.value > this.peak) this.peak = s.value;
  }

  /** The start of the run in progress, if any (status). */
  get runningSince(): number | undefined {
    return this.runStart;
  }
}
