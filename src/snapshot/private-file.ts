/**
 * Files np-doctor writes: only their owner can read them (0600; snapshots and reports hold cluster
 * internals), and an existing file is never replaced unless the caller says so.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface WriteOptions {
  /** Replace an existing file (atomically: a new 0600 file renamed over it). Default: refuse. */
  overwrite?: boolean;
}

/** A file np-doctor was asked to write and could not; `code` is the errno code when there is one (EEXIST, EACCES…). */
export class OutputFileError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly code?: string,
  ) {
    super(`cannot write ${file}: ${problem}`);
    this.name = 'OutputFileError';
  }
}

const errno = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

async function writeNew(path: string, write: (fh: FileHandle) => Promise<void>): Promise<void> {
  // O_CREAT|O_EXCL: fails on any existing path, a symlink included (it is not followed).
  const fh = await open(path, 'wx', 0o600);
  try {
    await write(fh);
  } catch (e) {
    await fh.close();
    await unlink(path).catch(() => undefined);
    throw e;
  }
  await fh.close();
}

/**
 * Writes a file only its owner can read (0600): snapshots and reports hold cluster internals.
 * Without `overwrite` the file is created exclusively and an existing one is an error; with it,
 * the data goes to a new file next to it that is then renamed over the old one, so a symlink at
 * `file` is replaced rather than followed and the result is 0600 whatever the old file's mode.
 */
export async function writePrivateFile(file: string, data: string | Uint8Array, o: WriteOptions = {}): Promise<void> {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  await writePrivate(file, async (fh) => fh.writeFile(bytes), o);
}

/** writePrivateFile for a writer that streams into the open file (a half-written file is removed). */
export async function writePrivate(file: string, write: (fh: FileHandle) => Promise<void>, o: WriteOptions = {}): Promise<void> {
  try {
    if (!o.overwrite) {
      await writeNew(file, write);
      return;
    }
    const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
    await writeNew(temp, write);
    try {
      await rename(temp, file);
    } catch (e) {
      await unlink(temp).catch(() => undefined);
      throw e;
    }
  } catch (e) {
    const code = errno(e);
    if (code === 'EEXIST' && !o.overwrite) {
      throw new OutputFileError(file, 'it already exists, and np-doctor does not overwrite files: choose another name or remove it first', code);
    }
    throw new OutputFileError(file, code ?? (e as Error).message, code);
  }
}

