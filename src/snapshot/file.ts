/**
 * Reading and writing snapshot files. A file is JSON, gzipped when its name ends in `.gz`; reading
 * looks at the bytes (gzip magic 1f 8b), not the name, so a renamed file still loads.
 *
 * A snapshot file arrives in a ticket, so reading treats it as hostile (DESIGN §3a): its size on
 * disk and after gunzip are bounded (zlib stops inflating at the bound, so a gzip bomb costs at
 * most the bound), so is its nesting, and every identifier in it must follow Kubernetes' own rules
 * (identifiers.ts). Files np-doctor writes are created 0600, and never over an existing file
 * unless the caller says so.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { constants as bufferConstants } from 'node:buffer';
import { basename, dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { EXIT, UserError } from '../exit.js';
import { sanitize } from '../text/sanitize.js';
import { describeProblem, identifierProblems } from './identifiers.js';
import { SNAPSHOT_API_VERSION, SnapshotSchema, type Snapshot } from './schema.js';

/** A snapshot file np-doctor cannot read: unreadable input, reported like a usage error (exit 2). */
export class SnapshotError extends UserError {
  readonly exitCode = EXIT.usage;
  readonly pointsToHelp = true;

  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'SnapshotError';
  }
}

const MiB = 1024 * 1024;

/**
 * The default bound on a snapshot, on disk and as JSON after gunzip: 512 MiB, or V8's longest
 * string if that is shorter (2^29 - 24 characters on 64-bit builds): the JSON must become one
 * string for JSON.parse, so nothing longer can be read anyway. A one-node snapshot of a cluster
 * with 10,000 Services is about 150 MiB of JSON today, so this leaves room for several nodes.
 */
export const DEFAULT_MAX_SNAPSHOT_BYTES = Math.min(512 * MiB, bufferConstants.MAX_STRING_LENGTH);
/** Overrides the bound (e.g. `64MiB` for a service that reads snapshots from strangers). */
export const MAX_SNAPSHOT_SIZE_ENV = 'NP_DOCTOR_MAX_SNAPSHOT_SIZE';
/** Kubernetes objects nest about 20 levels (managedFields included); nothing np-doctor writes nests deeper than this. */
const MAX_DEPTH = 100;
/**
 * JSON values (counted by the `{`, `[` and `,` outside strings) JSON.parse may build. The byte
 * bound alone is not enough: 500 MiB of `{},{},…` (a few MiB gzipped) is 170 million objects,
 * which JSON.parse works on for minutes and V8's heap cannot hold. A snapshot of 10,000 Services
 * holds a few million values, most of its bytes being command output, i.e. long strings.
 */
export const MAX_JSON_VALUES = 16_000_000;

export interface ReadLimits {
  /** Bytes of the file on disk, and of the JSON after gunzip. Above V8's string limit it is cut to that. */
  maxBytes?: number;
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: MiB, mb: MiB, mib: MiB, g: 1024 * MiB, gb: 1024 * MiB, gib: 1024 * MiB };

/** `536870912`, `512MiB`, `512M`, `1.5GiB` → bytes (binary units); null when it is not a size. */
export function parseSize(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m === null ? undefined : UNITS[m[2]!.toLowerCase()];
  if (m === null || unit === undefined) return null;
  const bytes = Math.floor(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : null;
}

/** `512 MiB`, `1.5 GiB`, `300 B`. */
export function formatSize(bytes: number): string {
  if (bytes >= 1024 * MiB) return `${+(bytes / (1024 * MiB)).toFixed(1)} GiB`;
  if (bytes >= MiB) return `${+(bytes / MiB).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${+(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} B`;
}

/** The bound to use: the caller's, else $NP_DOCTOR_MAX_SNAPSHOT_SIZE, else the default; never above V8's string limit. */
function maxBytesFor(file: string, limits: ReadLimits): number {
  let max = limits.maxBytes;
  if (max === undefined) {
    const env = process.env[MAX_SNAPSHOT_SIZE_ENV];
    if (env !== undefined && env !== '') {
      const parsed = parseSize(env);
      if (parsed === null) throw new SnapshotError(file, `${MAX_SNAPSHOT_SIZE_ENV}=${sanitize(env)} is not a size (e.g. 256MiB or 1GiB)`);
      max = parsed;
    }
  }
  return Math.min(max ?? DEFAULT_MAX_SNAPSHOT_BYTES, bufferConstants.MAX_STRING_LENGTH);
}

/** What a person can do about the bound. */
const raise = (max: number): string =>
  max < bufferConstants.MAX_STRING_LENGTH ? `${MAX_SNAPSHOT_SIZE_ENV} raises the limit` : 'the most V8 holds as one JSON string';

function tooLarge(file: string, size: number | null, max: number, gzip: boolean): SnapshotError {
  const is = size === null ? 'is larger than' : `is ${formatSize(size)}, more than`;
  return new SnapshotError(file, `the ${gzip ? 'gzip ' : ''}file ${is} the ${formatSize(max)} np-doctor reads (${raise(max)})`);
}

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

/** True when the JSON text holds more than `max` values; strings are skipped, escapes included. */
function moreValuesThan(b: Uint8Array, max: number): boolean {
  let n = 0;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c === 0x22) {
      for (i++; i < b.length; i++) {
        const d = b[i];
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if ((c === 0x2c || c === 0x7b || c === 0x5b) && ++n > max) return true;
  }
  return false;
}

/** The deepest nesting of a JSON value, without recursion (a hostile file may nest a million levels). */
function nestedDeeperThan(doc: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[doc, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= max) return true;
    for (const x of Array.isArray(v) ? v : Object.values(v)) if (typeof x === 'object' && x !== null) stack.push([x, depth + 1]);
  }
  return false;
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
  const { problems, count } = identifierProblems(parsed.data);
  if (count > 0) {
    const more = count > problems.length ? `\n  … and ${count - problems.length} more` : '';
    const what = count === 1 ? 'an identifier breaks' : `${count} identifiers break`;
    throw new SnapshotError(file, `refused: ${what} Kubernetes' naming rules (the API server refuses such values; was the file edited?):\n  ${problems.map(describeProblem).join('\n  ')}${more}`);
  }
  return parsed.data;
}

export async function loadSnapshot(file: string, limits: ReadLimits = {}): Promise<Snapshot> {
  const max = maxBytesFor(file, limits);
  return parseSnapshot(await readBounded(file, max), file, { maxBytes: max });
}

export function serializeSnapshot(snapshot: Snapshot, gzip: boolean): Buffer {
  const json = Buffer.from(`${JSON.stringify(snapshot, null, 2)}\n`);
  return gzip ? gzipSync(json) : json;
}

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

async function writeNew(path: string, data: Uint8Array): Promise<void> {
  // O_CREAT|O_EXCL: fails on any existing path, a symlink included (it is not followed).
  const fh = await open(path, 'wx', 0o600);
  try {
    await fh.writeFile(data);
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
  try {
    if (!o.overwrite) {
      await writeNew(file, bytes);
      return;
    }
    const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
    await writeNew(temp, bytes);
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

/** Writes the snapshot (0600), gzipped when the name ends in `.gz`; an existing file is an error unless `overwrite`. */
export async function saveSnapshot(snapshot: Snapshot, file: string, o: WriteOptions = {}): Promise<void> {
  await writePrivateFile(file, serializeSnapshot(snapshot, file.endsWith('.gz')), o);
}
