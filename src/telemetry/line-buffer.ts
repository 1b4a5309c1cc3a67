/**
 * The queue of encoded lines between the telemetry writer and one sink's sender. The writer only ever pushes
 * (synchronously, on the poll path); the sender takes batches from the other end. Behind this interface so
 * that the durable on-disk spool of a later issue can take the in-memory buffer's place.
 */
export interface LineQueue {
  /** Lines waiting now. */
  readonly length: number;
  /** Most lines held at once; past it the oldest are dropped. */
  readonly capacity: number;
  /** Lines dropped so far to stay within the capacity (never decreases). */
  readonly dropped: number;
  /** Appends one line. When full, drops the oldest line first and counts it. O(1); never throws. */
  push(line: string): void;
  /** Removes and returns up to `max` of the oldest lines, oldest first. */
  take(max: number): string[];
  /** Removes every line; returns how many there were. They are not counted as dropped here. */
  clear(): number;
}

/** Lines per chunk: large enough that chunk bookkeeping is rare, small enough that an idle sink holds little. */
const CHUNK_LINES = 1024;

/**
 * A bounded FIFO in memory, kept as a list of fixed-size chunks: memory follows the lines actually held
 * (not the capacity), and neither push nor drop ever copies the queue.
 */
export class MemoryLineBuffer implements LineQueue {
  /** Chunks oldest first. Every chunk but the last is full; the first is read from `head`. */
  private readonly chunks: string[][] = [];
  private head = 0;
  private count = 0;
  private droppedLines = 0;

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

  take(max: number): string[] {
    const wanted = Math.min(Math.max(0, Math.floor(max)), this.count);
    const out: string[] = [];
    while (out.length < wanted) {
      const first = this.chunks[0];
      if (first === undefined) break;
      const end = Math.min(first.length, this.head + (wanted - out.length));
      for (let i = this.head; i < end; i++) out.push(first[i] as string);
      this.removeOldest(end - this.head);
    }
    return out;
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
