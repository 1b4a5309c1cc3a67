import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlibConstants, deflateRaw } from 'node:zlib';
import type { RecordingConfig } from '../config/recording-schema.js';
import type { DeviceStatusEvent } from '../drivers/driver.js';
import type { Logger } from '../log.js';
import type { DeviceEvent } from '../points/device-event.js';
import type { Sample } from '../points/sample.js';
import type { Clock, TimerHandle } from '../time/clock.js';
import { ByteWriter } from './bytes.js';
import { encodeRecords, FileDictionary, type EncodedRecords } from './block-codec.js';
import { encodeBlock, encodeFileHeader, FILE_HEADER_BYTES, MAX_DICTIONARY_STRINGS, type Compression, type RecordedEntry } from './format.js';
import { pruneRecordingFiles, recordingFileName } from './recording-files.js';

/**
 * Records the gateway's sample stream (and device status changes and events, which the rules also read)
 * to rotated, compressed files (format.ts).
 *
 * Hot path: `record(samples)` only appends the references to an array (the samples are not copied: the
 * gateway never mutates a Sample after emitting it). When the buffer holds `blockRecords` entries, or
 * `flushIntervalMs` after the first entry of a block arrived, the block is sealed; encoding runs in a
 * later microtask and compression on the libuv thread pool (node:zlib, async), so neither runs inside the
 * caller's batch. Blocks are written one at a time, in order.
 *
 * Rotation: a file is closed before a block would take it past `maxFileBytes`, once it has been open
 * `maxFileAgeMinutes` (by the injected clock), and before its string dictionary would overflow. After each
 * rotation the oldest files past `keepFiles` / `keepBytes` are deleted.
 *
 * Durability (`fsync`): `block` syncs after every block; `file` (default) when a file is closed; `never`
 * leaves it to the OS. What a crash can lose: the entries still buffered (at most `flushIntervalMs` worth,
 * or `blockRecords`), the blocks queued behind a slow disk, and, unless `fsync: block`, what the OS had not
 * written yet. A block torn by a crash fails its CRC and the reader reports it; the blocks before it stay
 * readable.
 *
 * Failure: a write error (disk full, directory gone) is logged and counted; the block's entries are counted
 * as dropped, the file is closed, and the next block starts a new file. A disk slower than the stream drops
 * whole blocks past `MAX_QUEUED_BLOCKS` (counted) rather than growing memory without bound. Nothing here
 * throws into the caller.
 */

/** Blocks waiting for the disk before new ones are dropped. */
export const MAX_QUEUED_BLOCKS = 32;
/** Brotli's default quality (11) is far too slow for a live stream; 5 keeps most of its gain. */
const BROTLI_QUALITY = 5;

const deflateRawAsync = promisify(deflateRaw);
const brotliAsync = promisify(brotliCompress);

export type RecorderSettings = Omit<RecordingConfig, 'enabled'>;

export interface SampleRecorderContext {
  settings: RecorderSettings;
  clock: Clock;
  /** Already named for this module by the caller (`logger.child({ module: 'recording' })`). */
  logger: Logger;
}

export interface RecorderStats {
  /** Entries accepted by record / recordStatus / recordEvents. */
  recorded: number;
  /** Entries written in blocks. */
  written: number;
  /** Entries lost: queue full, write errors, after close. */
  dropped: number;
  /** Entries refused because their ts is not a whole number of ms. */
  rejected: number;
  blocks: number;
  files: number;
  /** Bytes written to files (headers included). */
  bytes: number;
  writeErrors: number;
  /** Entries buffered, not yet in a block. */
  buffered: number;
  currentFile: string | null;
}

interface OpenFile {
  name: string;
  handle: FileHandle;
  openedAt: number;
  bytes: number;
  blocks: number;
  dict: FileDictionary;
}

export class SampleRecorder {
  private readonly settings: RecorderSettings;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly maxFileAgeMs: number;
  private readonly encodeBuffer = new ByteWriter(64 * 1024);
  private buffer: RecordedEntry[] = [];
  private timer: TimerHandle | undefined;
  private chain: Promise<void> = Promise.resolve();
  private queuedBlocks = 0;
  private file: OpenFile | undefined;
  private seq = 1;
  private closed = false;
  private overflowing = false;
  private readonly counts = { recorded: 0, written: 0, dropped: 0, rejected: 0, blocks: 0, files: 0, bytes: 0, writeErrors: 0 };

  constructor(ctx: SampleRecorderContext) {
    this.settings = ctx.settings;
    this.clock = ctx.clock;
    this.log = ctx.logger;
    this.maxFileAgeMs = ctx.settings.maxFileAgeMinutes * 60_000;
  }

  /** The hot path: one driver batch. Never throws. */
  record(samples: readonly Sample[]): void {
    if (this.closed) {
      this.counts.dropped += samples.length;
      return;
    }
    const buffer = this.buffer;
    for (let i = 0; i < samples.length; i++) {
      const sample = samples[i];
      if (sample !== undefined) buffer.push(sample);
    }
    this.counts.recorded += samples.length;
    this.afterAppend();
  }

  /** A device became reachable or unreachable (the communication-loss rules read it). */
  recordStatus(status: DeviceStatusEvent): void {
    if (this.closed) {
      this.counts.dropped++;
      return;
    }
    this.buffer.push({ kind: 'status', status });
    this.counts.recorded++;
    this.afterAppend();
  }

  /** Device events (the event rules count them). */
  recordEvents(events: readonly DeviceEvent[]): void {
    if (this.closed) {
      this.counts.dropped += events.length;
      return;
    }
    for (const event of events) this.buffer.push({ kind: 'event', event });
    this.counts.recorded += events.length;
    this.afterAppend();
  }

  /** Writes what is buffered; resolves when every block so far is on disk (synced as `fsync` says). */
  async flush(): Promise<void> {
    this.seal();
    await this.chain;
  }

  /** Flushes, syncs and closes the current file (unless `fsync: never`). Later records are dropped and counted. */
  async close(): Promise<void> {
    if (this.closed) {
      await this.chain;
      return;
    }
    this.seal();
    this.closed = true;
    this.chain = this.chain.then(() => this.closeFile());
    await this.chain;
  }

  stats(): RecorderStats {
    return { ...this.counts, buffered: this.buffer.length, currentFile: this.file?.name ?? null };
  }

  private afterAppend(): void {
    const size = this.settings.blockRecords;
    if (this.buffer.length >= size) {
      // Full blocks go now; the remainder starts the next block.
      const full = this.buffer.length - (this.buffer.length % size);
      const rest = this.buffer.slice(full);
      this.buffer.length = full;
      this.seal();
      this.buffer = rest;
    }
    if (this.timer === undefined && this.buffer.length > 0) {
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        this.seal();
      }, this.settings.flushIntervalMs);
    }
  }

  private seal(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.buffer.length === 0) return;
    const all = this.buffer;
    this.buffer = [];
    const size = this.settings.blockRecords;
    if (all.length <= size) this.enqueue(all);
    else for (let i = 0; i < all.length; i += size) this.enqueue(all.slice(i, i + size));
  }

  private enqueue(entries: RecordedEntry[]): void {
    if (this.queuedBlocks >= MAX_QUEUED_BLOCKS) {
      this.counts.dropped += entries.length;
      if (!this.overflowing) this.log.warn({ queuedBlocks: this.queuedBlocks }, 'recording cannot keep up with the stream: dropping blocks');
      this.overflowing = true;
      return;
    }
    this.overflowing = false;
    this.queuedBlocks++;
    this.chain = this.chain.then(async () => {
      try {
        await this.writeBlock(entries);
      } finally {
        this.queuedBlocks--;
      }
    });
  }

  private async writeBlock(entries: RecordedEntry[]): Promise<void> {
    try {
      const now = this.clock.now();
      let file = this.file;
      // Each entry adds at most three strings (subject, value or event name, error).
      if (file !== undefined && (now - file.openedAt >= this.maxFileAgeMs || file.dict.size + 3 * entries.length > MAX_DICTIONARY_STRINGS)) {
        await this.closeFile();
        file = undefined;
      }
      file ??= await this.openFile(now);
      let encoded = encodeRecords(entries, file.dict, this.encodeBuffer);
      if (encoded === undefined) {
        this.counts.rejected += entries.length;
        return;
      }
      let block = await this.frame(encoded);
      if (file.blocks > 0 && file.bytes + block.length > this.settings.maxFileBytes) {
        await this.closeFile();
        file = await this.openFile(now);
        encoded = encodeRecords(entries, file.dict, this.encodeBuffer) ?? encoded; // same entries: encodable again
        block = await this.frame(encoded);
      }
      await writeAll(file.handle, block, file.bytes);
      if (this.settings.fsync === 'block') await file.handle.sync();
      file.bytes += block.length;
      file.blocks++;
      this.counts.bytes += block.length;
      this.counts.blocks++;
      this.counts.written += encoded.count;
      this.counts.rejected += encoded.skipped;
    } catch (err) {
      this.counts.writeErrors++;
      this.counts.dropped += entries.length;
      this.log.error({ err, file: this.file?.name, entries: entries.length }, 'recording block not written; the next block starts a new file');
      const broken = this.file;
      this.file = undefined;
      await broken?.handle.close().catch(() => undefined);
    }
  }

  private async frame(encoded: EncodedRecords): Promise<Buffer> {
    const records = await compress(this.settings.compression, encoded.records);
    return encodeBlock(
      {
        dictionaryBytes: encoded.dictionary.length,
        storedBytes: records.length,
        rawBytes: encoded.records.length,
        recordCount: encoded.count,
        dictionaryBase: encoded.dictionaryBase,
        minTs: encoded.minTs,
        maxTs: encoded.maxTs,
      },
      encoded.dictionary,
      records,
    );
  }

  private async openFile(now: number): Promise<OpenFile> {
    await mkdir(this.settings.dir, { recursive: true });
    for (;;) {
      const name = recordingFileName(now, this.seq++);
      let handle: FileHandle;
      try {
        handle = await open(join(this.settings.dir, name), 'wx');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue; // a restart within the same ms
        throw err;
      }
      try {
        await writeAll(handle, encodeFileHeader(this.settings.compression, now), 0);
      } catch (err) {
        await handle.close().catch(() => undefined);
        throw err;
      }
      this.file = { name, handle, openedAt: now, bytes: FILE_HEADER_BYTES, blocks: 0, dict: new FileDictionary() };
      this.counts.files++;
      this.counts.bytes += FILE_HEADER_BYTES;
      this.log.info({ file: name }, 'recording file opened');
      await this.prune(name);
      return this.file;
    }
  }

  private async closeFile(): Promise<void> {
    const file = this.file;
    if (file === undefined) return;
    this.file = undefined;
    try {
      if (this.settings.fsync !== 'never') await file.handle.sync();
    } catch (err) {
      this.counts.writeErrors++;
      this.log.error({ err, file: file.name }, 'recording file could not be synced');
    } finally {
      await file.handle.close().catch(() => undefined);
    }
    this.log.info({ file: file.name, bytes: file.bytes, blocks: file.blocks }, 'recording file closed');
  }

  private async prune(current: string): Promise<void> {
    try {
      const deleted = await pruneRecordingFiles(this.settings.dir, { keepFiles: this.settings.keepFiles, keepBytes: this.settings.keepBytes }, current);
      if (deleted.length > 0) this.log.info({ deleted }, 'old recording files deleted');
    } catch (err) {
      this.log.warn({ err }, 'old recording files could not be deleted');
    }
  }
}

/** A recorder for the site's `recording` section, or undefined when there is none or it is disabled. */
export function createSampleRecorder(config: RecordingConfig | undefined, ctx: Omit<SampleRecorderContext, 'settings'>): SampleRecorder | undefined {
  if (config === undefined || !config.enabled) return undefined;
  const { enabled: _enabled, ...settings } = config;
  return new SampleRecorder({ ...ctx, settings });
}

async function compress(compression: Compression, raw: Buffer): Promise<Buffer> {
  switch (compression) {
    case 'none':
      return raw;
    case 'deflate':
      return deflateRawAsync(raw);
    case 'brotli':
      return brotliAsync(raw, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: raw.length } });
  }
}

async function writeAll(handle: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesWritten } = await handle.write(buf, done, buf.length - done, position + done);
    done += bytesWritten;
  }
}
