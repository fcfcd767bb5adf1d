/**
 * What a run of checks produces, declared once: the zod schemas below are the published Report's
 * (report/model.ts builds Report v1 from them) and the TypeScript types are inferred from them, so
 * the runner's findings and the report's cannot drift apart.
 */
import { z } from 'zod';
import { PROBE_KINDS, PROBE_RESULTS } from '../snapshot/probe.js';
import type { Command } from './command.js';

export const SEVERITIES = ['error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * Where the problem sits on the way from the client to the pod. Findings of equal severity are
 * ordered by stage, so the most basic cause (no Service, no endpoints) comes before what it causes.
 * `network` is what lies outside every node's rules: between the client and the node (a cloud
 * firewall) or between nodes (the CNI's overlay), seen only by --probe.
 */
export const STAGES = ['service', 'endpoints', 'kube-proxy', 'node', 'network', 'path', 'policy', 'backend', 'context'] as const;
export type Stage = (typeof STAGES)[number];

/** Proof a reader can check: a rule line, an object field, a sysctl, a walk, command output. */
export const EvidenceSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('rule'), node: z.string(), source: z.string(), table: z.string(), chain: z.string(),
    line: z.number().int().describe('1-based line in the dump; for nftables, the rule handle'), rule: z.string().nullable().describe('null: the chain policy'), action: z.string().optional(),
    family: z.string().optional().describe('nftables: the table family (ip, ip6, inet)'),
    handle: z.number().int().optional().describe('nftables: the rule handle (nft -a list ruleset)'),
  }),
  z.object({ kind: z.literal('object'), ref: z.string().describe('e.g. "Service shop/frontend"'), field: z.string().optional(), value: z.unknown().optional() }),
  z.object({ kind: z.literal('sysctl'), node: z.string(), name: z.string(), value: z.string().nullable().describe('null: not set / module not loaded') }),
  z.object({ kind: z.literal('path'), node: z.string(), summary: z.string() }),
  z.object({ kind: z.literal('output'), node: z.string().optional(), command: z.string(), excerpt: z.string() }),
  z.object({
    kind: z.literal('probe'), probe: z.enum(PROBE_KINDS), from: z.string().describe('"here" or a node name'),
    target: z.string().describe('ip:port ([ip]:port for IPv6) and the protocol, e.g. "192.168.1.2:30080/TCP"'),
    result: z.enum(PROBE_RESULTS), ms: z.number().nullable(), at: z.string(),
  }).describe('what one --probe connect saw on the wire'),
]);
export type Evidence = z.infer<typeof EvidenceSchema>;

/** A finding without its remediation, which the runner keeps as words and the report as lines. */
export const FindingFieldsSchema = z.object({
  id: z.string().describe('the check id; docs/checks/<id>.md'),
  severity: z.enum(SEVERITIES),
  title: z.string(),
  message: z.string(),
  node: z.string().optional().describe('the node the finding is about: where the connection fails or the fault lies; absent when the finding is about several (never a node through which the connection works: that is workingNodes)'),
  workingNodes: z.array(z.string()).optional()
    .describe('nodes through which the same connection works (they run a ready endpoint, or hold the pod): where to connect meanwhile'),
  stage: z.enum(STAGES),
  evidence: z.array(EvidenceSchema),
  family: z.union([z.literal(4), z.literal(6)]).optional()
    .describe('a dual-stack Service: the address family only this finding is about (absent when it holds for both, or the Service has one family)'),
});

export interface Remediation {
  /** What to change, in one or two sentences. */
  summary: string;
  /**
   * Commands to run, in order (kubectl, sysctl, iptables…), as word lists made with sh`…`: a
   * name from the cluster stays one word however it is spelled (see command.ts).
   */
  commands: Command[];
}

/** One finding as the runner makes it: the check's metadata, the formatted message, the proof and the fix. */
export type Finding = z.infer<typeof FindingFieldsSchema> & { remediation: Remediation };

export const CHECK_STATUSES = ['passed', 'failed', 'skipped', 'error', 'timeout'] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

export const CheckResultSchema = z.object({
  id: z.string(),
  status: z.enum(CHECK_STATUSES),
  reason: z.string().optional(),
  durationMs: z.number(),
});
/** How one check ended; `reason` says why it was skipped, crashed or timed out. */
export type CheckResult = z.infer<typeof CheckResultSchema>;
