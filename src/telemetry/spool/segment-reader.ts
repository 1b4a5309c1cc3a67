import { decodeLines, parseRecord, RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES } from './record-codec.js';
import { SEGMENT_READ_CHUNK_BYTES } from './segment-scan.js';
import { readUpTo, type SpoolFile, type SpoolFs } from './spool-fs.js';

/** What the log knows of one segment file. Line indices are the spool's (see SegmentLog). */
export interface Segment {
  seq: number;
  path: string;
  /** Index of the segment's first line. */
  firstIdx: number;
  lineCount: number;
  /** Header and complete records, bytes: where the next record goes, and how far a reader may read. */
  bytes: number;
  /** When its newest record was written, ms since the epoch. */
  newestAtMs: number;
}

export function segmentEnd(segment: Segment): number {
  return segment.firstIdx + segment.lineCount;
}

export interface SegmentRead {
  lines: string[];
  /** Set when a damaged record was found: the segment's lines from this index on cannot be read. */
  damagedFromIdx?: number;
  damage?: string;
}

/**
 * Reads one segment forwards for replay. Replay asks for consecutive batches, so the reader keeps its place (a
 * record boundary) and the last record it decoded, and each record is read from the disk and decoded once.
 */
export class SegmentReader {
  private file: SpoolFile | undefined;
  /** Byte offset and first line index of the next record to read. */
  private offset = SEGMENT_HEADER_BYTES;
  private nextIdx: number;
  /** The last record decoded, which a batch may have used only part of. */
  private decoded: { firstIdx: number; lines: string[] } | undefined;
  /** Bytes read ahead: the file's bytes from `bufferStart` on, parsed one record at a time as needed. */
  private buffer: Buffer = Buffer.alloc(0);
  private bufferStart = 0;

  constructor(
    private readonly fs: SpoolFs,
    readonly segment: Segment,
  ) {
    this.nextIdx = segment.firstIdx;
  }

  /** Up to `max` lines from `fromIdx` on, stopping at the segment's end. */
  async read(fromIdx: number, max: number): Promise<SegmentRead> {
    const out: string[] = [];
    const end = Math.min(segmentEnd(this.segment), fromIdx + max);
    let idx = Math.max(fromIdx, this.segment.firstIdx);
    while (idx < end) {
      const decoded = this.decoded;
      if (decoded && idx >= decoded.firstIdx && idx < decoded.firstIdx + decoded.lines.length) {
        const take = Math.min(end, decoded.firstIdx + decoded.lines.length) - idx;
        for (let i = idx - decoded.firstIdx, n = i + take; i < n; i++) out.push(decoded.lines[i] as string);
        idx += take;
        continue;
      }
      if (idx < this.nextIdx) this.rewind();
      const damage = await this.readRecords(idx);
      if (damage !== undefined) return { lines: out, damagedFromIdx: this.nextIdx, damage };
    }
    return { lines: out };
  }

  async close(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await file?.close();
  }

  private rewind(): void {
    this.offset = SEGMENT_HEADER_BYTES;
    this.nextIdx = this.segment.firstIdx;
    this.decoded = undefined;
  }

  /**
   * Reads on from the current place, skipping records before `idx` without decoding them, and decodes the first
   * record that holds `idx`. Stops there, so the place never runs ahead of what was used. Returns a reason when
   * the bytes are damaged.
   */
  private async readRecords(idx: number): Promise<string | undefined> {
    this.file ??= await this.fs.open(this.segment.path, 'r');
    for (;;) {
      const available = this.segment.bytes - this.offset;
      if (available <= 0) return 'the segment ends before its last line';
      const at = this.offset - this.bufferStart;
      const parsed = at >= 0 && at < this.buffer.length ? parseRecord(this.buffer, at) : ({ kind: 'partial', needBytes: RECORD_HEADER_BYTES } as const);
      if (parsed.kind === 'corrupt') return parsed.reason;
      if (parsed.kind === 'record') {
        const firstIdx = this.nextIdx;
        this.nextIdx += parsed.record.lineCount;
        this.offset += parsed.record.size;
        if (this.nextIdx <= idx) continue;
        this.decoded = { firstIdx, lines: decodeLines(parsed.record, this.buffer) };
        return undefined;
      }
      // The next record is not (wholly) in the buffer: read ahead from its start.
      if (parsed.needBytes > available) return 'the segment ends inside a record';
      const length = Math.min(Math.max(SEGMENT_READ_CHUNK_BYTES, parsed.needBytes), available);
      this.buffer = await readUpTo(this.file, length, this.offset);
      this.bufferStart = this.offset;
      if (this.buffer.length < length) return 'the segment file is shorter than written';
    }
  }
}
