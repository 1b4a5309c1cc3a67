import type { Logger } from '../../log.js';
import type { Clock, TimerHandle } from '../../time/clock.js';
import type { Cursor, CursorFile } from './cursor-file.js';
import { encodeRecord, SEGMENT_HEADER_BYTES, SEGMENT_MAGIC } from './record-codec.js';
import { segmentEnd, SegmentReader, type Segment } from './segment-reader.js';
import { recoverSegments, segmentPath, unlinkQuietly } from './segment-recovery.js';
import { writeFully, type SpoolFile, type SpoolFs } from './spool-fs.js';

/**
 * The spool on disk: an append-only log of line batches in numbered segment files (`0000000042.seg`), plus the
 * ack cursor. Lines are addressed by an index that the caller hands in with each append and that only grows;
 * a segment holds consecutive indices, so a batch that does not follow on from the open segment (lines were
 * skipped while the disk failed) starts a new one. After a restart the lines found on disk are numbered
 * [-recovered, 0), so that whatever the caller appends from index 0 on comes after them.
 *
 * Every file operation runs on one serial chain: an append, a replay read, an ack and an fsync never overlap,
 * and none of them ever blocks the event loop. Segments are read back in order for replay and deleted once
 * everything in them is acknowledged; the oldest are dropped when the log outgrows `maxBytes` or `maxAgeMs`.
 */

export type FsyncPolicy = 'always' | 'interval' | 'never';

export interface SegmentLogOptions {
  dir: string;
  fs: SpoolFs;
  clock: Clock;
  logger: Logger;
  fsync: FsyncPolicy;
  /** With fsync 'interval': the longest written data waits before it is forced to the disk, ms. */
  fsyncIntervalMs: number;
  /** Most bytes of segment files; past it the oldest segments are dropped. */
  maxBytes: number;
  /** Segments whose newest record is older than this are dropped, ms. */
  maxAgeMs: number;
  /** A segment is closed and the next begun once it holds this many bytes. */
  segmentBytes: number;
  /** A batch is split into records of about this many payload bytes at most. */
  recordBytes: number;
  /** An interval fsync failed: data written since the last one may not be on the disk. */
  onSyncError: (error: unknown) => void;
}

export interface LineRange {
  fromIdx: number;
  toIdx: number;
}

export interface DroppedLines extends LineRange {
  reason: 'maxBytes' | 'maxAge' | 'damaged';
}

export interface Recovery {
  /** Unacknowledged lines found on disk; they have the indices [-lines, 0). */
  lines: number;
  segments: number;
  /** Lines dropped at once by the size or age bound. */
  dropped: DroppedLines[];
}

export interface ReadResult {
  /** Index of the first line returned; lines before it (from the index asked for) are not on disk. */
  firstIdx: number;
  lines: string[];
  /** Lines found damaged on the way, from now on unreadable. */
  dropped: DroppedLines[];
}

/** Errors from opening a directory where the platform does not allow it (Windows). */
const DIR_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EPERM', 'EINVAL']);

export class SegmentLog {
  private readonly options: SegmentLogOptions;
  private readonly fs: SpoolFs;
  /** Oldest first; the last may be the active one. */
  private segments: Segment[] = [];
  private active: { segment: Segment; file: SpoolFile } | undefined;
  private reader: SegmentReader | undefined;
  private cursorFile: CursorFile | undefined;
  private nextSeq = 1;
  private totalBytes = 0;
  /** Every line below this index is acknowledged. */
  private ackedIdx = Number.NEGATIVE_INFINITY;
  private ackPending: Promise<void> | undefined;
  private unsynced = false;
  private dirUnsynced = false;
  private syncTimer: TimerHandle | undefined;
  private tail: Promise<void> = Promise.resolve();

  private constructor(options: SegmentLogOptions) {
    this.options = options;
    this.fs = options.fs;
  }

  /** Opens the log in `dir` (creating it), truncating a torn tail and dropping what is already acknowledged. */
  static async open(options: SegmentLogOptions): Promise<{ log: SegmentLog; recovery: Recovery }> {
    const log = new SegmentLog(options);
    try {
      return { log, recovery: await log.exclusive(() => log.recover()) };
    } catch (error) {
      await log.close().catch(() => undefined);
      throw error;
    }
  }

  /** Bytes of all segment files. */
  get bytes(): number {
    return this.totalBytes;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /**
   * Writes the lines, which have the indices [firstIdx, firstIdx + lines.length), and with fsync 'always' forces
   * them to the disk before resolving. On failure nothing of this batch counts as written, and the next append
   * starts a new segment. Resolves with what the size and age bounds dropped.
   */
  append(firstIdx: number, lines: readonly string[]): Promise<DroppedLines[]> {
    return this.exclusive(async () => {
      if (lines.length === 0) return [];
      const now = this.options.clock.now();
      if (this.active && (segmentEnd(this.active.segment) !== firstIdx || this.active.segment.bytes >= this.options.segmentBytes)) {
        await this.closeActive();
      }
      const active = this.active ?? (await this.createSegment(firstIdx, now));
      const { segment, file } = active;
      const bytes = this.encode(lines, now);
      try {
        await writeFully(file, bytes, segment.bytes);
        if (this.options.fsync === 'always') {
          await file.datasync();
          if (this.dirUnsynced) await this.syncDir();
        }
      } catch (error) {
        await file.truncate(segment.bytes).catch(() => undefined);
        await this.closeActive().catch(() => undefined);
        throw error;
      }
      segment.lineCount += lines.length;
      segment.bytes += bytes.length;
      segment.newestAtMs = now;
      this.totalBytes += bytes.length;
      if (this.options.fsync === 'interval') {
        this.unsynced = true;
        this.armSync();
      }
      return this.dropOverBounds(now);
    });
  }

  /** Up to `max` lines from `fromIdx` on, within one segment; undefined when no line at or after it is on disk. */
  read(fromIdx: number, max: number): Promise<ReadResult | undefined> {
    return this.exclusive(async () => {
      const segment = this.segments.find((s) => segmentEnd(s) > fromIdx);
      if (segment === undefined) return undefined;
      const firstIdx = Math.max(fromIdx, segment.firstIdx);
      if (this.reader?.segment !== segment) {
        await this.reader?.close();
        this.reader = new SegmentReader(this.fs, segment);
      }
      const result = await this.reader.read(firstIdx, max);
      const dropped: DroppedLines[] = [];
      if (result.damagedFromIdx !== undefined) {
        dropped.push({ fromIdx: result.damagedFromIdx, toIdx: segmentEnd(segment), reason: 'damaged' });
        this.options.logger.warn({ segment: segment.path, lines: segmentEnd(segment) - result.damagedFromIdx, reason: result.damage }, 'spool segment damaged; its remaining lines are lost');
        segment.lineCount = result.damagedFromIdx - segment.firstIdx;
      }
      return { firstIdx, lines: result.lines, dropped };
    });
  }

  /**
   * Records that every line below `idx` is acknowledged: the cursor moves and segments wholly below it are
   * deleted. Calls that come while one is waiting are merged into it.
   */
  markAcked(idx: number): Promise<void> {
    if (idx <= this.ackedIdx) return this.ackPending ?? Promise.resolve();
    this.ackedIdx = idx;
    this.ackPending ??= this.exclusive(async () => {
      this.ackPending = undefined;
      await this.applyAck();
    });
    return this.ackPending;
  }

  /** Drops the segments past the size or age bound now (the age bound also needs checking when nothing is written). */
  enforceBounds(): Promise<DroppedLines[]> {
    return this.exclusive(() => this.dropOverBounds(this.options.clock.now()));
  }

  /** Resolves once the file work queued so far is done. */
  idle(): Promise<void> {
    return this.exclusive(async () => {});
  }

  /** Forces what is written to the disk (unless fsync is 'never'), saves the cursor and closes the files. */
  close(): Promise<void> {
    this.options.clock.clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
    return this.exclusive(async () => {
      await this.closeActive();
      if (this.dirUnsynced) await this.syncDir();
      if (this.cursorFile) await this.applyAck();
      await this.reader?.close();
      this.reader = undefined;
      await this.cursorFile?.close();
      this.cursorFile = undefined;
    });
  }

  private exclusive<T>(op: () => Promise<T>): Promise<T> {
    const run = this.tail.then(op);
    this.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async recover(): Promise<Recovery> {
    const found = await recoverSegments(this.options);
    this.cursorFile = found.cursorFile;
    this.nextSeq = found.nextSeq;
    for (const segment of found.segments) {
      this.segments.push(segment);
      this.totalBytes += segment.bytes;
    }
    this.ackedIdx = -found.lines;
    const dropped = await this.dropOverBounds(this.options.clock.now());
    if (found.segments.length > 0) {
      this.options.logger.info({ dir: this.options.dir, lines: found.lines, segments: found.segments.length, bytes: this.totalBytes }, 'spool recovered from disk; replaying');
    }
    return { lines: found.lines, segments: found.segments.length, dropped };
  }

  private async createSegment(firstIdx: number, now: number): Promise<{ segment: Segment; file: SpoolFile }> {
    const seq = this.nextSeq++;
    const path = this.segmentPath(seq);
    const file = await this.fs.open(path, 'wx');
    try {
      await writeFully(file, SEGMENT_MAGIC, 0);
    } catch (error) {
      await file.close().catch(() => undefined);
      await this.unlinkQuietly(path);
      throw error;
    }
    const segment: Segment = { seq, path, firstIdx, lineCount: 0, bytes: SEGMENT_HEADER_BYTES, newestAtMs: now };
    this.segments.push(segment);
    this.totalBytes += segment.bytes;
    this.active = { segment, file };
    // The new file's directory entry must reach the disk too, or a power cut can lose the whole file.
    if (this.options.fsync !== 'never') this.dirUnsynced = true;
    return this.active;
  }

  /** Closes the segment being written (forcing it to the disk first unless fsync is 'never'). */
  private async closeActive(): Promise<void> {
    const active = this.active;
    if (!active) return;
    this.active = undefined;
    try {
      if (this.unsynced && this.options.fsync !== 'never') await active.file.datasync();
      this.unsynced = false;
    } finally {
      await active.file.close();
    }
  }

  /** Frames the lines as records of at most about `recordBytes` each. */
  private encode(lines: readonly string[], now: number): Buffer {
    const records: Buffer[] = [];
    let start = 0;
    let chars = 0;
    for (let i = 0; i < lines.length; i++) {
      chars += (lines[i] as string).length + 1;
      if (chars >= this.options.recordBytes || i === lines.length - 1) {
        records.push(encodeRecord(lines.slice(start, i + 1), now));
        start = i + 1;
        chars = 0;
      }
    }
    return records.length === 1 ? (records[0] as Buffer) : Buffer.concat(records);
  }

  private armSync(): void {
    if (this.syncTimer !== undefined) return;
    this.syncTimer = this.options.clock.setTimeout(() => {
      this.syncTimer = undefined;
      this.exclusive(() => this.syncNow()).catch((error: unknown) => this.options.onSyncError(error));
    }, this.options.fsyncIntervalMs);
  }

  private async syncNow(): Promise<void> {
    if (this.active && this.unsynced) {
      this.unsynced = false;
      await this.active.file.datasync();
    }
    if (this.dirUnsynced) await this.syncDir();
  }

  private async syncDir(): Promise<void> {
    this.dirUnsynced = false;
    let dir: SpoolFile;
    try {
      dir = await this.fs.open(this.options.dir, 'r');
    } catch (error) {
      // Some platforms cannot open a directory for fsync at all; there is nothing more to do on them.
      if (DIR_SYNC_UNSUPPORTED.has((error as NodeJS.ErrnoException).code ?? '')) return;
      throw error;
    }
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  /** Saves the cursor, then deletes the closed segments whose lines are all acknowledged. */
  private async applyAck(): Promise<void> {
    await this.cursorFile?.write(this.cursorAt(this.ackedIdx));
    for (;;) {
      const oldest = this.segments[0];
      if (!oldest || oldest === this.active?.segment || segmentEnd(oldest) > this.ackedIdx) break;
      await this.removeSegment(oldest);
    }
  }

  /** The cursor for "every line below `idx` is acknowledged". */
  private cursorAt(idx: number): Cursor {
    for (const segment of this.segments) {
      if (segmentEnd(segment) > idx) return { segmentSeq: segment.seq, linesAcked: Math.max(0, idx - segment.firstIdx) };
    }
    const last = this.segments[this.segments.length - 1];
    return last ? { segmentSeq: last.seq, linesAcked: last.lineCount } : { segmentSeq: this.nextSeq, linesAcked: 0 };
  }

  private async dropOverBounds(now: number): Promise<DroppedLines[]> {
    const dropped: DroppedLines[] = [];
    for (;;) {
      const oldest = this.segments[0];
      if (!oldest) break;
      const reason = oldest.newestAtMs < now - this.options.maxAgeMs ? 'maxAge' : this.totalBytes > this.options.maxBytes && this.segments.length > 1 ? 'maxBytes' : undefined;
      if (reason === undefined) break;
      if (oldest === this.active?.segment) await this.closeActive();
      dropped.push({ fromIdx: oldest.firstIdx, toIdx: segmentEnd(oldest), reason });
      await this.removeSegment(oldest);
    }
    return dropped;
  }

  private async removeSegment(segment: Segment): Promise<void> {
    this.segments.splice(this.segments.indexOf(segment), 1);
    this.totalBytes -= segment.bytes;
    if (this.reader?.segment === segment) {
      await this.reader.close().catch(() => undefined);
      this.reader = undefined;
    }
    await this.unlinkQuietly(segment.path);
  }

  private async unlinkQuietly(path: string): Promise<void> {
    await unlinkQuietly(this.options, path);
  }

  private segmentPath(seq: number): string {
    return segmentPath(this.options.dir, seq);
  }
}
