/**
 * The bounds on reading a snapshot file, and the error a file np-doctor cannot read becomes. A
 * snapshot arrives in a ticket, so everything about it is bounded (DESIGN §3a).
 */
import { constants as bufferConstants } from 'node:buffer';
import { EXIT, UserError } from '../exit.js';
import { sanitize } from '../text/sanitize.js';

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

export const MiB = 1024 * 1024;

/**
 * The default bound on a v1 snapshot, on disk and as JSON after gunzip: 512 MiB, or V8's longest
 * string if that is shorter (2^29 - 24 characters on 64-bit builds): v1 JSON must become one
 * string for JSON.parse, so nothing longer can be read anyway (about three nodes of a
 * 10,000-Service cluster). v2 streams have their own bounds (stream-read.ts).
 */
export const DEFAULT_MAX_SNAPSHOT_BYTES = Math.min(512 * MiB, bufferConstants.MAX_STRING_LENGTH);
/** Overrides the bound (e.g. `64MiB` for a service that reads snapshots from strangers). */
export const MAX_SNAPSHOT_SIZE_ENV = 'NP_DOCTOR_MAX_SNAPSHOT_SIZE';
/** Kubernetes objects nest about 20 levels (managedFields included); nothing np-doctor writes nests deeper than this. */
export const MAX_DEPTH = 100;
/**
 * JSON values (counted by the `{`, `[` and `,` outside strings) JSON.parse may build. The byte
 * bound alone is not enough: 500 MiB of `{},{},…` (a few MiB gzipped) is 170 million objects,
 * which JSON.parse works on for minutes and V8's heap cannot hold. A snapshot of 10,000 Services
 * holds a few million values, most of its bytes being command output, i.e. long strings.
 */
export const MAX_JSON_VALUES = 16_000_000;

export interface ReadLimits {
  /** v1: bytes of the file on disk and of the JSON after gunzip (at most V8's string limit). v2: bytes after gunzip. */
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

/** The caller's bound, else $NP_DOCTOR_MAX_SNAPSHOT_SIZE, else `fallback`. */
export function chosenMaxBytes(file: string, limits: ReadLimits, fallback: number): number {
  if (limits.maxBytes !== undefined) return limits.maxBytes;
  const env = process.env[MAX_SNAPSHOT_SIZE_ENV];
  if (env === undefined || env === '') return fallback;
  const parsed = parseSize(env);
  if (parsed === null) throw new SnapshotError(file, `${MAX_SNAPSHOT_SIZE_ENV}=${sanitize(env)} is not a size (e.g. 256MiB or 1GiB)`);
  return parsed;
}

/** A v1 file's bound (chosenMaxBytes), never above V8's string limit. */
export const maxBytesFor = (file: string, limits: ReadLimits): number =>
  Math.min(chosenMaxBytes(file, limits, DEFAULT_MAX_SNAPSHOT_BYTES), bufferConstants.MAX_STRING_LENGTH);

/** What a person can do about the bound. */
export const raise = (max: number): string =>
  max < bufferConstants.MAX_STRING_LENGTH ? `${MAX_SNAPSHOT_SIZE_ENV} raises the limit` : 'the most V8 holds as one JSON string';

export function tooLarge(file: string, size: number | null, max: number, gzip: boolean): SnapshotError {
  const is = size === null ? 'is larger than' : `is ${formatSize(size)}, more than`;
  return new SnapshotError(file, `the ${gzip ? 'gzip ' : ''}file ${is} the ${formatSize(max)} np-doctor reads (${raise(max)})`);
}

/** True when the JSON text holds more than `max` values; strings are skipped, escapes included. */
export function moreValuesThan(b: Uint8Array, max: number): boolean {
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
export function nestedDeeperThan(doc: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[doc, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= max) return true;
    for (const x of Array.isArray(v) ? v : Object.values(v)) if (typeof x === 'object' && x !== null) stack.push([x, depth + 1]);
  }
  return false;
}
