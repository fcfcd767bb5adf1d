/**
 * Writing a snapshot as a stream (stream-format.ts): the records are made one node at a time and
 * handed to the file (gzipped when its name ends in `.gz`) as they are made, so a snapshot of any
 * size is written in the memory of one node. Each record is validated before it is written: what
 * np-doctor writes must load again, and a record the schema refuses is np-doctor's bug.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { z } from 'zod';
import { chunkId, splitChunks, storedTextOf } from './chunk-store.js';
import { serializeSnapshot } from './file.js';
import { OutputFileError, writePrivate, type WriteOptions } from './private-file.js';
import type { CommandOutput, NodeState, Snapshot } from './schema.js';
import { slimNode } from './slim-nft.js';
import {
  HeaderSchema, OBJECT_LISTS, RecordSchema, SNAPSHOT_V2_API_VERSION, type Header, type NodeRecord, type SnapshotFormat,
} from './stream-format.js';

/** Everything but the nodes, which may come one at a time (gathering, a generator). */
export type SnapshotHead = Omit<Snapshot, 'nodes'>;
export interface SnapshotParts {
  head: SnapshotHead;
  nodes: Iterable<NodeState> | AsyncIterable<NodeState>;
}

export interface StreamWriteOptions extends WriteOptions {
  /** v2 (default): JSON Lines, any size. v1: one JSON document, for tools that read v1; at most V8's longest string. */
  format?: SnapshotFormat;
}

/** Lines are handed on in batches of about this many characters: one write per record would cost more than the JSON. */
const BATCH = 1 << 20;

const parts = (input: Snapshot | SnapshotParts): SnapshotParts => ('head' in input ? input : { head: input, nodes: input.nodes });

/** The v2 text of a snapshot, in batches of whole lines. */
export async function* snapshotLines(input: Snapshot | SnapshotParts): AsyncGenerator<string> {
  let batch = '';
  for await (const line of records(parts(input))) {
    batch += `${line}\n`;
    if (batch.length >= BATCH) {
      yield batch;
      batch = '';
    }
  }
  if (batch !== '') yield batch;
}

async function* records({ head, nodes }: SnapshotParts): AsyncGenerator<string> {
  const { apiVersion: _v1, cluster, errors, probes, nodes: _inline, ...rest } = head as Snapshot;
  const { services, endpointSlices, pods, nodes: nodeObjects, networkPolicies, namespaces, ...clusterRest } = cluster;
  const header: Header = {
    apiVersion: SNAPSHOT_V2_API_VERSION,
    ...rest,
    cluster: clusterRest,
    lists: {
      services: services.length, endpointSlices: endpointSlices.length, pods: pods.length, nodes: nodeObjects.length,
      networkPolicies: networkPolicies.length, namespaces: namespaces?.length ?? null,
    },
    probes: probes?.length ?? null,
  };
  yield checked(HeaderSchema, header, 'the header');
  for (const list of OBJECT_LISTS) {
    for (const object of cluster[list] ?? []) yield checked(RecordSchema, { record: 'object', list, object }, `${list} ${object.metadata.name}`);
  }
  const written = new Set<string>();
  let nodeCount = 0;
  for await (const raw of nodes) {
    const node = slimNode(raw);
    const commands: NodeRecord['commands'] = {};
    for (const [id, out] of Object.entries(node.commands)) {
      const ids: string[] = [];
      for (const [chunk, text] of chunksOf(out)) {
        ids.push(chunk);
        if (written.has(chunk)) continue;
        written.add(chunk);
        yield JSON.stringify({ record: 'chunk', id: chunk, text: text() });
      }
      const { argv, stderr, exitCode, truncated } = out;
      const stdout = { chunks: ids, bytes: storedTextOf(out)?.bytes ?? Buffer.byteLength(out.stdout) };
      commands[id] = truncated === undefined ? { argv, stdout, stderr, exitCode } : { argv, stdout, stderr, exitCode, truncated };
    }
    const { commands: _c, ...nodeRest } = node;
    yield checked(RecordSchema, { record: 'node', node: { ...nodeRest, commands } }, `node ${node.name}`);
    nodeCount++;
  }
  for (const error of errors) yield checked(RecordSchema, { record: 'error', error }, 'a gather error');
  for (const probe of probes ?? []) yield checked(RecordSchema, { record: 'probe', probe }, 'a probe');
  yield JSON.stringify({ record: 'end', nodes: nodeCount, errors: errors.length, chunks: written.size });
}

/** An output's chunks as [id, text()]: from the store it lives in, else cut from its text. */
function* chunksOf(out: CommandOutput): Generator<[string, () => string]> {
  const held = storedTextOf(out);
  if (held !== undefined) {
    for (const id of held.ids) yield [id, () => held.store.get(id).toString('utf8')];
    return;
  }
  for (const piece of splitChunks(out.stdout)) yield [chunkId(Buffer.from(piece, 'utf8')), () => piece];
}

function checked<T>(schema: z.ZodType<T>, value: T, what: string): string {
  const r = schema.safeParse(value);
  if (!r.success) throw new Error(`np-doctor built an invalid snapshot record (${what}): ${r.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return JSON.stringify(value);
}

/**
 * Writes the snapshot to `file` (0600; never over an existing file unless `overwrite`), gzipped
 * when the name ends in `.gz`. v2 streams; v1 builds the one JSON document, and says so when it
 * is too long for V8.
 */
export async function writeSnapshotStream(file: string, input: Snapshot | SnapshotParts, o: StreamWriteOptions = {}): Promise<void> {
  const gzip = file.endsWith('.gz');
  if (o.format === 'v1') {
    const { head, nodes } = parts(input);
    const all: NodeState[] = [];
    for await (const n of nodes) all.push(n);
    let bytes: Buffer;
    try {
      bytes = serializeSnapshot({ ...head, nodes: all }, gzip);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      throw new OutputFileError(file, `this snapshot is too large for the v1 format, which is one JSON string (V8 holds at most 512 MiB): write it as v2 (the default), which has no such limit`);
    }
    await writePrivate(file, async (fh) => fh.writeFile(bytes), o);
    return;
  }
  await writePrivate(file, async (fh) => {
    // The stream holds a reference on the handle until it is destroyed; the handle is ours to close.
    const sink = fh.createWriteStream({ autoClose: false });
    const closed = new Promise<void>((resolve) => sink.once('close', () => resolve()));
    const lines = Readable.from(snapshotLines(input));
    try {
      await (gzip ? pipeline(lines, createGzip(), sink) : pipeline(lines, sink));
    } finally {
      sink.destroy();
      await closed;
    }
  }, o);
}

/** Writes the snapshot as v2 (0600), gzipped when the name ends in `.gz`; an existing file is an error unless `overwrite`. */
export const saveSnapshot = (snapshot: Snapshot, file: string, o: StreamWriteOptions = {}): Promise<void> => writeSnapshotStream(file, snapshot, o);
