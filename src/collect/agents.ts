/**
 * --exec-agent: the read-only commands of snapshot/agent-commands.ts, run in the kube-proxy
 * replacement's agent pod on each node of the question (`kubectl -n kube-system exec POD -c
 * cilium-agent -- cilium-dbg service list -o json`). Off by default: it needs `create` (and, for
 * WebSocket exec, `get`) on pods/exec in kube-system, which is far beyond a read-only role (the
 * agent's CLI can also change the datapath). A refused or failed exec is a GatherError; the rest
 * goes on.
 */
import { AGENT_COMMANDS } from '../snapshot/agent-commands.js';
import type { AgentOutput, ClusterState, GatherError, KubeObject } from '../snapshot/schema.js';
import type { KubeApi } from './kube/api.js';
import { mapLimit } from './limit.js';
import { execInPod } from './node/pod-exec.js';

const SYSTEM = 'kube-system';
/** An agent's table of a large cluster is a few MiB; more is not a table np-doctor reads. */
const AGENT_OUTPUT_LIMIT_BYTES = 32 * 2 ** 20;
export const EXEC_AGENT_HINT = '--exec-agent needs create and get on pods/exec in kube-system (see "RBAC" in the README), or leave it out';

export interface AgentRequest {
  /** The nodes of the question. */
  nodes: readonly string[];
  timeoutMs: number;
  outputLimitBytes: number;
  concurrency: number;
  signal: AbortSignal | undefined;
}

export async function gatherAgents(api: KubeApi, cluster: ClusterState, req: AgentRequest): Promise<{ outputs: AgentOutput[]; errors: GatherError[] }> {
  const pods = cluster.proxyReplacement?.agentPods ?? [];
  const jobs = Object.values(AGENT_COMMANDS).flatMap((cmd) => req.nodes.flatMap((node) => {
    const pod = pods.find((p) => p.metadata.labels?.[cmd.label.key] === cmd.label.value && nodeOf(p) === node && phaseOf(p) === 'Running');
    return pod === undefined ? [] : [{ cmd, node, pod: pod.metadata.name }];
  }));
  const outputs: AgentOutput[] = [];
  const errors: GatherError[] = [];
  await mapLimit(jobs, req.concurrency, async ({ cmd, node, pod }) => {
    const r = await execInPod(api, {
      namespace: SYSTEM, pod, container: cmd.container, argv: cmd.argv,
      timeoutMs: req.timeoutMs, outputLimitBytes: Math.min(req.outputLimitBytes, AGENT_OUTPUT_LIMIT_BYTES),
    }, req.signal);
    if ('refused' in r) {
      errors.push({ ...r.refused, hint: EXEC_AGENT_HINT });
      return;
    }
    outputs.push({ node, pod, container: cmd.container, argv: [...cmd.argv], ...r });
  });
  outputs.sort((a, b) => a.node.localeCompare(b.node) || a.argv.join(' ').localeCompare(b.argv.join(' ')));
  return { outputs, errors };
}

const nodeOf = (p: KubeObject): unknown => (p.spec as { nodeName?: unknown } | undefined)?.nodeName;
const phaseOf = (p: KubeObject): unknown => (p.status as { phase?: unknown } | undefined)?.phase;
