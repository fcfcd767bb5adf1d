/**
 * Command output stored once, however many nodes printed it. The nodes of one cluster print
 * nearly the same dumps: kube-proxy writes every Service's KUBE-SVC and KUBE-SEP chains on every
 * node, and only a node's own endpoints (KUBE-SVL, eTP=Local drops) and the Go-map order of the
 * shared chains differ. So an output is cut into chunks at line ends chosen by the line's own
 * content (a line whose hash ends in 7 zero bits closes a chunk), each chunk is kept under its
 * SHA-256, and an output is the list of its chunk ids. A line that differs between two nodes
 * costs one chunk (~128 lines); an insertion does not shift the boundaries after it.
 *
 * Chunks are kept as bytes: a slice of a JS string would keep the whole dump it came from alive.
 */
import { createHash } from 'node:crypto';
import type { CommandOutput } from './schema.js';

/** A line whose FNV-1a hash has these bits clear ends a chunk: about one line in 128. */
const BOUNDARY_MASK = 127;
/** No chunk shorter than this (chars), so a run of short lines does not become many tiny chunks. */
const MIN_CHUNK = 2048;
/** No chunk longer than this (chars): `nft -j` prints its whole ruleset as one line. */
export const MAX_CHUNK = 1 << 20;
/** A chunk id: 22 base64url characters, the first 132 bits of the chunk's SHA-256. */
export const CHUNK_ID = /^[A-Za-z0-9_-]{22}$/;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** `text` cut at content-chosen line ends (and every MAX_CHUNK chars within a longer line). */
export function splitChunks(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  let h = FNV_OFFSET;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      if ((h & BOUNDARY_MASK) === 0 && i + 1 - start >= MIN_CHUNK) {
        out.push(text.slice(start, i + 1));
        start = i + 1;
      }
      h = FNV_OFFSET;
    } else {
      h = Math.imul(h ^ c, FNV_PRIME);
      // Never between the two halves of a surrogate pair: each chunk must be valid UTF-16 on its own.
      if (i + 1 - start >= MAX_CHUNK && !(c >= 0xd800 && c <= 0xdbff)) {
        out.push(text.slice(start, i + 1));
        start = i + 1;
      }
    }
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

export const chunkId = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('base64url').slice(0, 22);

/** Chunks by id; each stored once. */
export class ChunkStore {
  private readonly chunks = new Map<string, Buffer>();
  /** Bytes held, each chunk counted once. */
  bytes = 0;

  /** Stores `text`'s chunks; returns their ids in order. */
  put(text: string): string[] {
    return splitChunks(text).map((piece) => this.add(Buffer.from(piece, 'utf8')));
  }

  /** Stores one chunk's bytes; returns its id. */
  add(bytes: Buffer, id = chunkId(bytes)): string {
    if (!this.chunks.has(id)) {
      this.chunks.set(id, bytes);
      this.bytes += bytes.length;
    }
    return id;
  }

  has(id: string): boolean {
    return this.chunks.has(id);
  }

  get(id: string): Buffer {
    const b = this.chunks.get(id);
    if (b === undefined) throw new Error(`chunk ${id} is not in the store`);
    return b;
  }

  text(ids: readonly string[]): string {
    return ids.length === 1 ? this.get(ids[0]!).toString('utf8') : Buffer.concat(ids.map((id) => this.get(id))).toString('utf8');
  }
}

/** Where a stored output's text lives. */
export interface StoredText {
  store: ChunkStore;
  ids: readonly string[];
  /** UTF-8 bytes of the whole text. */
  bytes: number;
}

const backing = new WeakMap<object, StoredText>();

/**
 * A CommandOutput whose `stdout` is read from the store on every access (not kept: a 10k-Service
 * dump is 17 MB, and most nodes of a large snapshot are never asked about). Readers take it once
 * per parse. A spread or a copy gets the text itself, as any reader would.
 */
export function storedOutput(rest: Omit<CommandOutput, 'stdout'>, text: StoredText): CommandOutput {
  const out = { argv: rest.argv } as CommandOutput;
  Object.defineProperty(out, 'stdout', { get: () => text.store.text(text.ids), enumerable: true, configurable: true });
  out.stderr = rest.stderr;
  out.exitCode = rest.exitCode;
  if (rest.truncated !== undefined) out.truncated = rest.truncated;
  backing.set(out, text);
  return out;
}

/**
 * `out` with its text read once into a plain field, still known by its chunks (contentKey and
 * storedBytesOf give what they give for `out`): for a reader that keeps an output it asks often.
 */
export function withText(out: CommandOutput): CommandOutput {
  const copy = { ...out };
  const held = backing.get(out);
  if (held !== undefined) backing.set(copy, held);
  return copy;
}

/** The chunks behind an output made by storedOutput; undefined for one holding its text. */
export const storedTextOf = (out: CommandOutput): StoredText | undefined => backing.get(out);

/** A stored output's UTF-8 bytes, joined without making a string (the iptables parser reads bytes); undefined for one holding its text. */
export function storedBytesOf(out: CommandOutput): Buffer | undefined {
  const held = backing.get(out);
  return held === undefined ? undefined : Buffer.concat(held.ids.map((id) => held.store.get(id)), held.bytes);
}

/** `out` with its stdout in `store` (chunks of another store are copied, not cut again). */
export function intoStore(store: ChunkStore, out: CommandOutput): CommandOutput {
  const held = storedTextOf(out);
  if (held === undefined) {
    const text = out.stdout;
    return storedOutput(out, { store, ids: store.put(text), bytes: Buffer.byteLength(text) });
  }
  if (held.store === store) return out;
  for (const id of held.ids) store.add(held.store.get(id), id);
  return storedOutput(out, { ...held, store });
}

/**
 * What identifies an output's text without holding it: a stored output's chunk ids (equal ids,
 * equal text), else the text itself (a snapshot held as text is small: v1 stops at 512 MiB).
 */
export function contentKey(out: CommandOutput): string {
  const stored = storedTextOf(out);
  if (stored === undefined) return `text:${out.stdout}`;
  let key = keys.get(stored);
  if (key === undefined) keys.set(stored, key = `chunks:${stored.ids.join(',')}`);
  return key;
}

/** Each stored output's key, made once: checks ask it of every dump for every Service. */
const keys = new WeakMap<StoredText, string>();
