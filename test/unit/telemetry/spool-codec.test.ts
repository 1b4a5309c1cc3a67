import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CursorFile } from '../../../src/telemetry/spool/cursor-file.js';
import { decodeLines, encodeRecord, parseRecords, RECORD_HEADER_BYTES, type RecordInfo } from '../../../src/telemetry/spool/record-codec.js';
import { nodeSpoolFs } from '../../../src/telemetry/spool/spool-fs.js';
import { lines, T0, tempDir } from './spool-fixtures.js';

function parseAll(buf: Buffer): { records: string[][]; end: ReturnType<typeof parseRecords> } {
  const records: string[][] = [];
  const end = parseRecords(buf, (record: RecordInfo, b: Buffer) => records.push(decodeLines(record, b)));
  return { records, end };
}

describe('record framing', () => {
  it('round-trips batches of lines, with their count and write time, including non-ASCII text', () => {
    const first = encodeRecord(lines(0, 3), T0);
    const second = encodeRecord(['door,device=d2 note="Tür öffnet ✓" 1'], T0 + 5);
    const infos: RecordInfo[] = [];
    const end = parseRecords(Buffer.concat([first, second]), (record) => infos.push(record));
    expect(end).toEqual({ kind: 'end' });
    expect(infos.map((r) => [r.lineCount, r.writtenAtMs, r.size])).toEqual([
      [3, T0, first.length],
      [1, T0 + 5, second.length],
    ]);
    expect(parseAll(Buffer.concat([first, second])).records).toEqual([lines(0, 3), ['door,device=d2 note="Tür öffnet ✓" 1']]);
  });

  it('detects a flipped bit anywhere in the record by its CRC', () => {
    const record = encodeRecord(lines(0, 5), T0);
    for (const at of [0, 5, 9, 17, RECORD_HEADER_BYTES, record.length - 1]) {
      const damaged = Buffer.from(record);
      damaged[at] = (damaged[at] as number) ^ 0x10;
      const { records, end } = parseAll(damaged);
      expect(records).toEqual([]);
      expect(end.kind === 'corrupt' || end.kind === 'partial').toBe(true);
    }
  });

  it('reports a record cut short (a torn write) as partial, after the complete ones', () => {
    const whole = Buffer.concat([encodeRecord(lines(0, 2), T0), encodeRecord(lines(2, 4), T0)]);
    const torn = whole.subarray(0, whole.length - 3);
    const { records, end } = parseAll(torn);
    expect(records).toEqual([lines(0, 2)]);
    expect(end).toMatchObject({ kind: 'partial', offset: whole.length / 2 });
  });

  it('refuses zeros and a length field out of range rather than reading garbage', () => {
    expect(parseAll(Buffer.alloc(64)).end).toMatchObject({ kind: 'corrupt', offset: 0 });
    const huge = encodeRecord(lines(0, 1), T0);
    huge.writeUInt32LE(0xffffffff, 0);
    expect(parseAll(huge).end).toMatchObject({ kind: 'corrupt', reason: expect.stringContaining('out of range') as unknown });
  });
});

describe('cursor file', () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it('keeps the newest cursor, and the one before when a write of the newest was torn', async () => {
    const { dir, remove } = await tempDir();
    cleanup = remove;
    const path = join(dir, 'cursor');
    const opened = await CursorFile.open(nodeSpoolFs, path);
    expect(opened.cursor).toBeUndefined();
    await opened.file.write({ segmentSeq: 3, linesAcked: 10 });
    await opened.file.write({ segmentSeq: 3, linesAcked: 25 });
    await opened.file.close();

    const reread = await CursorFile.open(nodeSpoolFs, path);
    expect(reread.cursor).toEqual({ segmentSeq: 3, linesAcked: 25 });
    await reread.file.close();

    // Tear the slot holding the newest cursor (generation 2, the first slot).
    const bytes = await readFile(path);
    bytes[9] = (bytes[9] as number) ^ 0xff;
    await writeFile(path, bytes);
    const afterTear = await CursorFile.open(nodeSpoolFs, path);
    expect(afterTear.cursor).toEqual({ segmentSeq: 3, linesAcked: 10 });
    await afterTear.file.close();
  });
});
