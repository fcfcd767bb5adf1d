/**
 * Reading snapshot files, and the v1 format. A file is v1 (one JSON document) or v2 (JSON Lines,
 * stream-format.ts), gzipped when its name ends in `.gz`; reading looks at the bytes (gzip magic
 * 1f 8b, then the first line), not the name, so a renamed file still loads.
 *
 * A snapshot file arrives in a ticket, so reading treats it as hostile (DESIGN §3a): its size on
 * disk and after gunzip are bounded (zlib stops inflating at the bound, so a gzip bomb costs at
 * most the bound), so is its nesting, and every identifier in it must follow Kubernetes' own rules
 * (identifiers.ts). Files np-doctor writes are created 0600, and never over an existing file
 * unless the caller says so.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { sanitize } from '../text/sanitize.js';
import { refuseBadIdentifiers } from './identifiers.js';
import {
  formatSize, MAX_DEPTH, MAX_JSON_VALUES, maxBytesFor, MiB, moreValuesThan, nestedDeeperThan, raise, SnapshotError, tooLarge, type ReadLimits,
} from './limits.js';
import { SNAPSHOT_API_VERSION, SnapshotSchema, type Snapshot } from './schema.js';
import { isStream, readSnapshotStream } from './stream-read.js';

const isGzip = (b: Uint8Array): boolean => b[0] === 0x1f && b[1] === 0x8b;

/** Reads at most `max` bytes; a regular file that is larger is refused before anything is read. */
async function readBounded(file: string, max: number): Promise<Buffer> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw new SnapshotError(file, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    const st = await fh.stat();
    // A pipe or device has no size: read it in chunks up to the bound (a FIFO from `<(zcat …)` is fine, /dev/zero is refused).
    const head = Buffer.alloc(2);
    if (st.isFile() && st.size > max) {
      await fh.read(head, 0, 2, 0);
      throw tooLarge(file, st.size, max, isGzip(head));
    }
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(st.isFile() && total === 0 ? st.size + 1 : 8 * MiB, max + 1 - total));
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(bytesRead === chunk.length ? chunk : chunk.subarray(0, bytesRead));
      total += bytesRead;
      if (total > max) throw tooLarge(file, null, max, isGzip(chunks[0]!));
    }
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  } catch (e) {
    if (e instanceof SnapshotError) throw e;
    throw new SnapshotError(file, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  } finally {
    await fh.close();
  }
}

const API_VERSION = /^np-doctor\/v(\d+)$/;

/** Parses and validates a snapshot document; `file` names it in errors. */
export function parseSnapshot(bytes: Buffer, file: string, limits: ReadLimits = {}): Snapshot {
  const max = maxBytesFor(file, limits);
  const gzip = isGzip(bytes);
  if (bytes.length > max) throw tooLarge(file, bytes.length, max, gzip);
  let json: Buffer;
  try {
    // maxOutputLength: zlib stops as soon as the output passes the bound, so nothing beyond it is inflated.
    json = gzip ? gunzipSync(bytes, { maxOutputLength: max }) : bytes;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new SnapshotError(file, `inflates to more than ${formatSize(max)} of JSON; np-doctor stopped there (a gzip bomb, or a snapshot too large to read: ${raise(max)})`);
    }
    throw new SnapshotError(file, `not a readable gzip file (${(e as Error).message})`);
  }
  if (moreValuesThan(json, MAX_JSON_VALUES)) {
    throw new SnapshotError(file, `holds more than ${MAX_JSON_VALUES.toLocaleString('en')} JSON values, more than np-doctor reads (a snapshot of 10,000 Services holds a few million)`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(json.toString('utf8'));
  } catch (e) {
    throw new SnapshotError(file, `not JSON: ${sanitize((e as Error).message)}`);
  }
  if (nestedDeeperThan(doc, MAX_DEPTH)) throw new SnapshotError(file, `not an np-doctor snapshot: it nests deeper than ${MAX_DEPTH} levels`);
  const version = typeof doc === 'object' && doc !== null ? (doc as { apiVersion?: unknown }).apiVersion : undefined;
  const m = typeof version === 'string' ? API_VERSION.exec(version) : null;
  if (m === null) {
    const shown = sanitize(JSON.stringify(version)?.slice(0, 80) ?? 'undefined');
    throw new SnapshotError(file, `not an np-doctor snapshot (apiVersion is ${shown}, expected "${SNAPSHOT_API_VERSION}")`);
  }
  if (Number(m[1]) > 1) {
    throw new SnapshotError(file, `written by a newer np-doctor (apiVersion "${m[0]}"); this np-doctor reads "${SNAPSHOT_API_VERSION}": upgrade np-doctor to read it`);
  }
  const parsed = SnapshotSchema.safeParse(doc);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${sanitize(i.path.join('.')) || '(document)'}: ${i.message}`);
    const more = parsed.error.issues.length > 5 ? `\n  … and ${parsed.error.issues.length - 5} more` : '';
    throw new SnapshotError(file, `not a valid ${SNAPSHOT_API_VERSION} snapshot:\n  ${issues.join('\n  ')}${more}`);
  }
  refuseBadIdentifiers(parsed.data, file);
  return parsed.data;
}

export {
  DEFAULT_MAX_SNAPSHOT_BYTES, formatSize, MAX_JSON_VALUES, MAX_SNAPSHOT_SIZE_ENV, parseSize, SnapshotError, type ReadLimits,
} from './limits.js';
export { OutputFileError, writePrivateFile, type WriteOptions } from './private-file.js';

/** Reads a v1 or v2 snapshot file (gzipped or not), whichever it is. */
export async function loadSnapshot(file: string, limits: ReadLimits = {}): Promise<Snapshot> {
  if (await isStream(file)) return readSnapshotStream(file, limits);
  const max = maxBytesFor(file, limits);
  return parseSnapshot(await readBounded(file, max), file, { maxBytes: max });
}

export function serializeSnapshot(snapshot: Snapshot, gzip: boolean): Buffer {
  const json = Buffer.from(`${JSON.stringify(snapshot, null, 2)}\n`);
  return gzip ? gzipSync(json) : json;
}
