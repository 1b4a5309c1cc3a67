import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../src/log.js';
import { SegmentLog, type SegmentLogOptions } from '../../../src/telemetry/spool/segment-log.js';
import { nodeSpoolFs, type SpoolFile, type SpoolFs } from '../../../src/telemetry/spool/spool-fs.js';
import { VirtualClock } from '../../../src/time/clock.js';

/** Shared pieces of the spool tests: temporary directories, a file system that can fail or count, lines. */

export const T0 = Date.UTC(2026, 0, 1);
export const DAY_MS = 24 * 60 * 60 * 1000;

export async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'facility-gw-spool-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** `pump,device=d1 flow=<i> <T0+i>`: distinct, easy to check lines. */
export function lines(from: number, to: number): string[] {
  return Array.from({ length: to - from }, (_, k) => `pump,device=d1 flow=${from + k} ${T0 + from + k}`);
}

export interface FaultyFs extends SpoolFs {
  /** While true, every write fails with ENOSPC, as on a full disk. */
  full: boolean;
  /** Calls made, by name: datasync, sync (directories), write, open. */
  calls: Record<string, number>;
}

function noSpace(): Error {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
}

/** Node's file system, with a switch that fills the disk and counters for fsync calls. */
export function faultyFs(): FaultyFs {
  const fs: FaultyFs = {
    full: false,
    calls: {},
    open: async (path, flags) => wrap(await nodeSpoolFs.open(path, flags)),
    mkdir: (path) => nodeSpoolFs.mkdir(path),
    readdir: (path) => nodeSpoolFs.readdir(path),
    unlink: (path) => nodeSpoolFs.unlink(path),
  };
  const count = (name: string): void => {
    fs.calls[name] = (fs.calls[name] ?? 0) + 1;
  };
  const wrap = (file: SpoolFile): SpoolFile => ({
    write: async (buffer, offset, length, position) => {
      count('write');
      if (fs.full) throw noSpace();
      return file.write(buffer, offset, length, position);
    },
    read: (buffer, offset, length, position) => file.read(buffer, offset, length, position),
    datasync: async () => {
      count('datasync');
      await file.datasync();
    },
    sync: async () => {
      count('sync');
      await file.sync();
    },
    truncate: (length) => file.truncate(length),
    stat: () => file.stat(),
    close: () => file.close(),
  });
  return fs;
}

export function logOptions(dir: string, overrides: Partial<SegmentLogOptions> = {}): SegmentLogOptions {
  return {
    dir,
    fs: nodeSpoolFs,
    clock: new VirtualClock(T0),
    logger: silentLogger(),
    fsync: 'never',
    fsyncIntervalMs: 1000,
    maxBytes: 1024 * 1024 * 1024,
    maxAgeMs: 7 * DAY_MS,
    segmentBytes: 4096,
    recordBytes: 1024,
    onSyncError: (error) => {
      throw error;
    },
    ...overrides,
  };
}

/** Reads every line of the log from `fromIdx` on, batch by batch, as replay does. */
export async function readAll(log: SegmentLog, fromIdx: number, batch = 7): Promise<string[]> {
  const out: string[] = [];
  let idx = fromIdx;
  for (;;) {
    const result = await log.read(idx, batch);
    if (result === undefined || result.lines.length === 0) return out;
    out.push(...result.lines);
    idx = result.firstIdx + result.lines.length;
  }
}
