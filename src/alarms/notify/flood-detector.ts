import type { Clock, TimerHandle } from '../../time/clock.js';

export interface FloodEvent {
  site: string;
  /** true: a flood started; false: it ended. */
  flooding: boolean;
  /** ms since epoch. */
  at: number;
  /** Annunciations within the window at that moment. */
  count: number;
}

export interface FloodSiteState {
  site: string;
  flooding: boolean;
  /** Annunciations within the window now. */
  count: number;
  /** When the current flood started. */
  since?: number;
}

export interface FloodDetectorOptions {
  clock: Clock;
  /** Starts when more than this many annunciations fall within the window. */
  startAbove: number;
  /** Ends when fewer than this many remain. */
  endBelow: number;
  windowMs: number;
  onChange: (event: FloodEvent) => void;
}

interface Site {
  times: number[];
  flooding: boolean;
  since?: number;
  timer?: TimerHandle;
}

/**
 * ISA-18.2 flood detection per site on a sliding window of annunciation times. The end is found by a timer
 * at the moment the oldest annunciation leaves the window, so a flood ends on time even when nothing else
 * happens.
 */
export class FloodDetector {
  private readonly sites = new Map<string, Site>();
  private starts = 0;

  constructor(private readonly options: FloodDetectorOptions) {}

  get floodsStarted(): number {
    return this.starts;
  }

  /** Counts one annunciation at `site` now. */
  record(site: string): void {
    const s = this.sites.get(site) ?? { times: [], flooding: false };
    this.sites.set(site, s);
    s.times.push(this.options.clock.now());
    this.evaluate(site, s);
  }

  isFlooding(site: string): boolean {
    return this.sites.get(site)?.flooding === true;
  }

  state(): FloodSiteState[] {
    const now = this.options.clock.now();
    return [...this.sites.entries()].map(([site, s]) => {
      this.prune(s, now);
      const out: FloodSiteState = { site, flooding: s.flooding, count: s.times.length };
      if (s.since !== undefined) out.since = s.since;
      return out;
    });
  }

  stop(): void {
    for (const s of this.sites.values()) {
      this.options.clock.clearTimeout(s.timer);
      s.timer = undefined;
    }
  }

  private prune(s: Site, now: number): void {
    const oldest = now - this.options.windowMs;
    let drop = 0;
    while (drop < s.times.length && (s.times[drop] ?? 0) <= oldest) drop++;
    if (drop > 0) s.times.splice(0, drop);
  }

  private evaluate(site: string, s: Site): void {
    const { clock, startAbove, endBelow, windowMs, onChange } = this.options;
    const now = clock.now();
    this.prune(s, now);
    const count = s.times.length;
    if (!s.flooding && count > startAbove) {
      s.flooding = true;
      s.since = now;
      this.starts++;
      onChange({ site, flooding: true, at: now, count });
    } else if (s.flooding && count < endBelow) {
      s.flooding = false;
      s.since = undefined;
      onChange({ site, flooding: false, at: now, count });
    }
    clock.clearTimeout(s.timer);
    s.timer = undefined;
    const first = s.times[0];
    if (s.flooding && first !== undefined) {
      s.timer = clock.setTimeout(() => {
        s.timer = undefined;
        this.evaluate(site, s);
      }, first + windowMs - now);
    }
    if (!s.flooding && count === 0) this.sites.delete(site);
  }
}
