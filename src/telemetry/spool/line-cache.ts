/** Lines per chunk, as in MemoryLineBuffer: chunk bookkeeping is rare and an idle cache holds little. */
const CHUNK_LINES = 1024;

/**
 * The newest lines in memory, addressed by their spool index: [start, end). Lines are pushed at the end and
 * forgotten from the start; a lookup by index is O(1). Kept as fixed-size chunks so that neither pushing nor
 * forgetting ever copies the lines.
 */
export class LineCache {
  private readonly chunks: string[][] = [];
  /** Position of `start` within the first chunk. */
  private head = 0;
  private startIdx: number;
  private count = 0;

  constructor(startIdx: number) {
    this.startIdx = startIdx;
  }

  /** Index of the oldest line held (equal to `end` when empty). */
  get start(): number {
    return this.startIdx;
  }

  /** Index the next pushed line gets. */
  get end(): number {
    return this.startIdx + this.count;
  }

  get length(): number {
    return this.count;
  }

  push(line: string): void {
    let last = this.chunks[this.chunks.length - 1];
    if (last === undefined || last.length === CHUNK_LINES) {
      last = [];
      this.chunks.push(last);
    }
    last.push(line);
    this.count++;
  }

  /** The lines [from, to), which must lie within [start, end). */
  slice(from: number, to: number): string[] {
    const out: string[] = new Array<string>(to - from);
    let position = this.head + (from - this.startIdx);
    for (let i = 0; i < out.length; i++, position++) {
      out[i] = (this.chunks[Math.floor(position / CHUNK_LINES)] as string[])[position % CHUNK_LINES] as string;
    }
    return out;
  }

  /** Forgets every line with an index below `idx`. */
  dropBefore(idx: number): void {
    const n = Math.min(this.count, idx - this.startIdx);
    if (n <= 0) return;
    this.startIdx += n;
    this.count -= n;
    this.head += n;
    if (this.count === 0) {
      // Nothing held: start afresh with the next push rather than keep a consumed chunk.
      this.chunks.length = 0;
      this.head = 0;
      return;
    }
    while (this.head >= CHUNK_LINES) {
      this.chunks.shift();
      this.head -= CHUNK_LINES;
    }
  }
}
