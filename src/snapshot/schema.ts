/**
 * Snapshot v1: everything np-doctor gathered about one question, in one JSON document. Gathering
 * writes it, analysis reads only it, so a saved snapshot replays anywhere. Kubernetes objects are
 * kept in their wire form (what `kubectl get -o json` prints); node state is kept as the raw output
 * of the fixed node commands, so nothing is lost to an early interpretation.
 *
 * Changing a field's meaning or removing one needs a new apiVersion; adding optional fields does not.
 */
import { z } from 'zod';
import { GatherStepSchema } from './gather-step.js';
import { ProbeSchema } from './probe.js';

export const SNAPSHOT_API_VERSION = 'np-doctor/v1';
export const SNAPSHOT_KIND = 'Snapshot';

/** Any Kubernetes object as the API sent it; only what np-doctor relies on is checked. */
const KubeObject = z.looseObject({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: z.looseObject({
    name: z.string(),
    namespace: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
  }),
});

const CommandOutput = z.object({
  argv: z.array(z.string()).describe('the command as run on the node (before sudo/chroot wrapping)'),
  stdout: z.string(),
  stderr: z.string(),
  exitCode: z.number().int().nullable().describe('null when the command did not finish'),
  truncated: z.object({
    stdout: z.boolean(),
    stderr: z.boolean(),
    limitBytes: z.number().int().positive(),
  }).optional().describe('present when the command printed more than np-doctor keeps: each stream was cut at limitBytes'),
});

/** How a node was read: over SSH, from a debug pod, on the node itself, or from dump files the user gave. */
export const COLLECT_METHODS = ['ssh', 'debug-pod', 'local', 'files'] as const;
export type CollectMethod = (typeof COLLECT_METHODS)[number];

const CollectMethod = z.enum(COLLECT_METHODS);

/** Part of a command's output np-doctor chose not to store, and why (e.g. rules stored under another command). */
const Omission = z.object({
  command: z.string().describe('the command id whose output was cut'),
  what: z.string().describe('what was left out, in words'),
  why: z.string(),
});

const NodeState = z.object({
  name: z.string(),
  address: z.string().nullable().describe('the address np-doctor reached the node at, if any'),
  access: CollectMethod,
  // Keyed by the command ids of node-commands.ts. Any string is accepted, so a snapshot from a newer
  // np-doctor that runs more commands still loads here (readers look up the ids they know).
  commands: z.record(z.string(), CommandOutput),
  omitted: z.array(Omission).optional().describe('what was left out of the outputs above, and why; absent when nothing was'),
});

const GatherError = z.object({
  stage: z.enum(['cluster', 'node']),
  node: z.string().optional(),
  step: GatherStepSchema.optional()
    .describe('the step that failed, as data; absent in older snapshots, whose readers take it from `what`'),
  what: z.string().describe('the step that failed, in words, e.g. "list networkpolicies in namespace shop"'),
  why: z.string(),
  code: z.union([z.number(), z.string()]).optional().describe('HTTP status or error code'),
  hint: z.string().optional().describe('what the user can do about it'),
});

const KubeProxyConfig = z.object({
  mode: z.string().describe('iptables, ipvs, nftables; "" means the platform default (iptables on Linux)'),
  clusterCIDR: z.string().nullable(),
  nodePortAddresses: z.array(z.string()).nullable(),
  masqueradeBit: z.number().int().nullable(),
  localhostNodePorts: z.boolean().nullable(),
  source: z.string().describe('where these values were read, e.g. "ConfigMap kube-system/kube-proxy config.conf"'),
});

/** What an exec into a kube-proxy replacement's agent pod printed (--exec-agent). */
const AgentOutput = CommandOutput.extend({
  node: z.string().describe('the node the agent pod runs on'),
  pod: z.string().describe('the agent pod (namespace kube-system)'),
  container: z.string(),
});

/**
 * What the API says about a dataplane that replaces kube-proxy (Cilium, kube-router). Present only
 * when something was found or refused, so snapshots of clusters without one are unchanged.
 */
const ProxyReplacementState = z.object({
  ciliumConfig: KubeObject.nullable()
    .describe('ConfigMap kube-system/cilium-config with only its kube-proxy-replacement key; null when absent or refused'),
  ciliumConfigRefused: z.string().optional().describe('why cilium-config could not be read (RBAC), when it could not'),
  agentPods: z.array(KubeObject).describe('kube-system pods labelled k8s-app=cilium or k8s-app=kube-router'),
  agentOutputs: z.array(AgentOutput).optional()
    .describe('--exec-agent: what the agent on each node printed (cilium-dbg service list -o json); absent without the flag'),
});

const Cluster = z.object({
  services: z.array(KubeObject),
  endpointSlices: z.array(KubeObject),
  pods: z.array(KubeObject),
  nodes: z.array(KubeObject),
  networkPolicies: z.array(KubeObject),
  namespaces: z.array(KubeObject).optional()
    .describe('the Namespaces (their labels decide NetworkPolicy namespaceSelectors); absent in snapshots from before np-doctor 0.2'),
  kubeProxy: z.object({
    configMap: KubeObject.nullable(),
    daemonSet: KubeObject.nullable(),
    pods: z.array(KubeObject),
    config: KubeProxyConfig.nullable(),
  }),
  coreDns: z.object({
    deployment: KubeObject.nullable(),
    service: KubeObject.nullable(),
    endpointSlices: z.array(KubeObject),
    corefile: z.string().nullable(),
  }),
  apiServer: z.object({
    serviceNodePortRange: z.string().nullable().describe('--service-node-port-range of a kube-apiserver static pod'),
  }),
  proxyReplacement: ProxyReplacementState.optional()
    .describe('a dataplane that may replace kube-proxy, as the API shows it; absent when none was found, and in older snapshots'),
});

export const SnapshotSchema = z.object({
  apiVersion: z.literal(SNAPSHOT_API_VERSION),
  kind: z.literal(SNAPSHOT_KIND),
  createdAt: z.string().describe('RFC 3339 time the gathering started'),
  tool: z.object({ name: z.literal('np-doctor'), version: z.string() }),
  source: z.object({
    context: z.string().nullable(),
    server: z.string().nullable().describe('API server URL without credentials'),
    collect: z.enum([...COLLECT_METHODS, 'none']),
    insecureSkipTlsVerify: z.boolean().optional()
      .describe('the kubeconfig turned off verification of the API server certificate (insecure-skip-tls-verify)'),
  }),
  target: z.object({
    namespace: z.string().nullable().describe('null: all namespaces'),
    service: z.string().nullable().describe('null: every NodePort service in scope'),
  }),
  redacted: z.boolean(),
  cluster: Cluster,
  nodes: z.array(NodeState),
  errors: z.array(GatherError),
  probes: z.array(ProbeSchema).optional()
    .describe('what --probe saw, every probe with its result; absent when --probe was not given (then nothing was sent)'),
});

export type Snapshot = z.infer<typeof SnapshotSchema>;
export type KubeObject = z.infer<typeof KubeObject>;
export type NodeState = z.infer<typeof NodeState>;
export type CommandOutput = z.infer<typeof CommandOutput>;
export type Omission = z.infer<typeof Omission>;
export type GatherError = z.infer<typeof GatherError>;
export type KubeProxyConfig = z.infer<typeof KubeProxyConfig>;
export type ClusterState = z.infer<typeof Cluster>;
export type ProxyReplacementState = z.infer<typeof ProxyReplacementState>;
export type AgentOutput = z.infer<typeof AgentOutput>;

/** The published JSON Schema (draft 2020-12) of Snapshot v1; schema/snapshot.v1.json is this, written out. */
export function snapshotJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(SnapshotSchema, { target: 'draft-2020-12' }),
    $id: 'https://np-doctor.dev/schema/snapshot.v1.json',
    title: 'np-doctor snapshot v1',
  };
}

/** The parts the v2 stream (stream-format.ts) validates one record at a time. */
export { Cluster as ClusterSchema, CommandOutput as CommandOutputSchema, GatherError as GatherErrorSchema, KubeObject as KubeObjectSchema, NodeState as NodeStateSchema };
