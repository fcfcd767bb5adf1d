/**
 * The check API. A check is one diagnosis: metadata plus a pure `run` that reads the analysis
 * context and returns findings. Checks in checks/ and plugins loaded with --plugin use the same
 * `defineCheck`, so a plugin is validated exactly like a built-in one.
 */
import type { ClusterModel } from '../model/cluster.js';
import type { ServiceInfo, ServicePort } from '../model/kube.js';
import type { NodePath } from '../engine/path.js';
import type { Snapshot } from '../snapshot/schema.js';
import type { Command } from './command.js';

export const SEVERITIES = ['error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * Data a check needs. When it is missing (not gathered, RBAC refused, node unreachable) the runner
 * skips the check and says why; a check never passes for lack of data.
 *  - service: the target Service exists; nodePort: and the port asked about has a nodePort
 *  - endpointSlices, pods, nodes, networkPolicies, kubeProxy, coreDns: those API reads succeeded
 *  - nodeState: at least one node of the question was gathered (rules, sysctls…)
 *  - paths: at least one ingress node's path could be replayed
 */
export const REQUIREMENTS = ['service', 'nodePort', 'endpointSlices', 'pods', 'nodes', 'networkPolicies', 'kubeProxy', 'coreDns', 'nodeState', 'paths'] as const;
export type Requirement = (typeof REQUIREMENTS)[number];

/**
 * Where the problem sits on the way from the client to the pod. Findings of equal severity are
 * ordered by stage, so the most basic cause (no Service, no endpoints) comes before what it causes.
 */
export const STAGES = ['service', 'endpoints', 'kube-proxy', 'node', 'path', 'policy', 'backend', 'context'] as const;
export type Stage = (typeof STAGES)[number];

/** Proof a reader can check: a rule line, an object field, a sysctl, a walk, command output. */
export type Evidence =
  | {
    kind: 'rule'; node: string; source: string; table: string; chain: string; line: number; rule: string | null; action?: string;
    /** nftables rules: the table's family, and the handle (`line` then equals it). */
    family?: string; handle?: number;
  }
  | { kind: 'object'; ref: string; field?: string; value?: unknown }
  | { kind: 'sysctl'; node: string; name: string; value: string | null }
  | { kind: 'path'; node: string; summary: string }
  | { kind: 'output'; node?: string; command: string; excerpt: string };

export interface Remediation {
  /** What to change, in one or two sentences. */
  summary: string;
  /**
   * Commands to run, in order (kubectl, sysctl, iptables…), as word lists made with sh`…`: a
   * name from the cluster stays one word however it is spelled (see command.ts).
   */
  commands: Command[];
}

/** What `run` returns for one finding. */
export interface FindingInput {
  messageId: string;
  data?: Record<string, string | number>;
  node?: string;
  severity?: Severity;
  evidence: Evidence[];
  remediation: Remediation;
}

/** The question being diagnosed. */
export interface Question {
  namespace: string;
  service: string;
  /** The Service port asked about (--port), or its only/first port. */
  port: ServicePort | null;
  client: { ip: string; port: number };
  /** Ingress nodes and the address the client dials on each. */
  ingress: { node: string; address: string }[];
  /** --node-ip named an address no node has, but that is a Service's ClusterIP (the client dials the wrong thing). */
  wrongTarget?: { address: string; clusterIpOf: string };
}

export interface CheckContext {
  snapshot: Snapshot;
  cluster: ClusterModel;
  question: Question;
  /** The target Service; non-null when the check requires 'service'. */
  service: ServiceInfo | null;
  /** One per ingress node, in question order. */
  paths: NodePath[];
}

export interface CheckDefinition {
  /** Equals the file name in checks/ and the anchor in docs/checks.md. */
  id: string;
  title: string;
  /** One line for `np-doctor checks`. */
  description: string;
  severity: Severity;
  stage: Stage;
  requires: readonly Requirement[];
  /** messageId → template; `{{name}}` is replaced by the finding's data. */
  messages: Record<string, string>;
  /** Overrides the runner's default timeout (ms). */
  timeoutMs?: number;
  run(ctx: CheckContext): FindingInput[] | Promise<FindingInput[]>;
}

export type Check = Readonly<CheckDefinition>;

export class CheckDefinitionError extends Error {
  override readonly name = 'CheckDefinitionError';
}

const ID = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/** Validates a check's metadata once, at load time, so a bad plugin fails with a clear message. */
export function defineCheck(def: CheckDefinition): Check {
  const where = `check "${String((def as { id?: unknown }).id)}"`;
  const fail = (why: string) => {
    throw new CheckDefinitionError(`${where}: ${why}`);
  };
  if (typeof def.id !== 'string' || !ID.test(def.id)) fail('id must be kebab-case (a-z, 0-9, dashes)');
  if (typeof def.title !== 'string' || def.title === '') fail('title is required');
  if (typeof def.description !== 'string' || def.description === '' || def.description.includes('\n')) fail('description must be one line');
  if (!SEVERITIES.includes(def.severity)) fail(`severity must be one of ${SEVERITIES.join(', ')}`);
  if (!STAGES.includes(def.stage)) fail(`stage must be one of ${STAGES.join(', ')}`);
  if (!Array.isArray(def.requires) || (def.requires as unknown[]).some((r) => !(REQUIREMENTS as readonly unknown[]).includes(r))) fail(`requires may list only ${REQUIREMENTS.join(', ')}`);
  if (typeof def.messages !== 'object' || def.messages === null || Object.keys(def.messages).length === 0) fail('messages must name at least one message');
  if (typeof def.run !== 'function') fail('run must be a function');
  if (def.timeoutMs !== undefined && !(Number.isInteger(def.timeoutMs) && def.timeoutMs > 0)) fail('timeoutMs must be a positive integer');
  return Object.freeze({ ...def, requires: Object.freeze([...def.requires]), messages: Object.freeze({ ...def.messages }) });
}

/** Fills `{{name}}` placeholders; an unknown name is left visible rather than silently blanked. */
export function formatMessage(template: string, data: Record<string, string | number> = {}): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (all, name: string) => (name in data ? String(data[name]) : all));
}
