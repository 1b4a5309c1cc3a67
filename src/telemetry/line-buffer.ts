/**
 * The queue of encoded lines between the telemetry writer and one sink's sender. The writer only ever pushes
 * (synchronously, on the poll path); the sender takes batches from the other end and acknowledges each one
 * once the server has taken it (or refused it for good), so that a durable queue can let the lines go.
 *
 * Two implementations: MemoryLineBuffer (this file), a bounded FIFO in memory; and SpoolQueue
 * (spool/spool-queue.ts), which keeps every line on disk until it is acknowledged and hands out an outage's
 * backlog in a lane of its own, so that the sender can pace the replay while live lines keep flowing.
 */
export interface LineQueue {
  /** Lines waiting to be taken, in both lanes. */
  readonly length: number;
  /** Of those, the lines in the backlog lane (always 0 in memory). */
  readonly backlogLength: number;
  /** Most lines held in memory at once; past it the oldest are dropped (or, with a spool, left on disk only). */
  readonly capacity: number;
  /** Lines lost so far without being sent: past the bound, or dropped from the spool (never decreases). */
  readonly dropped: number;
  /** Appends one line. O(1); never throws and never waits for the disk. */
  push(line: string): void;
  /** Removes and returns up to `max` of the oldest lines of the lane; the spool may have to read them from disk. */
  take(max: number, lane: Lane): string[] | Promise<string[]>;
  /** The oldest batch taken and not yet acknowledged is done with: the server took it, or refused it for good. */
  ack(): void;
  /** Everything waiting becomes backlog, to be replayed at a limited rate; a no-op in memory. */
  moveToBacklog(): void;
  /** Called when lines start waiting other than by push (the spool found some on disk). */
  onWaiting(listener: () => void): void;
  /**
   * Stops the queue: makes what it holds as durable as it can and returns how many lines, waiting or taken
   * and not acknowledged, are lost by stopping (all of them in memory; with a spool, those not on disk).
   * Lines pushed afterwards are counted as dropped.
   */
  close(): Promise<number>;
  /** The spool's side of the sink status. */
  spoolStatus(): SpoolStatus;
}

/** Which end of the queue a batch comes from: new lines, or the backlog that is replayed at a limited rate. */
export type Lane = 'live' | 'backlog';

/** Spool figures for the sink status. The counts are null for a sink without a spool. */
export interface SpoolStatus {
  /** Why lines are not being written to the spool now (disk full, directory not writable); null while they are. */
  spoolError: string | null;
  /** Bytes of spool files on disk. */
  spoolBytes: number | null;
  /** Lines on disk that the server has not acknowledged yet. */
  spoolLines: number | null;
  /** Lines dropped from the spool by its size or age bound, or found damaged (also counted in linesDropped). */
  spoolDroppedLines: number | null;
  /** Lines accepted into the spool since start-up: written, and with fsync 'always' forced to the disk. */
  linesSpooled: number | null;
}

export const NO_SPOOL: Readonly<SpoolStatus> = { spoolError: null, spoolBytes: null, spoolLines: null, spoolDroppedLines: null, linesSpooled: null };

/** Lines per chunk: large enough that chunk bookkeeping is rare, small enough that an idle sink holds little. */
const CHUNK_LINES = 1024;

/**
 * A bounded FIFO in memory, kept as a list of fixed-size chunks: memory follows the lines actually held
 * (not the capacity), and neither push nor drop ever copies the queue.
 */
export class MemoryLineBuffer implements LineQueue {
  readonly backlogLength = 0;
  /** Chunks oldest first. Every chunk but the last is full; the first is read from `head`. */
  private readonly chunks: string[][] = [];
  private head = 0;
  private count = 0;
  private droppedLines = 0;
  /** Sizes of the batches taken and not yet acknowledged, oldest first. */
  private readonly unacked: number[] = [];
  private closed = false;

  /** @param capacity - most lines held at once (≥ 1). */
  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`line buffer capacity must be a positive integer, got ${capacity}`);
  }

  get length(): number {
    return this.count;
  }

  get dropped(): number {
    return this.droppedLines;
  }

  push(line: string): void {
    if (this.closed) {
      this.droppedLines++;
      return;
    }
    if (this.count >= this.capacity) {
      this.removeOldest(1);
      this.droppedLines++;
    }
    let last = this.chunks[this.chunks.length - 1];
    if (last === undefined || last.length === CHUNK_LINES) {
      last = [];
      this.chunks.push(last);
    }
    last.push(line);
    this.count++;
  }

  /** Memory has no backlog lane: every line is live. */
  take(max: number, _lane: Lane = 'live'): string[] {
    const wanted = Math.min(Math.max(0, Math.floor(max)), this.count);
    const out: string[] = [];
    while (out.length < wanted) {
      const first = this.chunks[0];
      if (first === undefined) break;
      const end = Math.min(first.length, this.head + (wanted - out.length));
      for (let i = this.head; i < end; i++) out.push(first[i] as string);
      this.removeOldest(end - this.head);
    }
    if (out.length > 0) this.unacked.push(out.length);
    return out;
  }

  ack(): void {
    this.unacked.shift();
  }

  moveToBacklog(): void {}

  onWaiting(_listener: () => void): void {}

  /** Nothing survives in memory: every line held, waiting or taken, is lost. */
  async close(): Promise<number> {
    if (this.closed) return 0;
    this.closed = true;
    const lost = this.clear() + this.unacked.reduce((sum, n) => sum + n, 0);
    this.unacked.length = 0;
    return lost;
  }

  spoolStatus(): SpoolStatus {
    return { ...NO_SPOOL };
  }

  clear(): number {
    const removed = this.count;
    this.chunks.length = 0;
    this.head = 0;
    this.count = 0;
    return removed;
  }

  /**
   * Forgets the `n` oldest lines, all within the first chunk, and releases the chunk once it is read through
   * (so at most one chunk of forgotten lines stays referenced).
   */
  private removeOldest(n: number): void {
    const first = this.chunks[0];
    if (first === undefined) return;
    this.head += n;
    this.count -= n;
    if (this.head >= first.length) {
      this.chunks.shift();
      this.head = 0;
    }
  }
}
