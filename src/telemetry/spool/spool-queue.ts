import type { Logger } from '../../log.js';
import type { Clock, TimerHandle } from '../../time/clock.js';
import { describeError } from '../batching-sink.js';
import type { Lane, LineQueue, SpoolStatus } from '../line-buffer.js';
import { LineCache } from './line-cache.js';
import { SegmentLog, type DroppedLines, type FsyncPolicy, type LineRange } from './segment-log.js';
import { nodeSpoolFs, type SpoolFs } from './spool-fs.js';
import { WaitingLines } from './waiting-lines.js';

/**
 * The durable spool of one sink: a LineQueue that keeps every line on disk until the server has acknowledged it.
 *
 * Which lines go to the spool: all of them, from the moment they are appended, whether the server is up or
 * not. The memory in front of it (the newest `capacity` lines) is only a cache that spares the sender a disk
 * read. Write-ahead for every line is what makes "durable before acknowledged" simple and loss-free: there is
 * no hand-over moment at the start of an outage in which a line can be in neither place, and a restart always
 * resumes from the ack cursor. The cost is disk writes in normal running (about the line-protocol size of the
 * data, see the spool benchmark); acknowledged segments are deleted, so the disk holds only the backlog.
 *
 * Order: lines are sent oldest first within each of two lanes. When the server comes back after an outage,
 * everything waiting becomes the backlog lane, which the sink replays at `replayLinesPerSecond` while lines
 * appended since (the live lane) are sent as usual. A live line can thus reach the server before older
 * spooled lines; that is safe because every line carries its own timestamp, and InfluxDB stores points out of
 * order. Lines found on disk at start-up are backlog too.
 *
 * Appends never touch the disk: `push` is O(1) in memory, and a timer writes what accumulated as one batch
 * WRITE_DELAY_MS later; lines that arrive while a write (or its fsync) runs go into the next one, so a slow
 * disk gets fewer, larger writes rather than a queue of them. All file work is asynchronous. Memory stays
 * bounded by `capacity` lines: should more than that arrive before they could be written (a disk slower than
 * the data, or one burst that never yields to the event loop), the oldest unwritten ones are dropped and counted.
 *
 * What survives a crash (a line is "accepted" — counted in linesSpooled — once its record is written, and
 * with fsync 'always' once it is also forced to the disk; at most WRITE_DELAY_MS plus one write after push):
 * - `kill -9` (the process dies, the OS lives): every accepted line, with any fsync setting, since written
 *   data is in the OS page cache. Lost: lines appended in the last few ms and not yet written.
 * - Power cut or kernel crash:
 *   - fsync 'always': every accepted line (each record and each new segment's directory entry is forced to
 *     the disk before its lines count as accepted).
 *   - fsync 'interval' (default): lines accepted in the last `fsyncIntervalMs` may be lost.
 *   - fsync 'never': whatever the OS had not yet written back (on Linux typically up to about 30 s).
 *   In every case a torn last record is found by its CRC on start-up and cut off, never replayed as garbage.
 * Acknowledgements are saved without fsync: losing the newest one re-sends lines the server already has,
 * which it stores once (same series and timestamp), so delivery is at least once and the count stays exact.
 *
 * Bounds: `maxBytes` and `maxAgeMs` drop whole segments, oldest first; the unsent lines in them are counted.
 * Disk full or an unwritable directory: the error shows in status and logs, lines are held in the memory cache
 * (the oldest dropped and counted past `capacity`, as without a spool), live sending goes on, and the spool is
 * tried again every SPOOL_RETRY_INTERVAL_MS.
 */

export interface SpoolSettings {
  maxBytes: number;
  maxAgeMs: number;
  fsync: FsyncPolicy;
  fsyncIntervalMs: number;
}

export interface SpoolQueueOptions extends SpoolSettings {
  /** This sink's own spool directory. */
  dir: string;
  /** Lines kept in memory in front of the disk. */
  capacity: number;
  clock: Clock;
  logger: Logger;
  fs?: SpoolFs;
  /** Segment file size at which the next one is begun, bytes; by default derived from maxBytes. */
  segmentBytes?: number;
}

/** Lines appended within this time are written as one record, ms. */
export const WRITE_DELAY_MS = 10;
/** After a disk error, how long until the spool is tried again, ms. */
export const SPOOL_RETRY_INTERVAL_MS = 10_000;
/** How often the age bound is checked when nothing is written, ms. */
const AGE_CHECK_INTERVAL_MS = 60_000;
const MIB = 1024 * 1024;
/** Segment size: an eighth of maxBytes (so the bound drops in small steps) between these limits. Bytes. */
const MIN_SEGMENT_BYTES = 256 * 1024;
const MAX_SEGMENT_BYTES = 16 * MIB;
/** Largest record payload, bytes; and at most a quarter of a segment. */
const MAX_RECORD_BYTES = MIB;

export function segmentBytesFor(maxBytes: number): number {
  return Math.max(MIN_SEGMENT_BYTES, Math.min(MAX_SEGMENT_BYTES, Math.floor(maxBytes / 8)));
}

type SpoolState = 'opening' | 'ok' | 'failed' | 'closed';

export class SpoolQueue implements LineQueue {
  readonly capacity: number;
  private readonly options: SpoolQueueOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly cache = new LineCache(0);
  private readonly waiting = new WaitingLines(0);
  /** Batches handed to the sender and not yet acknowledged, oldest first. */
  private readonly outstanding: LineRange[] = [];
  private log: SegmentLog | undefined;
  private state: SpoolState = 'opening';
  private opening: Promise<void> | undefined;
  private writing: Promise<void> | undefined;
  /** Lines below this index were handed to the disk (or lost before they could be). */
  private diskIdx = 0;
  /** Lines below this index are on disk, apart from lines counted as lost. */
  private writtenIdx = 0;
  private writeTimer: TimerHandle | undefined;
  private retryTimer: TimerHandle | undefined;
  private ageTimer: TimerHandle | undefined;
  private droppedLines = 0;
  private spoolDroppedLines = 0;
  private linesSpooled = 0;
  private spoolError: string | null = null;
  /** Lines left on disk for the next start, once closed. */
  private leftOnDisk = 0;
  private wake: (() => void) | undefined;
  private ackWarned = false;

  constructor(options: SpoolQueueOptions) {
    if (!Number.isInteger(options.capacity) || options.capacity < 1) throw new RangeError(`spool memory capacity must be a positive integer, got ${options.capacity}`);
    this.options = options;
    this.capacity = options.capacity;
    this.clock = options.clock;
    this.logger = options.logger.child({ spool: options.dir });
    this.opening = this.open();
  }

  get length(): number {
    return this.state === 'closed' ? this.leftOnDisk : this.waiting.length;
  }

  get backlogLength(): number {
    return this.state === 'closed' ? 0 : this.waiting.backlogLength;
  }

  get dropped(): number {
    return this.droppedLines;
  }

  push(line: string): void {
    if (this.state === 'closed') {
      this.droppedLines++;
      return;
    }
    this.cache.push(line);
    this.waiting.append();
    if (this.cache.length > this.capacity) this.evictOldest();
    if (this.writeTimer === undefined && this.writing === undefined && this.state === 'ok') {
      this.writeTimer = this.clock.setTimeout(() => this.startWrite(), WRITE_DELAY_MS);
    }
  }

  async take(max: number, lane: Lane): Promise<string[]> {
    for (;;) {
      const run = this.waiting.firstRun(lane);
      if (run === undefined || max <= 0 || this.state === 'closed') return [];
      if (run.fromIdx >= this.cache.start) return this.handOut(lane, max, undefined);
      const lines = await this.takeFromDisk(lane, run.fromIdx, Math.min(max, this.cache.start - run.fromIdx));
      if (lines !== undefined) return lines;
    }
  }

  ack(): void {
    this.outstanding.shift();
    this.saveAck();
  }

  moveToBacklog(): void {
    this.waiting.moveToBacklog();
  }

  onWaiting(listener: () => void): void {
    this.wake = listener;
  }

  async close(): Promise<number> {
    if (this.state === 'closed') return 0;
    this.clearTimers();
    await this.opening;
    await this.writesDone();
    if (this.state === 'ok') await this.write();
    this.state = 'closed';
    this.clearTimers(); // a failure just now may have armed a retry
    const onDisk = this.waiting.countBelow(this.writtenIdx) + this.outstanding.reduce((n, r) => n + overlap(r, Number.NEGATIVE_INFINITY, this.writtenIdx), 0);
    const lost = this.waiting.length + this.outstanding.reduce((n, r) => n + r.toIdx - r.fromIdx, 0) - onDisk;
    this.leftOnDisk = onDisk;
    if (this.log) {
      await this.log.markAcked(this.ackIdx()).catch(() => undefined);
      await this.log.close().catch((error: unknown) => this.logger.warn({ reason: describeError(error) }, 'could not close the spool cleanly'));
    }
    if (lost > 0) this.logger.warn({ lines: lost }, 'telemetry lines not yet in the spool at shutdown; lost');
    return lost;
  }

  spoolStatus(): SpoolStatus {
    const onDisk = this.state === 'closed' ? this.leftOnDisk : this.waiting.countBelow(this.writtenIdx) + this.outstanding.reduce((n, r) => n + overlap(r, Number.NEGATIVE_INFINITY, this.writtenIdx), 0);
    return {
      spoolError: this.spoolError,
      spoolBytes: this.log?.bytes ?? 0,
      spoolLines: onDisk,
      spoolDroppedLines: this.spoolDroppedLines,
      linesSpooled: this.linesSpooled,
    };
  }

  private clearTimers(): void {
    for (const timer of [this.writeTimer, this.retryTimer, this.ageTimer]) this.clock.clearTimeout(timer);
    this.writeTimer = this.retryTimer = this.ageTimer = undefined;
  }

  /** Resolves once the disk work started so far is done (tests, benchmarks). */
  async idle(): Promise<void> {
    await this.opening;
    await this.writesDone();
    await this.log?.idle();
  }

  /** Opens (or re-opens, after a failure) the log and puts what it recovered at the front of the backlog. */
  private async open(): Promise<void> {
    const { dir, fsync, fsyncIntervalMs, maxBytes, maxAgeMs } = this.options;
    const segmentBytes = this.options.segmentBytes ?? segmentBytesFor(maxBytes);
    try {
      const { log, recovery } = await SegmentLog.open({
        dir,
        fs: this.options.fs ?? nodeSpoolFs,
        clock: this.clock,
        logger: this.logger,
        fsync,
        fsyncIntervalMs,
        maxBytes,
        maxAgeMs,
        segmentBytes,
        recordBytes: Math.min(MAX_RECORD_BYTES, Math.floor(segmentBytes / 4)),
        onSyncError: (error) => this.fail('fsync failed', error),
      });
      if (this.state === 'closed') {
        await log.close();
        return;
      }
      this.log = log;
      this.waiting.prependBacklog({ fromIdx: -recovery.lines, toIdx: 0 });
      this.applyDropped(recovery.dropped);
      this.recovered();
      this.armAgeCheck();
      if (recovery.lines > 0) this.wake?.();
    } catch (error) {
      this.fail('cannot open the spool', error);
    } finally {
      this.opening = undefined;
    }
  }

  private recovered(): void {
    this.state = 'ok';
    this.startWrite();
  }

  /** A timer callback: writes what accumulated, unless a write is running (it starts the next one itself). */
  private startWrite(): void {
    this.writeTimer = undefined;
    if (this.writing !== undefined || this.state !== 'ok') return;
    this.writing = this.write().finally(() => {
      this.writing = undefined;
      if (this.state === 'ok' && this.diskIdx < this.cache.end && this.writeTimer === undefined) {
        this.writeTimer = this.clock.setTimeout(() => this.startWrite(), WRITE_DELAY_MS);
      }
    });
  }

  /** Writes the lines not yet handed to the disk as one batch. Never rejects. */
  private async write(): Promise<void> {
    const log = this.log;
    const from = Math.max(this.diskIdx, this.cache.start);
    const to = this.cache.end;
    if (log === undefined || from >= to) return;
    const lines = this.cache.slice(from, to);
    this.diskIdx = to;
    try {
      const dropped = await log.append(from, lines);
      this.writtenIdx = to;
      this.linesSpooled += lines.length;
      if (this.spoolError !== null) {
        this.logger.info({ previousError: this.spoolError }, 'spool writable again');
        this.spoolError = null;
      }
      this.applyDropped(dropped);
      this.trimCache();
    } catch (error) {
      // What is still in memory is written on the next try; what was forgotten meanwhile is lost.
      this.diskIdx = Math.max(from, this.cache.start);
      this.droppedLines += this.waiting.remove(from, this.diskIdx);
      this.fail('cannot write to the spool', error);
    }
  }

  private async writesDone(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
  }

  /** Takes lines from `fromIdx` that are on disk only; undefined when the waiting lines changed meanwhile. */
  private async takeFromDisk(lane: Lane, fromIdx: number, max: number): Promise<string[] | undefined> {
    // A line forgotten by the cache while its write was running can be read once the write is done.
    await this.writesDone();
    const result = await this.log?.read(fromIdx, max);
    if (result) this.applyDropped(result.dropped);
    // Lines that are neither in memory nor on disk (lost while the disk failed) are gone.
    const missingTo = Math.min(result?.firstIdx ?? Number.POSITIVE_INFINITY, this.cache.start);
    if (missingTo > fromIdx) this.countLost(this.waiting.remove(fromIdx, missingTo), 'not found in the spool');
    if (result === undefined || result.lines.length === 0) return undefined;
    const run = this.waiting.firstRun(lane);
    const readEnd = result.firstIdx + result.lines.length;
    if (run === undefined || run.fromIdx < result.firstIdx || run.fromIdx >= readEnd) return undefined;
    return this.handOut(lane, Math.min(max, readEnd - run.fromIdx), (from, to) => result.lines.slice(from - result.firstIdx, to - result.firstIdx));
  }

  /** Marks up to `max` lines of the lane's first run as taken and returns them (from the cache by default). */
  private handOut(lane: Lane, max: number, source: ((from: number, to: number) => string[]) | undefined): string[] {
    const range = this.waiting.take(lane, max);
    if (range === undefined) return [];
    this.outstanding.push(range);
    const lines = source ? source(range.fromIdx, range.toIdx) : this.cache.slice(range.fromIdx, range.toIdx);
    this.trimCache();
    return lines;
  }

  /** Forgets the oldest cached line; if it never reached the disk, it is lost. */
  private evictOldest(): void {
    const idx = this.cache.start;
    this.cache.dropBefore(idx + 1);
    if (idx >= this.diskIdx) {
      this.diskIdx = idx + 1;
      this.droppedLines += this.waiting.remove(idx, idx + 1);
    }
  }

  /** Forgets cached lines that are on their way to the disk and no longer waiting. */
  private trimCache(): void {
    this.cache.dropBefore(Math.min(this.waiting.lowest(), this.diskIdx));
  }

  /** The lowest index not yet acknowledged: everything below it is done with. */
  private ackIdx(): number {
    return Math.min(this.waiting.lowest(), this.outstanding[0]?.fromIdx ?? Number.POSITIVE_INFINITY);
  }

  private saveAck(): void {
    if (this.log === undefined || this.state === 'closed') return;
    this.log.markAcked(this.ackIdx()).then(
      () => (this.ackWarned = false),
      (error: unknown) => {
        // A lost acknowledgement costs re-sent lines after a restart, not data: warn once per spell.
        if (!this.ackWarned) this.logger.warn({ reason: describeError(error) }, 'could not save the spool cursor');
        this.ackWarned = true;
      },
    );
  }

  private applyDropped(dropped: readonly DroppedLines[]): void {
    for (const range of dropped) {
      const lines = this.waiting.remove(range.fromIdx, range.toIdx);
      this.spoolDroppedLines += lines;
      this.countLost(lines, range.reason === 'damaged' ? 'damaged on disk' : `spool ${range.reason} reached; oldest segment dropped`);
    }
  }

  private countLost(lines: number, why: string): void {
    if (lines <= 0) return;
    this.droppedLines += lines;
    this.logger.warn({ lines }, `telemetry lines dropped from the spool: ${why}`);
  }

  private fail(what: string, error: unknown): void {
    if (this.state === 'closed') return;
    const message = `${what}: ${describeError(error)}`;
    if (message !== this.spoolError) this.logger.error({ dir: this.options.dir, reason: describeError(error) }, `${what}; holding telemetry lines in memory`);
    this.spoolError = message;
    this.state = 'failed';
    this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = this.clock.setTimeout(() => this.retry(), SPOOL_RETRY_INTERVAL_MS);
  }

  private retry(): void {
    this.retryTimer = undefined;
    if (this.state !== 'failed') return;
    if (this.log === undefined) {
      this.state = 'opening';
      this.opening = this.open();
    } else {
      this.recovered();
    }
  }

  private armAgeCheck(): void {
    this.ageTimer = this.clock.setTimeout(() => {
      this.ageTimer = undefined;
      if (this.state === 'closed' || this.log === undefined) return;
      this.log.enforceBounds().then(
        (dropped) => this.applyDropped(dropped),
        (error: unknown) => this.logger.warn({ reason: describeError(error) }, 'could not apply the spool age bound'),
      );
      this.armAgeCheck();
    }, AGE_CHECK_INTERVAL_MS);
  }
}

function overlap(range: LineRange, from: number, to: number): number {
  return Math.max(0, Math.min(range.toIdx, to) - Math.max(range.fromIdx, from));
}
