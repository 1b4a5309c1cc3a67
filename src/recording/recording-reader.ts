import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { promisify } from 'node:util';
import { brotliDecompress, inflateRaw } from 'node:zlib';
import { decodeDictionary, decodeRecords } from './block-codec.js';
import { FormatError } from './bytes.js';
import { decodeFileHeader, entryTs, FILE_HEADER_BYTES, findNextMarker, parseBlock, type Compression, type RecordedEntry } from './format.js';
import { listRecordingFiles } from './recording-files.js';

/**
 * Reads recording files in order and yields their entries, block by block. Damage never stops the read:
 * a bad file header skips the file; a torn tail ends the file; a block that fails its CRC, does not
 * inflate or does not decode is skipped and the reader looks for the next block marker whose block checks
 * out. Every damage is reported with the file, the byte offset and the block index (the index counts the
 * blocks of the file read or skipped so far, the damaged one included). Records whose strings were defined
 * in a damaged block cannot be resolved: they are counted and reported with the block that needed them.
 */

const inflateRawAsync = promisify(inflateRaw);
const brotliDecompressAsync = promisify(brotliDecompress);

export interface RecordingDamage {
  file: string;
  /** Byte offset within the file where the damage starts. */
  offset: number;
  /** Index of the block within the file (0-based); -1 for the file header. */
  block: number;
  reason: string;
  /** Bytes of the file not read because of it (up to the next good block, or the end). */
  skippedBytes: number;
  /** Records known to be lost (from a block header that checked out, or unresolved strings); 0 when unknown. */
  lostRecords: number;
}

export interface ReadOptions {
  /** Only entries with from <= ts < to (ms since the epoch). Blocks wholly outside are not inflated. */
  from?: number;
  to?: number;
  /** Told of each damage as it is found (also kept in `damage`). */
  onDamage?: (damage: RecordingDamage) => void;
}

export interface ReadStats {
  files: number;
  blocks: number;
  /** Blocks skipped whole because they lie outside the window. */
  blocksOutsideWindow: number;
  entries: number;
  bytes: number;
}

export class RecordingReader {
  readonly damage: RecordingDamage[] = [];
  readonly stats: ReadStats = { files: 0, blocks: 0, blocksOutsideWindow: 0, entries: 0, bytes: 0 };
  private readonly from: number;
  private readonly to: number;

  /** `files` in the order given (see `fromDirectory` for a recording directory). */
  constructor(
    private readonly files: readonly string[],
    private readonly options: ReadOptions = {},
  ) {
    this.from = options.from ?? -Infinity;
    this.to = options.to ?? Infinity;
  }

  /** A reader of every recording file in `dir`, oldest first. */
  static async fromDirectory(dir: string, options: ReadOptions = {}): Promise<RecordingReader> {
    const files = await listRecordingFiles(dir);
    return new RecordingReader(
      files.map((f) => f.path),
      options,
    );
  }

  /** The entries of every file, one array per block, in recording order. */
  async *batches(): AsyncGenerator<RecordedEntry[]> {
    for (const path of this.files) yield* this.readFile(path);
  }

  private async *readFile(path: string): AsyncGenerator<RecordedEntry[]> {
    const file = basename(path);
    let buf: Buffer;
    try {
      buf = await readFile(path);
    } catch (err) {
      this.report({ file, offset: 0, block: -1, reason: `cannot read: ${(err as Error).message}`, skippedBytes: 0, lostRecords: 0 });
      return;
    }
    this.stats.files++;
    this.stats.bytes += buf.length;
    const header = decodeFileHeader(buf);
    if (typeof header === 'string') {
      this.report({ file, offset: 0, block: -1, reason: header, skippedBytes: buf.length, lostRecords: 0 });
      return;
    }
    const dict: Array<string | undefined> = [];
    let offset = FILE_HEADER_BYTES;
    let blockIndex = 0;
    while (offset < buf.length) {
      const parsed = parseBlock(buf, offset);
      if (parsed.kind === 'truncated') {
        this.report({ file, offset, block: blockIndex, reason: `truncated: ${parsed.reason}`, skippedBytes: buf.length - offset, lostRecords: 0 });
        return;
      }
      if (parsed.kind === 'corrupt') {
        const next = this.resync(buf, offset + 1);
        this.report({ file, offset, block: blockIndex, reason: parsed.reason, skippedBytes: (next < 0 ? buf.length : next) - offset, lostRecords: 0 });
        if (next < 0) return;
        offset = next;
        blockIndex++;
        continue;
      }
      const { header: block } = parsed;
      const damageAt = (reason: string, lostRecords: number): void =>
        this.report({ file, offset, block: blockIndex, reason, skippedBytes: 0, lostRecords });
      try {
        const added = decodeDictionary(parsed.dictionary);
        // Strings of a lost block before this one stay holes up to this block's base: records needing them are unresolved.
        if (dict.length < block.dictionaryBase) dict.length = block.dictionaryBase;
        for (let i = 0; i < added.length; i++) dict[block.dictionaryBase + i] = added[i];
        if (block.maxTs < this.from || block.minTs >= this.to) {
          this.stats.blocksOutsideWindow++;
        } else {
          const raw = await decompress(header.compression, parsed.records);
          if (raw.length !== block.rawBytes) throw new FormatError(`records inflate to ${raw.length} bytes, the header says ${block.rawBytes}`);
          const decoded = decodeRecords(raw, block.recordCount, block.minTs, dict);
          if (decoded.unresolved > 0) {
            damageAt(`${decoded.unresolved} record(s) use strings defined in a damaged block of this file: left out`, decoded.unresolved);
          }
          const entries = this.inWindow(decoded.entries, block.minTs, block.maxTs);
          this.stats.blocks++;
          this.stats.entries += entries.length;
          if (entries.length > 0) yield entries;
        }
      } catch (err) {
        damageAt(`block does not decode: ${err instanceof Error ? err.message : String(err)}`, block.recordCount);
      }
      offset += parsed.size;
      blockIndex++;
    }
  }

  private inWindow(entries: RecordedEntry[], minTs: number, maxTs: number): RecordedEntry[] {
    if (minTs >= this.from && maxTs < this.to) return entries;
    return entries.filter((e) => {
      const ts = entryTs(e);
      return ts >= this.from && ts < this.to;
    });
  }

  /** The offset of the next block at or after `from` that checks out, or -1. */
  private resync(buf: Buffer, from: number): number {
    let at = findNextMarker(buf, from);
    while (at >= 0) {
      if (parseBlock(buf, at).kind === 'block') return at;
      at = findNextMarker(buf, at + 1);
    }
    return -1;
  }

  private report(damage: RecordingDamage): void {
    this.damage.push(damage);
    this.options.onDamage?.(damage);
  }
}

async function decompress(compression: Compression, stored: Buffer): Promise<Buffer> {
  switch (compression) {
    case 'none':
      return stored;
    case 'deflate':
      return inflateRawAsync(stored);
    case 'brotli':
      return brotliDecompressAsync(stored);
  }
}

/** A one-line description of a damage, for logs and the CLI. */
export function describeDamage(d: RecordingDamage): string {
  const where = d.block < 0 ? 'file header' : `block ${d.block}`;
  const lost = d.lostRecords > 0 ? `, ${d.lostRecords} record(s) lost` : '';
  const skipped = d.skippedBytes > 0 ? `, ${d.skippedBytes} byte(s) skipped` : '';
  return `${d.file} at byte ${d.offset} (${where}): ${d.reason}${lost}${skipped}`;
}
