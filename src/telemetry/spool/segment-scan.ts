import { parseRecords, SEGMENT_HEADER_BYTES, SEGMENT_MAGIC } from './record-codec.js';
import { readUpTo, type SpoolFile } from './spool-fs.js';

/** Bytes read per step when walking a segment. */
export const SEGMENT_READ_CHUNK_BYTES = 1024 * 1024;

export interface SegmentScan {
  /** False when the file does not start with the segment magic: not ours, or torn while being created. */
  valid: boolean;
  /** Bytes of the header and the complete, valid records at its start. */
  validBytes: number;
  /** Bytes after them: a tail torn by a crash, or damage. */
  invalidBytes: number;
  lineCount: number;
  /** When the newest valid record was written, ms since the epoch; 0 without records. */
  newestAtMs: number;
  /** Why the walk stopped before the end of the file, when it did. */
  problem: string | undefined;
}

/**
 * Walks a segment file record by record, checking each one's CRC, and stops at the first that is incomplete
 * or damaged: everything from there on is a torn tail (the crash interrupted a write) and is not replayed.
 */
export async function scanSegment(file: SpoolFile): Promise<SegmentScan> {
  let { size } = await file.stat();
  const magic = await readUpTo(file, SEGMENT_HEADER_BYTES, 0);
  if (!magic.equals(SEGMENT_MAGIC)) {
    return { valid: false, validBytes: 0, invalidBytes: size, lineCount: 0, newestAtMs: 0, problem: 'no segment header' };
  }
  let offset = SEGMENT_HEADER_BYTES;
  let lineCount = 0;
  let newestAtMs = 0;
  let readBytes = SEGMENT_READ_CHUNK_BYTES;
  let problem: string | undefined;
  while (offset < size) {
    const want = Math.min(readBytes, size - offset);
    const chunk = await readUpTo(file, want, offset);
    if (chunk.length < want) size = offset + chunk.length; // the file shrank under us
    const end = parseRecords(chunk, (record) => {
      lineCount += record.lineCount;
      newestAtMs = Math.max(newestAtMs, record.writtenAtMs);
    });
    if (end.kind === 'end') {
      offset += chunk.length;
      readBytes = SEGMENT_READ_CHUNK_BYTES;
      continue;
    }
    offset += end.offset;
    if (end.kind === 'corrupt') {
      problem = end.reason;
      break;
    }
    if (offset + end.needBytes > size) {
      problem = 'incomplete last record';
      break;
    }
    readBytes = Math.max(SEGMENT_READ_CHUNK_BYTES, end.needBytes);
  }
  return { valid: true, validBytes: offset, invalidBytes: size - offset, lineCount, newestAtMs, problem };
}
