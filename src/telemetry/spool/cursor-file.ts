import { crc32 } from 'node:zlib';
import { readUpTo, writeFully, type SpoolFile, type SpoolFs } from './spool-fs.js';

/**
 * The ack cursor: how far into the spool the server has acknowledged, as (segment sequence number, lines of
 * that segment acknowledged). Everything before it is done with; a restart replays from it.
 *
 * The file holds two 16-byte slots written alternately, each with a generation number and a CRC. A write torn
 * by a crash spoils at most the slot being written, so the other one (one acknowledgement older) still reads;
 * that costs a few lines sent twice, which the server stores once (same series, same timestamp).
 *
 *   slot: u32 generation, u32 segment sequence, u32 lines acknowledged, u32 CRC-32 of the first 12 bytes
 */

export const CURSOR_FILE = 'cursor';
const SLOT_BYTES = 16;
const SLOTS = 2;

export interface Cursor {
  segmentSeq: number;
  linesAcked: number;
}

export class CursorFile {
  private generation: number;
  private last: Cursor | undefined;

  private constructor(
    private readonly file: SpoolFile,
    generation: number,
    current: Cursor | undefined,
  ) {
    this.generation = generation;
    this.last = current;
  }

  /** Opens (creating if needed) the cursor file at `path` and reads the newest valid slot. */
  static async open(fs: SpoolFs, path: string): Promise<{ cursor: Cursor | undefined; file: CursorFile }> {
    let file: SpoolFile;
    try {
      file = await fs.open(path, 'r+');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      file = await fs.open(path, 'wx+');
    }
    const bytes = await readUpTo(file, SLOT_BYTES * SLOTS, 0);
    let best: { generation: number; cursor: Cursor } | undefined;
    for (let slot = 0; slot < SLOTS; slot++) {
      const parsed = parseSlot(bytes.subarray(slot * SLOT_BYTES, (slot + 1) * SLOT_BYTES));
      if (parsed && (!best || newer(parsed.generation, best.generation))) best = parsed;
    }
    return { cursor: best?.cursor, file: new CursorFile(file, best?.generation ?? 0, best?.cursor) };
  }

  /** Writes the cursor into the older slot, unless it is what was written last. Not fsynced: see the module note. */
  async write(cursor: Cursor): Promise<void> {
    if (this.last && this.last.segmentSeq === cursor.segmentSeq && this.last.linesAcked === cursor.linesAcked) return;
    const generation = (this.generation + 1) >>> 0 || 1; // 0 marks an empty slot
    const slot = Buffer.alloc(SLOT_BYTES);
    slot.writeUInt32LE(generation, 0);
    slot.writeUInt32LE(cursor.segmentSeq >>> 0, 4);
    slot.writeUInt32LE(cursor.linesAcked >>> 0, 8);
    slot.writeUInt32LE(crc32(slot.subarray(0, 12)), 12);
    await writeFully(this.file, slot, (generation % SLOTS) * SLOT_BYTES);
    this.generation = generation;
    this.last = { ...cursor };
  }

  async close(): Promise<void> {
    await this.file.close();
  }
}

/** Serial-number comparison, so that the generation may wrap around after 2^32 writes. */
function newer(a: number, b: number): boolean {
  return ((a - b) | 0) > 0;
}

function parseSlot(slot: Buffer): { generation: number; cursor: Cursor } | undefined {
  if (slot.length < SLOT_BYTES) return undefined;
  if (crc32(slot.subarray(0, 12)) !== slot.readUInt32LE(12)) return undefined;
  const generation = slot.readUInt32LE(0);
  if (generation === 0) return undefined;
  return { generation, cursor: { segmentSeq: slot.readUInt32LE(4), linesAcked: slot.readUInt32LE(8) } };
}
