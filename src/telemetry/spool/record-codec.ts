import { crc32 } from 'node:zlib';

/**
 * The byte layout of spool segments. A segment file starts with an 8-byte magic and holds records back to back;
 * a record is one batch of lines as they were appended:
 *
 *   offset 0   u32 LE  payload bytes
 *   offset 4   u32 LE  line count
 *   offset 8   f64 LE  when the record was written, ms since the epoch (the spool's age bound reads it)
 *   offset 16  u32 LE  CRC-32 of bytes 0–15 and of the payload
 *   offset 20  payload: the lines in UTF-8, separated by '\n' (line protocol never carries a raw newline:
 *              the encoder escapes it)
 *
 * The CRC covers the header fields too, so a torn write after a crash — a short tail, zeros, or a length
 * from a half-written header — is recognised and never replayed as lines.
 */

export const SEGMENT_MAGIC = Buffer.from('FGWSPL01', 'latin1');
export const SEGMENT_HEADER_BYTES = SEGMENT_MAGIC.length;
export const RECORD_HEADER_BYTES = 20;
/** Largest payload a reader accepts; a larger length field can only be garbage. Bytes. */
export const MAX_RECORD_PAYLOAD_BYTES = 64 * 1024 * 1024;

const NEWLINE = 0x0a;

export interface RecordInfo {
  /** Offset of the record within the buffer it was parsed from. */
  offset: number;
  /** Header plus payload, bytes. */
  size: number;
  lineCount: number;
  writtenAtMs: number;
  payloadStart: number;
  payloadEnd: number;
}

/** Frames one batch of lines as a record. */
export function encodeRecord(lines: readonly string[], writtenAtMs: number): Buffer {
  const payload = Buffer.from(lines.join('\n'), 'utf8');
  const record = Buffer.allocUnsafe(RECORD_HEADER_BYTES + payload.length);
  record.writeUInt32LE(payload.length, 0);
  record.writeUInt32LE(lines.length, 4);
  record.writeDoubleLE(writtenAtMs, 8);
  record.writeUInt32LE(crc32(payload, crc32(record.subarray(0, 16))), 16);
  payload.copy(record, RECORD_HEADER_BYTES);
  return record;
}

export type ParseEnd =
  /** Every byte was consumed. */
  | { kind: 'end' }
  /** The record at `offset` is not complete in this buffer: read on (or, at the file's end, a torn tail). */
  | { kind: 'partial'; offset: number; needBytes: number }
  /** The bytes at `offset` are not a valid record. */
  | { kind: 'corrupt'; offset: number; reason: string };

/**
 * The record at `offset` of `buf`, checked: its CRC, and that its payload holds exactly `lineCount` lines.
 * Without one there, why not (`needBytes` counts from `offset`).
 */
export function parseRecord(buf: Buffer, offset: number): { kind: 'record'; record: RecordInfo } | Exclude<ParseEnd, { kind: 'end' }> {
  if (buf.length - offset < RECORD_HEADER_BYTES) return { kind: 'partial', offset, needBytes: RECORD_HEADER_BYTES };
  const payloadBytes = buf.readUInt32LE(offset);
  const lineCount = buf.readUInt32LE(offset + 4);
  if (payloadBytes > MAX_RECORD_PAYLOAD_BYTES) return { kind: 'corrupt', offset, reason: `record length ${payloadBytes} is out of range` };
  const size = RECORD_HEADER_BYTES + payloadBytes;
  if (buf.length - offset < size) return { kind: 'partial', offset, needBytes: size };
  const payloadStart = offset + RECORD_HEADER_BYTES;
  const payloadEnd = offset + size;
  const expected = buf.readUInt32LE(offset + 16);
  const actual = crc32(buf.subarray(payloadStart, payloadEnd), crc32(buf.subarray(offset, offset + 16)));
  if (actual !== expected) return { kind: 'corrupt', offset, reason: 'record checksum does not match' };
  if (lineCount === 0 || countNewlines(buf, payloadStart, payloadEnd) !== lineCount - 1) {
    return { kind: 'corrupt', offset, reason: 'record line count does not match its payload' };
  }
  return { kind: 'record', record: { offset, size, lineCount, writtenAtMs: buf.readDoubleLE(offset + 8), payloadStart, payloadEnd } };
}

/** Walks the complete, valid records of `buf`, calling `onRecord` for each, and says how the walk ended. */
export function parseRecords(buf: Buffer, onRecord: (record: RecordInfo, buf: Buffer) => void): ParseEnd {
  let offset = 0;
  while (offset < buf.length) {
    const parsed = parseRecord(buf, offset);
    if (parsed.kind !== 'record') return parsed;
    onRecord(parsed.record, buf);
    offset += parsed.record.size;
  }
  return { kind: 'end' };
}

/** The lines of a record parsed from `buf`. */
export function decodeLines(record: RecordInfo, buf: Buffer): string[] {
  return buf.toString('utf8', record.payloadStart, record.payloadEnd).split('\n');
}

function countNewlines(buf: Buffer, start: number, end: number): number {
  let count = 0;
  for (let at = buf.indexOf(NEWLINE, start); at !== -1 && at < end; at = buf.indexOf(NEWLINE, at + 1)) count++;
  return count;
}
