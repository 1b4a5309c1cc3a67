import { crc32 } from 'node:zlib';
import type { DeviceStatusEvent } from '../drivers/driver.js';
import type { DeviceEvent } from '../points/device-event.js';
import type { Sample } from '../points/sample.js';

/**
 * The recording file format (version 1). A file is a header followed by blocks; every field is little-endian.
 *
 * File header, 24 bytes:
 *   0   6 bytes  magic "FGWREC"
 *   6   u16      format version (1)
 *   8   u8       compression of block records: 0 none, 1 deflate (raw), 2 brotli
 *   9   3 bytes  reserved, zero
 *   12  f64      when the file was opened, ms since the epoch (the recorder's clock)
 *   20  u32      CRC-32 of bytes 0–19
 *
 * Block, a 48-byte header then two sections:
 *   0   u32      marker "FGWB" (lets a reader find the next block after damage)
 *   4   u32      dictionary section bytes (uncompressed)
 *   8   u32      records section bytes (as stored, i.e. compressed)
 *   12  u32      records section bytes once decompressed
 *   16  u32      record count
 *   20  u32      dictionary base: how many strings the file's dictionary held before this block
 *   24  f64      earliest record ts in the block, ms
 *   32  f64      latest record ts in the block, ms
 *   40  u32      reserved, zero
 *   44  u32      CRC-32 of bytes 0–43, the dictionary section and the records section
 *   48  dictionary section: varint count, then that many strings (varint length + UTF-8), taking indices
 *       base, base + 1, …: the file's dictionary grows block by block. It is not compressed so that a
 *       reader can skip a block outside its time window without inflating it.
 *   ..  records section (compressed as the file header says)
 *
 * A record starts with a tag byte: bits 0–1 the kind (0 sample, 1 device status, 2 device event);
 * bits 2–3 the quality of a sample (good, uncertain, bad, stale) or, for a status, bit 2 = online;
 * bits 4–6 the value type of a sample (null, false, true, zigzag integer, f64, string index); bit 7 set
 * when a sample or status carries an error text (a string index after the value).
 * Then, for every kind: subject index varint (the point id of a sample, the device id of a status or an
 * event, as a dictionary index) and ts delta (zigzag varint, from the previous record, the first from the
 * block's earliest ts). A sample then has its value; an event has its name (dictionary index) and its
 * attributes as inline JSON text.
 */

export const FORMAT_VERSION = 1;
export const FILE_MAGIC = Buffer.from('FGWREC', 'latin1');
export const FILE_HEADER_BYTES = 24;
export const BLOCK_MARKER = 0x42574746; // "FGWB" read as a little-endian u32
export const BLOCK_HEADER_BYTES = 48;
/** Largest section a reader accepts; a larger length field can only be garbage. */
export const MAX_SECTION_BYTES = 256 * 1024 * 1024;
/** Strings one file's dictionary may hold; the recorder starts a new file before it would overflow. */
export const MAX_DICTIONARY_STRINGS = 1 << 20;

export type Compression = 'none' | 'deflate' | 'brotli';
export const COMPRESSION_CODES: Readonly<Record<Compression, number>> = { none: 0, deflate: 1, brotli: 2 };
const COMPRESSION_BY_CODE: readonly Compression[] = ['none', 'deflate', 'brotli'];

export const RECORD_KIND = { sample: 0, status: 1, event: 2 } as const;
export const VALUE_TYPE = { null: 0, false: 1, true: 2, int: 3, f64: 4, stringRef: 5 } as const;

export const QUALITY_CODES = { good: 0, uncertain: 1, bad: 2, stale: 3 } as const;
export const QUALITY_BY_CODE = ['good', 'uncertain', 'bad', 'stale'] as const;
export const TAG_HAS_ERROR = 0x80;

/** A device status change as recorded. */
export interface RecordedStatus {
  kind: 'status';
  status: DeviceStatusEvent;
}

/** A device event as recorded. */
export interface RecordedEvent {
  kind: 'event';
  event: DeviceEvent;
}

/**
 * One recorded item, in the order it was recorded. Samples are stored and returned as they are (no
 * wrapper on the hot path); status changes and events carry a `kind`, which a Sample never has.
 */
export type RecordedEntry = Sample | RecordedStatus | RecordedEvent;

export function entryTs(entry: RecordedEntry): number {
  if (!('kind' in entry)) return entry.ts;
  return entry.kind === 'status' ? entry.status.ts : entry.event.ts;
}

export interface FileHeader {
  version: number;
  compression: Compression;
  openedAt: number;
}

export function encodeFileHeader(compression: Compression, openedAt: number): Buffer {
  const buf = Buffer.alloc(FILE_HEADER_BYTES);
  FILE_MAGIC.copy(buf, 0);
  buf.writeUInt16LE(FORMAT_VERSION, 6);
  buf.writeUInt8(COMPRESSION_CODES[compression], 8);
  buf.writeDoubleLE(openedAt, 12);
  buf.writeUInt32LE(crc32(buf.subarray(0, 20)), 20);
  return buf;
}

/** The header, or why the bytes are not one. */
export function decodeFileHeader(buf: Buffer): FileHeader | string {
  if (buf.length < FILE_HEADER_BYTES) return `file is ${buf.length} bytes, shorter than the ${FILE_HEADER_BYTES}-byte header`;
  if (!buf.subarray(0, FILE_MAGIC.length).equals(FILE_MAGIC)) return 'not a recording file (bad magic)';
  if (buf.readUInt32LE(20) !== crc32(buf.subarray(0, 20))) return 'file header CRC mismatch';
  const version = buf.readUInt16LE(6);
  if (version !== FORMAT_VERSION) return `format version ${version} is not supported (this reader reads ${FORMAT_VERSION})`;
  const compression = COMPRESSION_BY_CODE[buf.readUInt8(8)];
  if (compression === undefined) return `unknown compression code ${buf.readUInt8(8)}`;
  return { version, compression, openedAt: buf.readDoubleLE(12) };
}

export interface BlockHeader {
  dictionaryBytes: number;
  storedBytes: number;
  rawBytes: number;
  recordCount: number;
  dictionaryBase: number;
  minTs: number;
  maxTs: number;
}

export function encodeBlock(header: BlockHeader, dictionary: Buffer, records: Buffer): Buffer {
  const buf = Buffer.allocUnsafe(BLOCK_HEADER_BYTES + dictionary.length + records.length);
  buf.writeUInt32LE(BLOCK_MARKER, 0);
  buf.writeUInt32LE(dictionary.length, 4);
  buf.writeUInt32LE(records.length, 8);
  buf.writeUInt32LE(header.rawBytes, 12);
  buf.writeUInt32LE(header.recordCount, 16);
  buf.writeUInt32LE(header.dictionaryBase, 20);
  buf.writeDoubleLE(header.minTs, 24);
  buf.writeDoubleLE(header.maxTs, 32);
  buf.writeUInt32LE(0, 40);
  dictionary.copy(buf, BLOCK_HEADER_BYTES);
  records.copy(buf, BLOCK_HEADER_BYTES + dictionary.length);
  const crc = crc32(buf.subarray(BLOCK_HEADER_BYTES), crc32(buf.subarray(0, 44)));
  buf.writeUInt32LE(crc, 44);
  return buf;
}

export type BlockParse =
  | { kind: 'block'; header: BlockHeader; dictionary: Buffer; records: Buffer; size: number }
  /** The block at this offset does not fit in the bytes left: a torn tail. */
  | { kind: 'truncated'; reason: string }
  | { kind: 'corrupt'; reason: string };

/** Parses and checks the block at `offset`. */
export function parseBlock(buf: Buffer, offset: number): BlockParse {
  const left = buf.length - offset;
  if (left < BLOCK_HEADER_BYTES) return { kind: 'truncated', reason: `${left} bytes left, less than a block header` };
  if (buf.readUInt32LE(offset) !== BLOCK_MARKER) return { kind: 'corrupt', reason: 'no block marker' };
  const dictionaryBytes = buf.readUInt32LE(offset + 4);
  const storedBytes = buf.readUInt32LE(offset + 8);
  if (dictionaryBytes > MAX_SECTION_BYTES || storedBytes > MAX_SECTION_BYTES) return { kind: 'corrupt', reason: 'section length out of range' };
  const size = BLOCK_HEADER_BYTES + dictionaryBytes + storedBytes;
  if (size > left) return { kind: 'truncated', reason: `block of ${size} bytes, only ${left} left in the file` };
  const body = buf.subarray(offset + BLOCK_HEADER_BYTES, offset + size);
  if (buf.readUInt32LE(offset + 44) !== crc32(body, crc32(buf.subarray(offset, offset + 44)))) return { kind: 'corrupt', reason: 'block CRC mismatch' };
  return {
    kind: 'block',
    header: {
      dictionaryBytes,
      storedBytes,
      rawBytes: buf.readUInt32LE(offset + 12),
      recordCount: buf.readUInt32LE(offset + 16),
      dictionaryBase: buf.readUInt32LE(offset + 20),
      minTs: buf.readDoubleLE(offset + 24),
      maxTs: buf.readDoubleLE(offset + 32),
    },
    dictionary: body.subarray(0, dictionaryBytes),
    records: body.subarray(dictionaryBytes),
    size,
  };
}

/** The next offset after `from` where a block marker stands, or -1. */
export function findNextMarker(buf: Buffer, from: number): number {
  const marker = Buffer.allocUnsafe(4);
  marker.writeUInt32LE(BLOCK_MARKER, 0);
  return buf.indexOf(marker, from);
}
