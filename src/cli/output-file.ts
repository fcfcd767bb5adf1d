/**
 * Snapshot files a command was asked to write (`snapshot -o`, `--save-snapshot`). A snapshot holds
 * cluster internals: it is written 0600 and never over an existing file unless `--overwrite` says
 * so. Both are checked before gathering, which may take minutes, and again when writing.
 */
import { access, constants } from 'node:fs/promises';
import { dirname } from 'node:path';
import { OutputFileError } from '../snapshot/private-file.js';
import { saveSnapshot } from '../snapshot/stream-write.js';
import type { Snapshot } from '../snapshot/schema.js';
import type { SnapshotFormat } from '../snapshot/stream-format.js';
import { UsageError } from './io.js';

export const OVERWRITE_FLAG = { overwrite: { type: 'boolean' } } as const;
export const OVERWRITE_HELP = '      --overwrite           replace an existing snapshot file (default: refuse)';

const exists = (file: string) => access(file).then(() => true, () => false);

/** Fails before gathering, not after: the directory must be writable, and the file new unless `overwrite`. */
export async function checkOutputFile(file: string, overwrite: boolean): Promise<void> {
  try {
    await access(dirname(file), constants.W_OK);
  } catch (e) {
    throw new UsageError(`cannot write ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message} on ${dirname(file)}`);
  }
  if (!overwrite && (await exists(file))) throw new UsageError(`${file} exists: choose another name, or pass --overwrite to replace it`);
}

export async function writeSnapshotFile(snapshot: Snapshot, file: string, overwrite: boolean, format: SnapshotFormat = 'v2'): Promise<void> {
  try {
    await saveSnapshot(snapshot, file, { overwrite, format });
  } catch (e) {
    throw new UsageError(e instanceof OutputFileError ? `${e.message}${e.code === 'EEXIST' ? ' (--overwrite replaces it)' : ''}` : `cannot write ${file}: ${(e as Error).message}`);
  }
}
