import { readdir, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Names and housekeeping of recording files. A name carries the time the file was opened and a sequence
 * number, `rec-20260101T000000.000Z-000001.fgwrec`, so the names sort in recording order.
 */

export const RECORDING_EXTENSION = '.fgwrec';
const NAME_PATTERN = /^rec-(\d{8}T\d{6}\.\d{3}Z)-(\d{6,})\.fgwrec$/;

export function recordingFileName(openedAt: number, seq: number): string {
  const iso = new Date(openedAt).toISOString(); // 2026-01-01T00:00:00.000Z
  const compact = iso.replace(/[-:]/g, '');
  return `rec-${compact}-${String(seq).padStart(6, '0')}${RECORDING_EXTENSION}`;
}

export function isRecordingFileName(name: string): boolean {
  return NAME_PATTERN.test(name);
}

export interface RecordingFileInfo {
  path: string;
  name: string;
  bytes: number;
}

/** The recording files of `dir`, oldest first; other files are ignored. A missing directory has none. */
export async function listRecordingFiles(dir: string): Promise<RecordingFileInfo[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: RecordingFileInfo[] = [];
  for (const name of names.filter(isRecordingFileName).sort()) {
    const path = join(dir, name);
    try {
      out.push({ path, name, bytes: (await stat(path)).size });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // deleted meanwhile
    }
  }
  return out;
}

/**
 * Deletes the oldest files until at most `keepFiles` remain and they hold at most `keepBytes`; never the
 * file being written (`current`). Returns the names deleted.
 */
export async function pruneRecordingFiles(dir: string, limits: { keepFiles?: number | undefined; keepBytes: number }, current?: string): Promise<string[]> {
  const files = await listRecordingFiles(dir);
  let count = files.length;
  let bytes = files.reduce((sum, f) => sum + f.bytes, 0);
  const deleted: string[] = [];
  for (const file of files) {
    const overCount = limits.keepFiles !== undefined && count > limits.keepFiles;
    if (!overCount && bytes <= limits.keepBytes) break;
    if (file.name === current) continue;
    try {
      await unlink(file.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    count--;
    bytes -= file.bytes;
    deleted.push(file.name);
  }
  return deleted;
}
