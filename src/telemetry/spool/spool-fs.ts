import { mkdir, open, readdir, unlink } from 'node:fs/promises';

/**
 * The file-system calls the spool makes, behind a seam so that tests can make a disk fill up or count fsyncs.
 * Everything is asynchronous: the spool never blocks the event loop (and so the poll path) on the disk.
 */
export interface SpoolFile {
  write(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  /** Forces the file's data (and the metadata needed to read it) to the disk. */
  datasync(): Promise<void>;
  /** Forces data and all metadata; used on directories. */
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
}

export interface SpoolFs {
  /** Flags as for fs.open: 'r', 'r+', 'wx' (create, failing if it exists). */
  open(path: string, flags: string): Promise<SpoolFile>;
  mkdir(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  unlink(path: string): Promise<void>;
}

/** Node's fs/promises. */
export const nodeSpoolFs: SpoolFs = {
  open: (path, flags) => open(path, flags),
  mkdir: async (path) => {
    await mkdir(path, { recursive: true });
  },
  readdir: (path) => readdir(path),
  unlink: (path) => unlink(path),
};

/** Writes all of `buffer` at `position`, however many calls that takes. */
export async function writeFully(file: SpoolFile, buffer: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buffer.length) {
    const { bytesWritten } = await file.write(buffer, done, buffer.length - done, position + done);
    if (bytesWritten <= 0) throw new Error('the disk accepted no bytes');
    done += bytesWritten;
  }
}

/** Reads up to `length` bytes at `position`; fewer only at the end of the file. */
export async function readUpTo(file: SpoolFile, length: number, position: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buffer : buffer.subarray(0, done);
}
