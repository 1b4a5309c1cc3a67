import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/log.js';
import type { Sample } from '../../../src/points/sample.js';
import { FILE_HEADER_BYTES, parseBlock, type RecordedEntry } from '../../../src/recording/format.js';
import { listRecordingFiles } from '../../../src/recording/recording-files.js';
import { describeDamage, RecordingReader, type ReadOptions } from '../../../src/recording/recording-reader.js';
import { SampleRecorder, type RecorderSettings } from '../../../src/recording/sample-recorder.js';
import { VirtualClock } from '../../../src/time/clock.js';

const T0 = Date.UTC(2026, 2, 1, 8, 0, 0);
let dir: string;
let clock: VirtualClock;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fgw-rec-'));
  clock = new VirtualClock(T0);
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function recorder(overrides: Partial<RecorderSettings> = {}): SampleRecorder {
  return new SampleRecorder({
    settings: {
      dir,
      maxFileBytes: 64 * 1024 * 1024,
      maxFileAgeMinutes: 60,
      keepBytes: 1024 * 1024 * 1024,
      blockRecords: 100,
      flushIntervalMs: 5_000,
      compression: 'deflate',
      fsync: 'file',
      ...overrides,
    },
    clock,
    logger: silentLogger(),
  });
}

async function readAll(options: ReadOptions = {}): Promise<{ entries: RecordedEntry[]; reader: RecordingReader }> {
  const reader = await RecordingReader.fromDirectory(dir, options);
  const entries: RecordedEntry[] = [];
  for await (const batch of reader.batches()) entries.push(...batch);
  return { entries, reader };
}

/** A pump-like stream: `n` samples over a few points, one per 100 ms, values of every kind. */
function stream(n: number, startTs = T0): Sample[] {
  const out: Sample[] = [];
  for (let i = 0; i < n; i++) {
    const ts = startTs + i * 100;
    switch (i % 5) {
      case 0:
        out.push({ point: 'pump-1.discharge_pressure', value: 4 + Math.sin(i / 7) * 0.37, ts, quality: 'good' });
        break;
      case 1:
        out.push({ point: 'pump-1.running', value: i % 3 === 0, ts, quality: 'good' });
        break;
      case 2:
        out.push({ point: 'pump-1.run_hours', value: 1000 + i, ts, quality: 'good' });
        break;
      case 3:
        out.push({ point: 'elevator-1.mode', value: i % 2 === 0 ? 'normal' : 'inspection', ts, quality: 'uncertain' });
        break;
      default:
        out.push({ point: 'elevator-1.floor', value: null, ts, quality: 'bad', error: 'timeout after 1000 ms' });
    }
  }
  return out;
}

describe('recording round trip', () => {
  it('reads back exactly the samples, status changes and events recorded, in order', async () => {
    const rec = recorder();
    const samples = stream(1234);
    const expected: RecordedEntry[] = [];
    for (let i = 0; i < samples.length; i += 37) {
      const batch = samples.slice(i, i + 37);
      rec.record(batch);
      expected.push(...batch);
      if (i % 370 === 0) {
        const status = { device: 'pump-1', online: i % 740 === 0, ts: batch[0]?.ts ?? T0, ...(i % 740 === 0 ? {} : { error: 'connection refused' }) };
        rec.recordStatus(status);
        expected.push({ kind: 'status', status });
        const event = { device: 'door-3', event: 'access_denied', ts: (batch[0]?.ts ?? T0) + 5, attributes: { badge: 'B-17', reason: 'expired' } };
        rec.recordEvents([event]);
        expected.push({ kind: 'event', event });
      }
    }
    await rec.close();
    const { entries, reader } = await readAll();
    expect(reader.damage).toEqual([]);
    expect(entries).toEqual(expected);
    const stats = rec.stats();
    expect(stats.recorded).toBe(expected.length);
    expect(stats.written).toBe(expected.length);
    expect(stats.dropped).toBe(0);
    expect(stats.blocks).toBe(Math.ceil(expected.length / 100));
  });

  it('keeps every number exactly: -0, NaN, infinities, fractions, large and negative integers', async () => {
    const values = [0, -0, 1, -1, 2 ** 31, -(2 ** 31), 2 ** 53 - 1, 0.1 + 0.2, 1e-300, Number.NaN, Infinity, -Infinity, 123456.789];
    const rec = recorder();
    rec.record(values.map((value, i) => ({ point: 'p.v', value, ts: T0 + i, quality: 'good' as const })));
    await rec.close();
    const { entries } = await readAll();
    const got = entries.map((e) => ('point' in e ? e.value : undefined));
    got.forEach((v, i) => expect(Object.is(v, values[i])).toBe(true));
  });

  it('round-trips out-of-order timestamps within a block', async () => {
    const rec = recorder();
    const samples: Sample[] = [T0 + 5000, T0, T0 + 2500, T0 + 2_000_000_000].map((ts, i) => ({ point: 'a.b', value: i, ts, quality: 'good' }));
    rec.record(samples);
    await rec.close();
    expect((await readAll()).entries).toEqual(samples);
  });

  it.each(['brotli', 'none'] as const)('reads %s-compressed files', async (compression) => {
    const rec = recorder({ compression });
    const samples = stream(500);
    rec.record(samples);
    await rec.close();
    expect((await readAll()).entries).toEqual(samples);
  });

  it('refuses entries whose ts is not a whole number of ms, and counts them', async () => {
    const rec = recorder();
    rec.record([
      { point: 'a.b', value: 1, ts: T0, quality: 'good' },
      { point: 'a.b', value: 2, ts: T0 + 0.5, quality: 'good' },
      { point: 'a.b', value: 3, ts: Number.NaN, quality: 'good' },
    ]);
    await rec.close();
    expect((await readAll()).entries).toEqual([{ point: 'a.b', value: 1, ts: T0, quality: 'good' }]);
    expect(rec.stats().rejected).toBe(2);
  });

  it('compresses a realistic stream well below its in-memory size', async () => {
    const rec = recorder({ blockRecords: 8192 });
    const samples = stream(50_000);
    rec.record(samples);
    await rec.close();
    const bytesPerSample = rec.stats().bytes / samples.length;
    expect(bytesPerSample).toBeLessThan(4);
  });
});

describe('flushing and rotation', () => {
  it('writes a partial block once flushIntervalMs has passed on the clock', async () => {
    const rec = recorder({ flushIntervalMs: 5_000 });
    rec.record(stream(10));
    await clock.advance(4_999);
    expect(rec.stats().blocks).toBe(0);
    await clock.advance(1);
    await rec.flush();
    expect(rec.stats()).toMatchObject({ blocks: 1, written: 10, buffered: 0 });
    await rec.close();
  });

  it('starts a new file before one would pass maxFileBytes, and reads them all in order', async () => {
    const rec = recorder({ maxFileBytes: 4096, blockRecords: 200, compression: 'none' });
    const samples = stream(3000);
    for (let i = 0; i < samples.length; i += 100) rec.record(samples.slice(i, i + 100));
    await rec.close();
    const files = await listRecordingFiles(dir);
    expect(files.length).toBeGreaterThan(3);
    // A block larger than the limit is written alone in its file; no file holds two blocks past the limit.
    for (const f of files) {
      const buf = await readFile(f.path);
      const first = parseBlock(buf, FILE_HEADER_BYTES);
      if (first.kind === 'block' && FILE_HEADER_BYTES + first.size < buf.length) expect(f.bytes).toBeLessThanOrEqual(4096);
    }
    expect((await readAll()).entries).toEqual(samples);
  });

  it('starts a new file once one has been open maxFileAgeMinutes', async () => {
    const rec = recorder({ maxFileAgeMinutes: 1, blockRecords: 16 });
    for (let minute = 0; minute < 3; minute++) {
      rec.record(stream(16, clock.now()));
      await rec.flush();
      await clock.advance(61_000);
    }
    await rec.close();
    expect((await listRecordingFiles(dir)).length).toBe(3);
  });

  it('deletes the oldest files past keepFiles', async () => {
    const rec = recorder({ maxFileAgeMinutes: 1, blockRecords: 16, keepFiles: 2 });
    for (let minute = 0; minute < 5; minute++) {
      rec.record(stream(16, clock.now()));
      await rec.flush();
      await clock.advance(61_000);
    }
    await rec.close();
    const files = await listRecordingFiles(dir);
    expect(files.length).toBe(2);
    const { entries } = await readAll();
    expect(entries.length).toBe(32);
    expect(Math.min(...entries.map((e) => ('point' in e ? e.ts : 0)))).toBe(T0 + 3 * 61_000);
  });

  it('counts a write error and drops the block instead of throwing, then records again', async () => {
    const blocker = join(dir, 'not-a-dir');
    await writeFile(blocker, 'x');
    const rec = new SampleRecorder({
      settings: { dir: blocker, maxFileBytes: 1 << 20, maxFileAgeMinutes: 60, keepBytes: 1 << 30, blockRecords: 10, flushIntervalMs: 1000, compression: 'deflate', fsync: 'block' },
      clock,
      logger: silentLogger(),
    });
    rec.record(stream(25));
    await rec.flush();
    expect(rec.stats()).toMatchObject({ writeErrors: 3, dropped: 25, written: 0 });
    await rec.close();
    rec.record(stream(3));
    expect(rec.stats().dropped).toBe(28);
  });
});

describe('damaged recordings', () => {
  async function recordThreeBlocks(): Promise<{ samples: Sample[]; path: string }> {
    const rec = recorder({ blockRecords: 100 });
    const samples = stream(300);
    rec.record(samples);
    await rec.close();
    const [file] = await listRecordingFiles(dir);
    if (file === undefined) throw new Error('no file recorded');
    return { samples, path: file.path };
  }

  async function blockOffsets(path: string): Promise<number[]> {
    const buf = await readFile(path);
    const offsets: number[] = [];
    let at = FILE_HEADER_BYTES;
    while (at < buf.length) {
      offsets.push(at);
      const parsed = parseBlock(buf, at);
      if (parsed.kind !== 'block') throw new Error('unexpected damage');
      at += parsed.size;
    }
    return offsets;
  }

  it('uses the blocks before a torn tail and reports where the file ends early', async () => {
    const { samples, path } = await recordThreeBlocks();
    const offsets = await blockOffsets(path);
    const size = (await readFile(path)).length;
    await truncate(path, size - 10);
    const { entries, reader } = await readAll();
    expect(entries).toEqual(samples.slice(0, 200));
    expect(reader.damage).toHaveLength(1);
    expect(reader.damage[0]).toMatchObject({ offset: offsets[2], block: 2, skippedBytes: size - 10 - (offsets[2] ?? 0) });
    expect(reader.damage[0]?.file).toMatch(/^rec-.*\.fgwrec$/);
    expect(describeDamage(reader.damage[0]!)).toContain(`at byte ${offsets[2]} (block 2): truncated`);
  });

  it('skips a corrupt middle block, reads on after it, and reports what it lost', async () => {
    const { samples, path } = await recordThreeBlocks();
    const offsets = await blockOffsets(path);
    const buf = await readFile(path);
    const middle = offsets[1] ?? 0;
    buf[middle + 60] = (buf[middle + 60] ?? 0) ^ 0xff;
    await writeFile(path, buf);
    const { entries, reader } = await readAll();
    expect(entries).toEqual([...samples.slice(0, 100), ...samples.slice(200)]);
    expect(reader.damage).toEqual([expect.objectContaining({ offset: middle, block: 1, reason: 'block CRC mismatch', skippedBytes: (offsets[2] ?? 0) - middle })]);
  });

  it('leaves out records whose strings were defined in a lost block, and says how many', async () => {
    const rec = recorder({ blockRecords: 2 });
    rec.record([
      { point: 'a.x', value: 1, ts: T0, quality: 'good' },
      { point: 'a.x', value: 2, ts: T0 + 1, quality: 'good' },
      { point: 'b.y', value: 'open', ts: T0 + 2, quality: 'good' }, // block 1 defines b.y and "open"
      { point: 'a.x', value: 3, ts: T0 + 3, quality: 'good' },
      { point: 'b.y', value: 4, ts: T0 + 4, quality: 'good' }, // block 2 needs b.y
      { point: 'a.x', value: 5, ts: T0 + 5, quality: 'good' },
    ]);
    await rec.close();
    const [file] = await listRecordingFiles(dir);
    const offsets = await blockOffsets(file!.path);
    const buf = await readFile(file!.path);
    buf[(offsets[1] ?? 0) + 50] = (buf[(offsets[1] ?? 0) + 50] ?? 0) ^ 0x55;
    await writeFile(file!.path, buf);
    const { entries, reader } = await readAll();
    expect(entries.map((e) => ('point' in e ? e.value : null))).toEqual([1, 2, 5]);
    expect(reader.damage.map((d) => [d.block, d.lostRecords])).toEqual([
      [1, 0],
      [2, 1],
    ]);
  });

  it('skips a file whose header is not a recording header, and reads the next file', async () => {
    const rec = recorder({ maxFileAgeMinutes: 1, blockRecords: 10 });
    rec.record(stream(10));
    await rec.flush();
    await clock.advance(61_000);
    const second = stream(10, clock.now());
    rec.record(second);
    await rec.close();
    const [first] = await listRecordingFiles(dir);
    await writeFile(first!.path, Buffer.from('garbage that is not a recording'));
    const { entries, reader } = await readAll();
    expect(entries).toEqual(second);
    expect(reader.damage).toEqual([expect.objectContaining({ file: first!.name, offset: 0, block: -1, reason: 'not a recording file (bad magic)' })]);
  });

  it('reports an empty file instead of failing', async () => {
    const rec = recorder();
    rec.record(stream(5));
    await rec.close();
    const [file] = await listRecordingFiles(dir);
    await truncate(file!.path, 7);
    const { entries, reader } = await readAll();
    expect(entries).toEqual([]);
    expect(reader.damage[0]?.reason).toMatch(/shorter than the 24-byte header/);
  });
});

describe('time window', () => {
  it('yields only entries with from <= ts < to and does not inflate blocks outside', async () => {
    const rec = recorder({ blockRecords: 100 });
    const samples = stream(1000); // 100 s, 10 blocks of 10 s
    rec.record(samples);
    await rec.close();
    const from = T0 + 25_000;
    const to = T0 + 47_000;
    const { entries, reader } = await readAll({ from, to });
    expect(entries).toEqual(samples.filter((s) => s.ts >= from && s.ts < to));
    expect(reader.stats.blocksOutsideWindow).toBe(7);
  });
});
