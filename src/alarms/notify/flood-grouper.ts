import type { Clock, TimerHandle } from '../../time/clock.js';
import type { OutboxEntry } from './types.js';

export interface FloodGrouperOptions {
  clock: Clock;
  /** How long the first push of a group waits for related ones. */
  intervalMs: number;
  /** Sends what one group collected for one recipient on one channel. */
  flush: (label: string, entries: OutboxEntry[]) => void;
}

interface Bucket {
  label: string;
  entries: OutboxEntry[];
  timer: TimerHandle;
}

/**
 * During a flood, collects the pushes of related alarms (one group key) per recipient and channel and
 * sends them as one push per interval. Fire/life-safety pushes never come here. The pushes are already
 * stored as pending, so nothing collected is lost if the process dies before the interval ends.
 */
export class FloodGrouper {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly options: FloodGrouperOptions) {}

  add(entry: OutboxEntry): void {
    const id = `${entry.groupKey}\u0000${entry.recipient.key}\u0000${entry.channel}`;
    const bucket = this.buckets.get(id);
    if (bucket) {
      bucket.entries.push(entry);
      return;
    }
    const timer = this.options.clock.setTimeout(() => this.flush(id), this.options.intervalMs);
    this.buckets.set(id, { label: entry.groupKey, entries: [entry], timer });
  }

  /** Pushes waiting for their interval to end. */
  get waiting(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.entries.length;
    return n;
  }

  /** Sends everything collected now (the flood ended). */
  flushAll(): void {
    for (const id of [...this.buckets.keys()]) this.flush(id);
  }

  /** Sends now what was collected at `site` (its flood ended). */
  flushSite(site: string): void {
    for (const [id, b] of [...this.buckets.entries()]) if (b.entries[0]?.site === site) this.flush(id);
  }

  /** Drops the timers; what was collected stays pending in the store for the next start. */
  stop(): void {
    for (const b of this.buckets.values()) this.options.clock.clearTimeout(b.timer);
    this.buckets.clear();
  }

  private flush(id: string): void {
    const bucket = this.buckets.get(id);
    if (!bucket) return;
    this.buckets.delete(id);
    this.options.clock.clearTimeout(bucket.timer);
    this.options.flush(bucket.label, bucket.entries);
  }
}
