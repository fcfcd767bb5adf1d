/**
 * Report v1: the one model every renderer reads (text, JSON, the TUI). `-o json` prints it as is;
 * schema/report.v1.json is its published JSON Schema. Adding optional fields is compatible;
 * changing or removing one needs a new apiVersion.
 */
import { z } from 'zod';
import { CHECK_STATUSES, CheckResultSchema, FindingFieldsSchema, SEVERITIES } from '../check-kit/model.js';
import { ProbeSchema } from '../snapshot/probe.js';

export const REPORT_API_VERSION = 'np-doctor/v1';

export const CLIENT_RESULTS = ['delivered', 'refused', 'timeout', 'blocked', 'indeterminate'] as const;

const ClientResult = z.enum(CLIENT_RESULTS)
  .describe('what the client sees: delivered (a pod gets the connection), refused (RST / port unreachable), timeout (silently dropped), blocked (an ICMP error such as host-prohibited), indeterminate (the rules could not be decided)');

const Finding = FindingFieldsSchema.extend({
  fingerprint: z.string().regex(/^[0-9a-f]{32}$/)
    .describe('the same problem has the same value in every run: a hash of the check, Service, port, family, node and what the evidence points at (never of counts, times or rule line numbers)'),
  docsUrl: z.string().optional().describe('the check\'s page (np-doctor checks ID prints it); absent for a plugin\'s check'),
  remediation: z.object({
    summary: z.string(),
    commands: z.array(z.string()).describe('each command as a POSIX shell line: every word from the cluster is quoted, so it reads back as one word'),
    pipelines: z.array(z.array(z.array(z.string()))).optional()
      .describe('the same commands as words, index for index, so nobody re-parses the lines: each command is its pipeline stages (`a | b`), each stage an argv'),
  }),
});

const Hop = z.object({
  table: z.string(), chain: z.string(), line: z.number().int(), rule: z.string().nullable(), action: z.string(),
  backend: z.string().optional(), source: z.string().optional(),
  family: z.string().optional().describe('nftables: the table family; line is then the handle'),
  handle: z.number().int().optional(),
  element: z.object({ set: z.string(), key: z.string(), comment: z.string().optional() }).optional()
    .describe('the set or map element a lookup matched'),
});

const Stage = z.object({
  stage: z.enum(['ingress', 'backend-node', 'policy', 'pod', 'return']),
  node: z.string().optional(),
  ok: z.boolean().nullable(),
  summary: z.string(),
  hops: z.array(Hop).optional(),
});

const Branch = z.object({
  probability: z.number(),
  result: ClientResult,
  failedAt: z.enum(['ingress', 'backend-node', 'policy', 'pod', 'return']).nullable(),
  why: z.string(),
  backend: z.object({ ip: z.string(), port: z.number().int().nullable(), node: z.string().nullable(), pod: z.string().nullable() }).nullable(),
  sourceAtPod: z.string().nullable(),
  stages: z.array(Stage),
});

const Family = z.union([z.literal(4), z.literal(6)]).describe('the address family: 4 (IPv4) or 6 (IPv6)');

const NodePath = z.object({
  node: z.string(),
  family: Family.optional().describe('the address family replayed (absent in reports before dual-stack)'),
  address: z.string(),
  port: z.number().int(),
  protocol: z.string(),
  result: ClientResult,
  deliveredShare: z.number(),
  unavailable: z.string().nullable(),
  assumptions: z.array(z.string()),
  branches: z.array(Branch),
  sameWalkAs: z.string().optional()
    .describe('an earlier path (same family) whose walk this one repeats: the same rules in the same chains to the same answer, rule positions and the node\'s own name and address set aside'),
});

const NodeVerdict = z.object({
  node: z.string(), address: z.string(), port: z.number().int().nullable(), result: ClientResult, deliveredShare: z.number(), why: z.string(),
  family: Family.optional(),
});

export const ReportSchema = z.object({
  apiVersion: z.literal(REPORT_API_VERSION),
  kind: z.literal('Report'),
  tool: z.object({ name: z.literal('np-doctor'), version: z.string() }),
  snapshot: z.object({
    createdAt: z.string(),
    context: z.string().nullable(),
    collect: z.string(),
    file: z.string().nullable().describe('the snapshot file replayed, null when gathered live'),
    insecureSkipTlsVerify: z.boolean().optional().describe('the kubeconfig did not verify the API server certificate: the objects could come from anyone on the path'),
  }),
  target: z.object({
    namespace: z.string(),
    service: z.string(),
    port: z.object({ name: z.string(), port: z.number().int(), nodePort: z.number().int().nullable(), protocol: z.string() }).nullable(),
    client: z.object({ ip: z.string(), port: z.number().int() }).describe('the client of the primary family (verdict.families has each family\'s)'),
  }),
  verdict: z.object({
    summary: z.string().describe('one line for a person: what the client sees and why (for a dual-stack Service, each family in turn)'),
    nodes: z.array(NodeVerdict).describe('per ingress node; for a dual-stack Service, every family\'s nodes, primary family first'),
    families: z.array(z.object({
      family: Family,
      client: z.object({ ip: z.string(), port: z.number().int() }),
      summary: z.string().describe('this family alone, in one line'),
      nodes: z.array(NodeVerdict),
    })).optional().describe('one verdict per address family replayed, primary (spec.ipFamilies[0]) first; two for a dual-stack Service'),
    notReplayed: z.object({ count: z.number().int(), why: z.string() }).optional()
      .describe('nodes of the snapshot this default replay left out, and why (--all-nodes replays them); absent when every node was replayed'),
  }),
  findings: z.array(Finding).describe('most severe first'),
  paths: z.array(NodePath),
  checks: z.array(CheckResultSchema.extend({
    durationMs: z.number().optional().describe('only with --timings: two runs on the same snapshot otherwise print the same bytes'),
  })),
  summary: z.object({
    findings: z.object(countsOf(SEVERITIES)).describe('findings by severity'),
    checks: z.object(countsOf(CHECK_STATUSES)).describe('checks by status'),
    nodes: z.object(countsOf(CLIENT_RESULTS)).describe('replayed nodes (per family) by what the client sees'),
  }),
  gatherErrors: z.array(z.object({
    stage: z.enum(['cluster', 'node']), node: z.string().optional(), what: z.string(), why: z.string(),
    code: z.union([z.number(), z.string()]).optional(), hint: z.string().optional(),
  })),
  probes: z.array(ProbeSchema).optional()
    .describe('--probe: every probe for this Service port and its result, in the order sent; absent when the snapshot has none (nothing was sent)'),
});

export type Report = z.infer<typeof ReportSchema>;
export type ReportFinding = z.infer<typeof Finding>;
export type ReportNodeVerdict = Report['verdict']['nodes'][number];
export type ReportFamilyVerdict = NonNullable<Report['verdict']['families']>[number];

function countsOf<const K extends string>(keys: readonly K[]): Record<K, z.ZodNumber> {
  return Object.fromEntries(keys.map((k) => [k, z.number().int()])) as Record<K, z.ZodNumber>;
}

/** `np-doctor scan -o json`: one Report per Service. */
export const ScanReportSchema = z.object({
  apiVersion: z.literal(REPORT_API_VERSION),
  kind: z.literal('ScanReport'),
  reports: z.array(ReportSchema),
});

export function scanJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(ScanReportSchema, { target: 'draft-2020-12' }),
    $id: 'https://np-doctor.dev/schema/scan.v1.json',
    title: 'np-doctor scan report v1',
  };
}

export function reportJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(ReportSchema, { target: 'draft-2020-12' }),
    $id: 'https://np-doctor.dev/schema/report.v1.json',
    title: 'np-doctor report v1',
  };
}
