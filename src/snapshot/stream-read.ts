/**
 * Reading a v2 snapshot (stream-format.ts) as a stream: the file is read, gunzipped and split
 * into lines a piece at a time, each line parsed and validated on its own, command output kept
 * once per chunk (chunk-store.ts) and joined only when a reader asks for a node's output. The file
 * is hostile (DESIGN §3a): lines, the inflated bytes, the unique output bytes and the node count
 * are bounded; a chunk must hash to its id; every count the header and the end record give must
 * match what came; a file without its end record was cut short.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { gunzipSync, constants as zlib, createGunzip } from 'node:zlib';
import { sanitize } from '../text/sanitize.js';
import { chunkId, ChunkStore, storedOutput } from './chunk-store.js';
import { refuseBadIdentifiers } from './identifiers.js';
import {
  chosenMaxBytes, formatSize, MAX_DEPTH, MAX_SNAPSHOT_SIZE_ENV, MiB, moreValuesThan, nestedDeeperThan, SnapshotError, type ReadLimits,
} from './limits.js';
import { SNAPSHOT_API_VERSION, type CommandOutput, type GatherError, type KubeObject, type NodeState, type Snapshot } from './schema.js';
import type { Probe } from './probe.js';
import { HeaderSchema, OBJECT_LISTS, RecordSchema, SNAPSHOT_V2_API_VERSION, type Header, type ObjectList } from './stream-format.js';

const GiB = 1024 * MiB;
/** The longest line: a chunk is at most 1 MiB of text (up to 6 bytes each once escaped); a Kubernetes object at most ~1.5 MiB (etcd's limit). */
export const MAX_LINE_BYTES = 64 * MiB;
/** JSON values one line may build (see MAX_JSON_VALUES in limits.ts for why bytes alone are not enough). */
const MAX_LINE_VALUES = 2_000_000;
/** Inflated bytes read, unless NP_DOCTOR_MAX_SNAPSHOT_SIZE says otherwise: a gzip bomb costs time up to here, never memory. */
export const DEFAULT_MAX_STREAM_BYTES = 32 * GiB;
/** Unique command output held after reading; a 100-node × 10,000-Service snapshot holds a few hundred MiB. */
export const MAX_STORE_BYTES = 4 * GiB;
/** Kubernetes supports 5,000 nodes. */
export const MAX_NODES = 10_000;

const HEADER_START = /^\s*\{\s*"apiVersion"\s*:\s*"np-doctor\/v(\d+)"/;

/** True when the file (gzipped or not) starts with a v2 header line; false for anything else (v1 is read whole). */
export async function isStream(file: string): Promise<boolean> {
  let head: Buffer;
  try {
    const fh = await open(file, 'r');
    try {
      // 1 KiB: enough for the header's first characters even gzipped, and deflate inflates 1 KiB to at most ~1 MiB.
      head = Buffer.alloc(1024);
      head = head.subarray(0, (await fh.read(head, 0, head.length, 0)).bytesRead);
    } finally {
      await fh.close();
    }
  } catch {
    return false; // the v1 reader says why it cannot read the file
  }
  if (head[0] === 0x1f && head[1] === 0x8b) {
    try {
      // Z_SYNC_FLUSH: inflate what these first bytes hold, without asking for the rest.
      head = gunzipSync(head, { finishFlush: zlib.Z_SYNC_FLUSH, maxOutputLength: 2 * MiB });
    } catch {
      return false;
    }
  }
  const m = HEADER_START.exec(head.subarray(0, 4096).toString('utf8'));
  return m !== null && Number(m[1]) >= 2;
}

/** Lines of the stream, without their newline; each at most MAX_LINE_BYTES, all together at most `max` bytes. */
async function* linesOf(source: AsyncIterable<Buffer>, file: string, max: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let total = 0;
  let n = 0;
  const tooLong = () => new SnapshotError(file, `line ${n + 1} is longer than ${formatSize(MAX_LINE_BYTES)}, more than any record np-doctor writes`);
  for await (const chunk of source) {
    total += chunk.length;
    if (total > max) throw new SnapshotError(file, `inflates to more than ${formatSize(max)}; np-doctor stopped there (a gzip bomb, or a snapshot larger than ${MAX_SNAPSHOT_SIZE_ENV} allows)`);
    let from = 0;
    for (let nl = chunk.indexOf(10, from); nl >= 0; nl = chunk.indexOf(10, from)) {
      const piece = chunk.subarray(from, nl);
      if (pendingBytes + piece.length > MAX_LINE_BYTES) throw tooLong();
      const line = pending.length === 0 ? piece : Buffer.concat([...pending, piece]);
      pending = [];
      pendingBytes = 0;
      n++;
      yield line;
      from = nl + 1;
    }
    if (from < chunk.length) {
      pending.push(chunk.subarray(from));
      pendingBytes += chunk.length - from;
      if (pendingBytes > MAX_LINE_BYTES) throw tooLong();
    }
  }
  if (pendingBytes > 0) yield Buffer.concat(pending);
}

const issuesOf = (issues: readonly { path: PropertyKey[]; message: string }[]): string =>
  issues.slice(0, 3).map((i) => `${sanitize(i.path.map(String).join('.')) || '(record)'}: ${i.message}`).join('; ');

/** Reads a v2 snapshot file; outputs stay in a chunk store until asked for. */
export async function readSnapshotStream(file: string, limits: ReadLimits = {}): Promise<Snapshot> {
  const max = chosenMaxBytes(file, limits, DEFAULT_MAX_STREAM_BYTES);
  const gzip = await isGzipFile(file);
  const raw = createReadStream(file, { highWaterMark: MiB });
  const source = gzip ? raw.pipe(createGunzip({ chunkSize: 256 * 1024 })) : raw;
  if (gzip) raw.on('error', (e) => (source as NodeJS.ReadableStream & { destroy(e: Error): void }).destroy(e));
  try {
    return await readLines(linesOf(source as AsyncIterable<Buffer>, file, max), file);
  } catch (e) {
    if (e instanceof SnapshotError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'Z_DATA_ERROR' || code === 'Z_BUF_ERROR') throw new SnapshotError(file, `not a readable gzip file (${(e as Error).message})`);
    throw new SnapshotError(file, `cannot read: ${code ?? (e as Error).message}`);
  } finally {
    raw.destroy();
  }
}

async function isGzipFile(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const b = Buffer.alloc(2);
    await fh.read(b, 0, 2, 0);
    return b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

async function readLines(lines: AsyncIterable<Buffer>, file: string): Promise<Snapshot> {
  const at = (n: number, problem: string) => new SnapshotError(file, `line ${n}: ${problem}`);
  let header: Header | null = null;
  const lists: Record<ObjectList, KubeObject[]> = { services: [], endpointSlices: [], pods: [], nodes: [], networkPolicies: [], namespaces: [] };
  const store = new ChunkStore();
  const nodes: NodeState[] = [];
  const errors: GatherError[] = [];
  const probes: Probe[] = [];
  let chunks = 0;
  let ended = false;
  let n = 0;
  for await (const line of lines) {
    n++;
    if (ended) {
      if (line.toString('utf8').trim() === '') continue;
      throw at(n, 'text after the end record');
    }
    if (moreValuesThan(line, MAX_LINE_VALUES)) throw at(n, `holds more than ${MAX_LINE_VALUES.toLocaleString('en')} JSON values, more than any record np-doctor writes`);
    let doc: unknown;
    try {
      doc = JSON.parse(line.toString('utf8'));
    } catch (e) {
      throw at(n, `not JSON: ${sanitize((e as Error).message)}`);
    }
    if (nestedDeeperThan(doc, MAX_DEPTH)) throw at(n, `nests deeper than ${MAX_DEPTH} levels`);
    if (header === null) {
      const h = HeaderSchema.safeParse(doc);
      if (!h.success) throw at(n, `not a valid ${SNAPSHOT_V2_API_VERSION} header: ${issuesOf(h.error.issues)}`);
      header = h.data;
      continue;
    }
    const parsed = RecordSchema.safeParse(doc);
    if (!parsed.success) throw at(n, `not a valid ${SNAPSHOT_V2_API_VERSION} record: ${issuesOf(parsed.error.issues)}`);
    const r = parsed.data;
    switch (r.record) {
      case 'object': {
        const want = header.lists[r.list];
        if (want === null || lists[r.list].length >= want) throw at(n, `more ${r.list} than the header's ${want ?? 0}`);
        lists[r.list].push(r.object);
        break;
      }
      case 'chunk': {
        const bytes = Buffer.from(r.text, 'utf8');
        if (chunkId(bytes) !== r.id) throw at(n, `chunk ${r.id} does not hash to its id (the file was changed or damaged)`);
        if (!store.has(r.id)) {
          if (store.bytes + bytes.length > MAX_STORE_BYTES) throw at(n, `holds more than ${formatSize(MAX_STORE_BYTES)} of distinct command output, more than np-doctor reads`);
          store.add(bytes, r.id);
          chunks++;
        }
        break;
      }
      case 'node': {
        if (nodes.length >= MAX_NODES) throw at(n, `more than ${MAX_NODES.toLocaleString('en')} nodes`);
        const { commands, ...rest } = r.node;
        const outputs: Record<string, CommandOutput> = {};
        for (const [id, out] of Object.entries(commands)) {
          const missing = out.stdout.chunks.find((c) => !store.has(c));
          if (missing !== undefined) throw at(n, `node ${sanitize(rest.name)}: ${sanitize(id)} names chunk ${missing}, which no earlier line holds`);
          const bytes = out.stdout.chunks.reduce((sum, c) => sum + store.get(c).length, 0);
          if (bytes !== out.stdout.bytes) throw at(n, `node ${sanitize(rest.name)}: ${sanitize(id)} says ${out.stdout.bytes} bytes, its chunks hold ${bytes}`);
          outputs[id] = storedOutput(out, { store, ids: out.stdout.chunks, bytes });
        }
        nodes.push({ ...rest, commands: outputs });
        break;
      }
      case 'error':
        errors.push(r.error);
        break;
      case 'probe':
        if (header.probes === null || probes.length >= header.probes) throw at(n, `more probes than the header's ${header.probes ?? 0}`);
        probes.push(r.probe);
        break;
      case 'end': {
        const counts = { nodes: nodes.length, errors: errors.length, chunks };
        const off = (['nodes', 'errors', 'chunks'] as const).filter((k) => r[k] !== counts[k]);
        if (off.length > 0) throw at(n, `the end record counts ${off.map((k) => `${r[k]} ${k}`).join(', ')}, the file holds ${off.map((k) => counts[k]).join(', ')}`);
        ended = true;
        break;
      }
    }
  }
  if (header === null) throw new SnapshotError(file, 'empty: no header line');
  if (!ended) throw new SnapshotError(file, `cut short: it ends at line ${n} without the end record (was the copy interrupted?)`);
  for (const list of OBJECT_LISTS) {
    const want = header.lists[list];
    if ((want ?? 0) !== lists[list].length) throw new SnapshotError(file, `the header says ${want ?? 0} ${list}, the file holds ${lists[list].length}`);
  }
  if ((header.probes ?? 0) !== probes.length) throw new SnapshotError(file, `the header says ${header.probes ?? 0} probes, the file holds ${probes.length}`);
  const { apiVersion: _v2, lists: _counts, probes: probeCount, cluster, ...rest } = header;
  const { namespaces, ...objects } = lists;
  const snapshot: Snapshot = {
    apiVersion: SNAPSHOT_API_VERSION,
    ...rest,
    cluster: { ...cluster, ...objects, ...(header.lists.namespaces !== null ? { namespaces } : {}) },
    nodes,
    errors,
    ...(probeCount !== null ? { probes } : {}),
  };
  refuseBadIdentifiers(snapshot, file);
  return snapshot;
}
