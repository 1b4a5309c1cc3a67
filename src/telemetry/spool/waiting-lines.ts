import type { Lane } from '../line-buffer.js';
import type { LineRange } from './segment-log.js';

/**
 * Which spool indices still wait to be handed to the sender, split into two lanes at `liveStart`: the backlog
 * (lines that were waiting when the server came back, or found on disk at start-up) and the live lane (lines
 * appended since). Kept as sorted, disjoint ranges, because lines can leave out of order: a dropped segment
 * or a line lost while the disk failed makes a hole. No range straddles `liveStart`.
 */
export class WaitingLines {
  private readonly ranges: LineRange[] = [];
  private liveStart: number;
  /** Index the next appended line gets. */
  private end: number;
  private backlogCount = 0;
  private liveCount = 0;

  constructor(startIdx: number) {
    this.liveStart = startIdx;
    this.end = startIdx;
  }

  get length(): number {
    return this.backlogCount + this.liveCount;
  }

  get backlogLength(): number {
    return this.backlogCount;
  }

  get liveLength(): number {
    return this.liveCount;
  }

  /** The lowest waiting index, or `end` when nothing waits. */
  lowest(): number {
    return this.ranges[0]?.fromIdx ?? this.end;
  }

  /** Adds the next index to the live lane. O(1). */
  append(): void {
    const last = this.ranges[this.ranges.length - 1];
    if (last !== undefined && last.toIdx === this.end && last.fromIdx >= this.liveStart) last.toIdx++;
    else this.ranges.push({ fromIdx: this.end, toIdx: this.end + 1 });
    this.end++;
    this.liveCount++;
  }

  /** Puts lines older than everything waiting (found on disk at start-up) at the front of the backlog. */
  prependBacklog(range: LineRange): void {
    const first = this.ranges[0];
    if (range.toIdx <= range.fromIdx) return;
    if (first !== undefined && first.fromIdx < range.toIdx) throw new RangeError('prepended lines must come before every waiting line');
    this.ranges.unshift({ ...range });
    this.backlogCount += range.toIdx - range.fromIdx;
  }

  /** Everything waiting now becomes backlog; lines appended from now on are live. */
  moveToBacklog(): void {
    this.liveStart = this.end;
    this.backlogCount += this.liveCount;
    this.liveCount = 0;
  }

  /** The first run of consecutive waiting indices of the lane. */
  firstRun(lane: Lane): LineRange | undefined {
    const range = lane === 'backlog' ? this.ranges[0] : this.ranges.find((r) => r.fromIdx >= this.liveStart);
    if (range === undefined) return undefined;
    if (lane === 'backlog' && range.fromIdx >= this.liveStart) return undefined;
    return { ...range };
  }

  /** Removes up to `max` indices from the start of the lane's first run and returns them. */
  take(lane: Lane, max: number): LineRange | undefined {
    const run = this.firstRun(lane);
    if (run === undefined || max <= 0) return undefined;
    const taken = { fromIdx: run.fromIdx, toIdx: Math.min(run.toIdx, run.fromIdx + max) };
    this.remove(taken.fromIdx, taken.toIdx);
    return taken;
  }

  /** Removes whatever waits in [fromIdx, toIdx); returns how many indices that was. */
  remove(fromIdx: number, toIdx: number): number {
    let removed = 0;
    for (let i = 0; i < this.ranges.length; ) {
      const range = this.ranges[i] as LineRange;
      if (range.toIdx <= fromIdx) {
        i++;
        continue;
      }
      if (range.fromIdx >= toIdx) break;
      const cutFrom = Math.max(range.fromIdx, fromIdx);
      const cutTo = Math.min(range.toIdx, toIdx);
      const cut = cutTo - cutFrom;
      removed += cut;
      if (range.fromIdx >= this.liveStart) this.liveCount -= cut;
      else this.backlogCount -= cut;
      const pieces: LineRange[] = [];
      if (range.fromIdx < cutFrom) pieces.push({ fromIdx: range.fromIdx, toIdx: cutFrom });
      if (cutTo < range.toIdx) pieces.push({ fromIdx: cutTo, toIdx: range.toIdx });
      this.ranges.splice(i, 1, ...pieces);
      i += pieces.length;
    }
    return removed;
  }

  /** How many waiting indices lie below `idx`. */
  countBelow(idx: number): number {
    let count = 0;
    for (const range of this.ranges) {
      if (range.fromIdx >= idx) break;
      count += Math.min(range.toIdx, idx) - range.fromIdx;
    }
    return count;
  }
}
