import { appendFile, open, readdir, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SegmentLog, type DroppedLines } from '../../../src/telemetry/spool/segment-log.js';
import { VirtualClock } from '../../../src/time/clock.js';
import { DAY_MS, faultyFs, lines, logOptions, readAll, T0, tempDir } from './spool-fixtures.js';

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function openLog(dir: string, overrides: Parameters<typeof logOptions>[1] = {}) {
  const opened = await SegmentLog.open(logOptions(dir, overrides));
  cleanup.push(() => opened.log.close());
  return opened;
}

async function spoolDir(): Promise<string> {
  const { dir, remove } = await tempDir();
  cleanup.push(remove);
  return dir;
}

const segmentFiles = async (dir: string) => (await readdir(dir)).filter((name) => name.endsWith('.seg')).sort();

describe('SegmentLog', () => {
  it('reads back what was appended, in order, across segment files', async () => {
    const dir = await spoolDir();
    const { log, recovery } = await openLog(dir);
    expect(recovery).toEqual({ lines: 0, segments: 0, dropped: [] });
    for (let i = 0; i < 400; i += 40) await log.append(i, lines(i, i + 40));
    expect((await segmentFiles(dir)).length).toBeGreaterThan(3); // 4 KiB segments
    expect(await readAll(log, 0)).toEqual(lines(0, 400));
    expect(await readAll(log, 123, 50)).toEqual(lines(123, 400));
  });

  it('after a restart, resumes right after the last acknowledged line and deletes acknowledged segments', async () => {
    const dir = await spoolDir();
    const first = await SegmentLog.open(logOptions(dir));
    for (let i = 0; i < 300; i += 30) await first.log.append(i, lines(i, i + 30));
    const before = await segmentFiles(dir);
    await first.log.markAcked(170);
    expect((await segmentFiles(dir)).length).toBeLessThan(before.length);
    await first.log.close();

    const { log, recovery } = await openLog(dir);
    expect(recovery.lines).toBe(130);
    // Recovered lines are numbered just below 0.
    expect(await readAll(log, -130)).toEqual(lines(170, 300));
  });

  it('treats a start of a new run of indices as a new segment, and acknowledges across the gap', async () => {
    const dir = await spoolDir();
    const { log } = await openLog(dir);
    await log.append(0, lines(0, 5));
    await log.append(10, lines(10, 15)); // 5–9 never reached the disk
    expect(await segmentFiles(dir)).toHaveLength(2);
    expect(await log.read(5, 10)).toMatchObject({ firstIdx: 10, lines: lines(10, 15) });
    await log.markAcked(7);
    expect(await segmentFiles(dir)).toHaveLength(1);
  });

  it('cuts off a torn tail at start-up and never replays it', async () => {
    const dir = await spoolDir();
    const first = await SegmentLog.open(logOptions(dir, { segmentBytes: 1024 * 1024 }));
    await first.log.append(0, lines(0, 10));
    await first.log.append(10, lines(10, 20));
    await first.log.close();
    const [segment] = await segmentFiles(dir);
    const path = join(dir, segment as string);
    const whole = (await stat(path)).size;
    await truncate(path, whole - 7); // the second record was torn by the crash
    await appendFile(path, Buffer.from([1, 2, 3])); // plus garbage the disk left behind

    const { log, recovery } = await openLog(dir);
    expect(recovery.lines).toBe(10);
    expect(await readAll(log, -10)).toEqual(lines(0, 10));
    expect((await stat(path)).size).toBeLessThan(whole - 7); // truncated to the last whole record
    await log.append(0, lines(100, 105)); // new lines go on after it
    expect(await readAll(log, -10)).toEqual([...lines(0, 10), ...lines(100, 105)]);
  });

  it('reports lines behind a record damaged on disk as dropped, never as lines, and reads on in the next segment', async () => {
    const dir = await spoolDir();
    const { log } = await openLog(dir, { segmentBytes: 1200 });
    for (let i = 0; i < 100; i += 10) await log.append(i, lines(i, i + 10));
    const [first] = await segmentFiles(dir);
    const file = await open(join(dir, first as string), 'r+');
    const insideSecondRecord = 460; // after the 8-byte magic, the first record (~390 bytes) and the second's header
    await file.write(Buffer.from('#'), 0, 1, insideSecondRecord);
    await file.close();

    const read = await log.read(0, 100);
    expect(read?.lines).toEqual(lines(0, 10));
    expect(read?.dropped).toEqual([{ fromIdx: 10, toIdx: expect.any(Number) as unknown, reason: 'damaged' }]);
    const resumeAt = read?.dropped[0]?.toIdx ?? 0;
    expect(resumeAt).toBeGreaterThan(10); // the rest of the damaged segment
    expect(await readAll(log, 10)).toEqual(lines(resumeAt, 100));
  });

  it('drops the oldest segments past maxBytes and says which lines went', async () => {
    const dir = await spoolDir();
    const { log } = await openLog(dir, { maxBytes: 3 * 4096 });
    const dropped: DroppedLines[] = [];
    for (let i = 0; i < 1000; i += 50) dropped.push(...(await log.append(i, lines(i, i + 50))));
    expect(log.bytes).toBeLessThanOrEqual(3 * 4096);
    expect(dropped.length).toBeGreaterThan(0);
    expect(dropped.every((d) => d.reason === 'maxBytes')).toBe(true);
    // The dropped ranges are the oldest lines, back to back from 0.
    expect(dropped[0]?.fromIdx).toBe(0);
    dropped.forEach((d, i) => i > 0 && expect(d.fromIdx).toBe(dropped[i - 1]?.toIdx));
    const kept = await readAll(log, 0);
    expect(kept).toEqual(lines(dropped[dropped.length - 1]?.toIdx ?? 0, 1000));
  });

  it('drops segments whose newest line is older than maxAgeMs, also after a restart', async () => {
    const dir = await spoolDir();
    const clock = new VirtualClock(T0);
    const first = await SegmentLog.open(logOptions(dir, { clock, maxAgeMs: DAY_MS, segmentBytes: 1024 }));
    await first.log.append(0, lines(0, 60)); // fills the first segment
    await clock.advance(DAY_MS / 2);
    await first.log.append(60, lines(60, 70));
    await first.log.close();

    await clock.advance(DAY_MS / 2 + 1);
    const { log, recovery } = await openLog(dir, { clock, maxAgeMs: DAY_MS, segmentBytes: 1024 });
    expect(recovery.lines).toBe(70);
    expect(recovery.dropped.reduce((n, d) => n + d.toIdx - d.fromIdx, 0)).toBe(60);
    expect(await readAll(log, -70)).toEqual(lines(60, 70));
    await clock.advance(DAY_MS / 2);
    expect(await log.enforceBounds()).toEqual([{ fromIdx: -10, toIdx: 0, reason: 'maxAge' }]);
    expect(log.bytes).toBe(0);
  });

  describe('fsync policy', () => {
    async function run(policy: 'always' | 'interval' | 'never') {
      const dir = await spoolDir();
      const fs = faultyFs();
      const clock = new VirtualClock(T0);
      const { log } = await openLog(dir, { fs, clock, fsync: policy, fsyncIntervalMs: 1000, segmentBytes: 1024 * 1024 });
      for (let i = 0; i < 5; i++) await log.append(i * 10, lines(i * 10, i * 10 + 10));
      const afterAppends = { ...fs.calls };
      await clock.advance(1000);
      await log.enforceBounds(); // waits for the serial file work the timer started
      return { afterAppends, afterInterval: { ...fs.calls } };
    }

    it('always: forces every append (and the new segment directory entry) before it resolves', async () => {
      const { afterAppends } = await run('always');
      expect(afterAppends.datasync).toBe(5);
      expect(afterAppends.sync).toBe(1);
    });

    it('interval: forces once per interval, not per append', async () => {
      const { afterAppends, afterInterval } = await run('interval');
      expect(afterAppends.datasync).toBeUndefined();
      expect(afterInterval.datasync).toBe(1);
      expect(afterInterval.sync).toBe(1);
    });

    it('never: leaves it to the OS', async () => {
      const { afterInterval } = await run('never');
      expect(afterInterval.datasync).toBeUndefined();
      expect(afterInterval.sync).toBeUndefined();
    });
  });

  it('on a failed write counts none of the batch and goes on in a new segment when the disk has room again', async () => {
    const dir = await spoolDir();
    const fs = faultyFs();
    const { log } = await openLog(dir, { fs, segmentBytes: 1024 * 1024 });
    await log.append(0, lines(0, 10));
    fs.full = true;
    await expect(log.append(10, lines(10, 20))).rejects.toThrow(/ENOSPC/);
    fs.full = false;
    await log.append(10, lines(10, 20));
    expect(await segmentFiles(dir)).toHaveLength(2);
    expect(await readAll(log, 0)).toEqual(lines(0, 20));
  });
});
