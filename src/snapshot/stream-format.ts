/**
 * Snapshot v2: the same content as v1 (schema.ts), written as JSON Lines so that neither writing
 * nor reading ever holds the snapshot as one string (V8 caps a string at 2^29 - 24 characters; a
 * v1 snapshot of 4 nodes × 10,000 Services passes it). Each line is one JSON value:
 *
 *   1. the header: everything but the long lists, with the length of each list;
 *   2. `object` records, one Kubernetes object each (services, endpointSlices, pods, nodes,
 *      networkPolicies, namespaces), in list order;
 *   3. `chunk` records (chunk-store.ts: content-addressed pieces of command output, each once,
 *      always before the first node that uses it) and `node` records, whose outputs list chunk ids;
 *   4. `error` and `probe` records;
 *   5. the `end` record, with counts, so a file cut short is told from a complete one.
 *
 * Each record is validated on its own (zod below; schema/snapshot-record.v2.json is the published
 * JSON Schema of one line). Adding optional fields does not need a new version.
 */
import { z } from 'zod';
import { ProbeSchema } from './probe.js';
import {
  ClusterSchema, CommandOutputSchema, GatherErrorSchema, KubeObjectSchema, NodeStateSchema, SNAPSHOT_KIND, SnapshotSchema,
} from './schema.js';
import { CHUNK_ID } from './chunk-store.js';

export const SNAPSHOT_V2_API_VERSION = 'np-doctor/v2';
export const SNAPSHOT_FORMATS = ['v1', 'v2'] as const;
export type SnapshotFormat = (typeof SNAPSHOT_FORMATS)[number];

/** The cluster lists written one object per record. */
export const OBJECT_LISTS = ['services', 'endpointSlices', 'pods', 'nodes', 'networkPolicies', 'namespaces'] as const;
export type ObjectList = (typeof OBJECT_LISTS)[number];

const Count = z.number().int().nonnegative();

export const HeaderSchema = SnapshotSchema.omit({ apiVersion: true, cluster: true, nodes: true, errors: true, probes: true }).extend({
  apiVersion: z.literal(SNAPSHOT_V2_API_VERSION),
  kind: z.literal(SNAPSHOT_KIND),
  cluster: ClusterSchema.omit({ services: true, endpointSlices: true, pods: true, nodes: true, networkPolicies: true, namespaces: true }),
  lists: z.object({
    services: Count,
    endpointSlices: Count,
    pods: Count,
    nodes: Count,
    networkPolicies: Count,
    namespaces: Count.nullable().describe('null: the snapshot has no namespaces list (older snapshots)'),
  }).describe('how many object records of each list follow'),
  probes: Count.nullable().describe('how many probe records follow; null: --probe was not given'),
});

const StoredStdout = z.object({
  chunks: z.array(z.string().regex(CHUNK_ID)).describe('chunk ids, in order; the output is their texts joined'),
  bytes: Count.describe('UTF-8 bytes of the whole output'),
});

export const NodeRecordSchema = NodeStateSchema.extend({
  commands: z.record(z.string(), CommandOutputSchema.extend({ stdout: StoredStdout })),
});

export const RecordSchema = z.discriminatedUnion('record', [
  z.object({ record: z.literal('object'), list: z.enum(OBJECT_LISTS), object: KubeObjectSchema }),
  z.object({ record: z.literal('chunk'), id: z.string().regex(CHUNK_ID), text: z.string() }),
  z.object({ record: z.literal('node'), node: NodeRecordSchema }),
  z.object({ record: z.literal('error'), error: GatherErrorSchema }),
  z.object({ record: z.literal('probe'), probe: ProbeSchema }),
  z.object({ record: z.literal('end'), nodes: Count, errors: Count, chunks: Count }),
]);

export type Header = z.infer<typeof HeaderSchema>;
export type SnapshotRecord = z.infer<typeof RecordSchema>;
export type NodeRecord = z.infer<typeof NodeRecordSchema>;

/** The published JSON Schema of one line of a v2 snapshot: the header or a record. */
export function snapshotRecordJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(z.union([HeaderSchema, RecordSchema]), { target: 'draft-2020-12' }),
    $id: 'https://np-doctor.dev/schema/snapshot-record.v2.json',
    title: 'np-doctor snapshot v2: one line (the header, then records)',
  };
}
