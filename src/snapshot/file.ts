/**
 * Reading and writing snapshot files. A file is JSON, gzipped when its name ends in `.gz`; reading
 * looks at the bytes (gzip magic 1f 8b), not the name, so a renamed file still loads.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { SNAPSHOT_API_VERSION, SnapshotSchema, type Snapshot } from './schema.js';

export class SnapshotError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'SnapshotError';
  }
}

const API_VERSION = /^np-doctor\/v(\d+)$/;

/** Parses and validates a snapshot document; `file` names it in errors. */
export function parseSnapshot(bytes: Buffer, file: string): Snapshot {
  let text: string;
  try {
    text = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
  } catch (e) {
    throw new SnapshotError(file, `not a readable gzip file (${(e as Error).message})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new SnapshotError(file, `not JSON: ${(e as Error).message}`);
  }
  const version = typeof doc === 'object' && doc !== null ? (doc as { apiVersion?: unknown }).apiVersion : undefined;
  const m = typeof version === 'string' ? API_VERSION.exec(version) : null;
  if (m === null) {
    throw new SnapshotError(file, `not an np-doctor snapshot (apiVersion is ${JSON.stringify(version)}, expected "${SNAPSHOT_API_VERSION}")`);
  }
  if (Number(m[1]) > 1) {
    throw new SnapshotError(file, `written by a newer np-doctor (apiVersion "${m[0]}"); this np-doctor reads "${SNAPSHOT_API_VERSION}": upgrade np-doctor to read it`);
  }
  const parsed = SnapshotSchema.safeParse(doc);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(document)'}: ${i.message}`);
    const more = parsed.error.issues.length > 5 ? `\n  … and ${parsed.error.issues.length - 5} more` : '';
    throw new SnapshotError(file, `not a valid ${SNAPSHOT_API_VERSION} snapshot:\n  ${issues.join('\n  ')}${more}`);
  }
  return parsed.data;
}

export async function loadSnapshot(file: string): Promise<Snapshot> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new SnapshotError(file, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseSnapshot(bytes, file);
}

export function serializeSnapshot(snapshot: Snapshot, gzip: boolean): Buffer {
  const json = Buffer.from(`${JSON.stringify(snapshot, null, 2)}\n`);
  return gzip ? gzipSync(json) : json;
}

/** Writes the snapshot to a file, gzipped when its name ends in `.gz`. */
export async function saveSnapshot(snapshot: Snapshot, file: string): Promise<void> {
  await writeFile(file, serializeSnapshot(snapshot, file.endsWith('.gz')));
}
