import { join } from 'node:path';
import type { Logger } from '../../log.js';
import { describeError } from '../batching-sink.js';
import { CURSOR_FILE, CursorFile, type Cursor } from './cursor-file.js';
import type { Segment } from './segment-reader.js';
import { scanSegment } from './segment-scan.js';
import type { SpoolFs } from './spool-fs.js';

/**
 * Start-up of a spool directory: reads the ack cursor, deletes the segments it says are done with, walks the
 * others record by record (CRC-checked) and cuts off a torn tail, so that only whole records written before
 * the crash are ever replayed. The unacknowledged lines found get the indices [-lines, 0), oldest first.
 */

export interface RecoveryContext {
  dir: string;
  fs: SpoolFs;
  logger: Logger;
}

export interface RecoveredSegments {
  cursorFile: CursorFile;
  /** Segments holding unacknowledged lines, oldest first, numbered so that those lines end at index 0. */
  segments: Segment[];
  lines: number;
  /** The sequence number for the next segment: after every one seen, and after the cursor's. */
  nextSeq: number;
}

const SEGMENT_NAME = /^(\d{10})\.seg$/;

export function segmentPath(dir: string, seq: number): string {
  return join(dir, `${String(seq).padStart(10, '0')}.seg`);
}

export async function recoverSegments(ctx: RecoveryContext): Promise<RecoveredSegments> {
  await ctx.fs.mkdir(ctx.dir);
  const { cursor, file: cursorFile } = await CursorFile.open(ctx.fs, join(ctx.dir, CURSOR_FILE));
  try {
    const seqs = (await ctx.fs.readdir(ctx.dir))
      .map((name) => SEGMENT_NAME.exec(name)?.[1])
      .filter((seq): seq is string => seq !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    let maxSeq = cursor?.segmentSeq ?? 0;
    const kept: Array<{ segment: Segment; acked: number }> = [];
    for (const seq of seqs) {
      maxSeq = Math.max(maxSeq, seq);
      const found = await recoverSegment(ctx, seq, cursor);
      if (found) kept.push(found);
    }
    const lines = kept.reduce((sum, { segment, acked }) => sum + segment.lineCount - acked, 0);
    let next = -lines;
    for (const { segment, acked } of kept) {
      segment.firstIdx = next - acked;
      next += segment.lineCount - acked;
    }
    return { cursorFile, segments: kept.map(({ segment }) => segment), lines, nextSeq: maxSeq + 1 };
  } catch (error) {
    await cursorFile.close().catch(() => undefined);
    throw error;
  }
}

/** Scans one segment found at start-up; deletes it when nothing in it is left to send. */
async function recoverSegment(ctx: RecoveryContext, seq: number, cursor: Cursor | undefined): Promise<{ segment: Segment; acked: number } | undefined> {
  const path = segmentPath(ctx.dir, seq);
  if (cursor && seq < cursor.segmentSeq) {
    await unlinkQuietly(ctx, path);
    return undefined;
  }
  // Read-only is enough to replay it; truncating a torn tail needs write access, which may be missing.
  const file = await ctx.fs.open(path, 'r+').catch(() => ctx.fs.open(path, 'r'));
  let found: { segment: Segment; acked: number } | undefined;
  try {
    const scan = await scanSegment(file);
    if (!scan.valid) {
      ctx.logger.warn({ segment: path, bytes: scan.invalidBytes }, 'not a spool segment (or torn while created); ignored');
      return undefined;
    }
    if (scan.invalidBytes > 0) {
      ctx.logger.warn({ segment: path, bytes: scan.invalidBytes, reason: scan.problem }, 'spool segment has a torn or damaged tail; truncated');
      await file.truncate(scan.validBytes).catch((error: unknown) => ctx.logger.warn({ segment: path, reason: describeError(error) }, 'could not truncate the torn tail; it is skipped'));
    }
    const acked = cursor && seq === cursor.segmentSeq ? Math.min(cursor.linesAcked, scan.lineCount) : 0;
    if (scan.lineCount > acked) {
      found = { segment: { seq, path, firstIdx: 0, lineCount: scan.lineCount, bytes: scan.validBytes, newestAtMs: scan.newestAtMs }, acked };
    }
  } finally {
    await file.close().catch(() => undefined);
  }
  if (!found) await unlinkQuietly(ctx, path); // nothing in it left to send
  return found;
}

/** A segment that cannot be deleted costs disk space, not data: warn and go on. */
export async function unlinkQuietly(ctx: Pick<RecoveryContext, 'fs' | 'logger'>, path: string): Promise<void> {
  try {
    await ctx.fs.unlink(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') ctx.logger.warn({ path, reason: describeError(error) }, 'could not delete a spool segment');
  }
}
