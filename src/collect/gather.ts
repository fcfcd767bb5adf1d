/**
 * Live cluster → Snapshot. Steps: kubeconfig, the API objects the question needs, which nodes to
 * read, then the nodes themselves (dump files first, the chosen NodeShell for the rest), then, with
 * --probe, the probes from here (each node's own probes run in its session). Everything
 * that fails without stopping the run lands in `snapshot.errors`. The whole run has one deadline
 * (`timeoutMs`, --timeout), carried by the same signal as Ctrl-C.
 */
import type { CollectMethod, GatherError, NodeState, Snapshot } from '../snapshot/schema.js';
import { SNAPSHOT_API_VERSION, SNAPSHOT_KIND } from '../snapshot/schema.js';
import { VERSION } from '../version.js';
import { gatherAgents } from './agents.js';
import { gatherSignal } from './deadline.js';
import { makeKubeApi, type KubeApi } from './kube/api.js';
import { gatherCluster, type ClusterQuestion } from './kube/cluster.js';
import { resolveKubeconfig, type KubeconfigOptions } from './kube/kubeconfig.js';
import { DebugPodShell, type DebugPodOptions } from './node/debug-pod.js';
import { FilesShell } from './node/files.js';
import { LocalShell } from './node/local.js';
import type { NodeSession, NodeShell, NodeTarget } from './node/shell.js';
import type { SshShellOptions } from './node/ssh.js';
import { NodeTally } from './node-tally.js';
import { gatherNodes } from './nodes.js';
import { internalIp, planNodes, type NodeSelection } from './plan.js';
import type { Progress } from './gather-progress.js';
import type { ProbeRequest } from './probe/plan.js';
import { ProbeRun } from './probe/run.js';
import { boundMessage } from './untrusted-text.js';

/** How nodes are read: a shell for the planned nodes, or none (only --node-dump files). */
export type CollectMode = Exclude<CollectMethod, 'files'> | 'none';

export interface GatherRequest {
  question: ClusterQuestion;
  /** When true, the question's namespace is the kubeconfig's default (no -n, no -A). */
  namespaceFromKubeconfig: boolean;
  collect: CollectMode;
  nodes: NodeSelection;
  kubeconfig: KubeconfigOptions;
  requestTimeoutMs: number;
  commandTimeoutMs: number;
  /** The whole gathering, API reads and nodes (--timeout). */
  timeoutMs: number;
  /** Per stream of each node command, and per --node-dump file (--max-output). */
  outputLimitBytes: number;
  /** Objects in one API list (--max-list-items). */
  maxListItems: number;
  /** Nodes read at once (--parallel). */
  nodeConcurrency: number;
  /** One node's whole read (--node-timeout); absent, only timeoutMs bounds it. */
  nodeTimeoutMs?: number | undefined;
  ssh: SshShellOptions;
  debugPod: Omit<DebugPodOptions, 'namespace' | 'commandTimeoutMs' | 'outputLimitBytes'> & { namespace: string | undefined };
  /** node name → iptables-save file */
  nodeDumps: ReadonlyMap<string, string>;
  localNodeName: string;
  signal: AbortSignal | undefined;
  progress: Progress;
  /** --probe: what to probe and the connect timeout; absent, no probe is planned and no packet sent. */
  probe?: ProbeRequest | undefined;
  /**
   * --exec-agent: run the kube-proxy replacement's read-only service listing in its agent pod on
   * each node read (collect/agents.ts); needs pods/exec in kube-system. Off unless asked.
   */
  execAgent?: boolean | undefined;
  /** Things the user should know that do not make the snapshot incomplete (stderr). */
  onWarning?: ((message: string) => void) | undefined;
}

export interface GatherResult {
  snapshot: Snapshot;
  /** Debug pods that could not be deleted (namespace/name). */
  leftovers: string[];
}

export async function gather(req: GatherRequest): Promise<GatherResult> {
  const deadline = gatherSignal(req.signal, req.timeoutMs);
  try {
    return await gatherUntil({ ...req, signal: deadline.signal });
  } finally {
    deadline.dispose();
  }
}

async function gatherUntil(req: GatherRequest): Promise<GatherResult> {
  const createdAt = new Date().toISOString();
  const kube = await resolveKubeconfig(req.kubeconfig);
  if (kube.insecureSkipTlsVerify) {
    const warning = `the kubeconfig (${kube.origin}) sets insecure-skip-tls-verify for ${kube.server ?? 'the API server'}: ` +
      'its certificate is not checked, so anyone on the path could pose as the cluster; the snapshot records this';
    req.progress.warn('kubeconfig', warning);
    req.onWarning?.(warning);
  }
  const question = req.namespaceFromKubeconfig ? { ...req.question, namespace: kube.namespace } : req.question;
  const api = await makeKubeApi(kube.kc, kube.server, req.requestTimeoutMs, req.signal, undefined, req.maxListItems);
  const { cluster, errors } = await gatherCluster(api, question, req.progress);

  const all: GatherError[] = [...errors];
  const nodes: NodeState[] = [];
  const byName = new Map(cluster.nodes.map((n) => [n.metadata.name, n]));
  const addressOf = (name: string) => {
    const n = byName.get(name);
    return n === undefined ? undefined : internalIp(n);
  };

  // A dump file stands for its node; the node's address (from the Node object) lets a replay
  // know which destination is local even without `ip addr` output.
  const fromFiles: NodeTarget[] = [...req.nodeDumps.keys()].map((name) => ({ name, address: addressOf(name) }));
  let targets: NodeTarget[] = [];
  if (req.collect === 'local') {
    const name = req.nodes.node ?? req.localNodeName;
    if (!req.nodeDumps.has(name)) targets = [{ name, address: addressOf(name) }];
  } else if (req.collect !== 'none') {
    const plan = planNodes(cluster, req.nodes);
    all.push(...plan.notes);
    targets = plan.targets.filter((t) => !req.nodeDumps.has(t.name));
    if (req.collect === 'debug-pod') {
      // A debug pod is pinned by nodeName: for a name the cluster does not know it would wait forever.
      targets = targets.filter((t) => byName.has(t.name) || cluster.nodes.length === 0);
    }
  }
  const snapshot = (gathered: NodeState[], errs: GatherError[]): Snapshot => ({
    apiVersion: SNAPSHOT_API_VERSION,
    kind: SNAPSHOT_KIND,
    createdAt,
    tool: { name: 'np-doctor', version: VERSION },
    source: {
      context: kube.context,
      server: kube.server,
      collect: req.collect,
      ...(kube.insecureSkipTlsVerify ? { insecureSkipTlsVerify: true } : {}),
    },
    target: question,
    redacted: false,
    cluster,
    nodes: gathered,
    errors: errs,
  });
  // Debug pods go where kubectl debug would put them without -n: -n names the Service's namespace,
  // which may well forbid privileged pods.
  const shell = targets.length === 0 ? null : await makeShell(req, api, kube.contextNamespace);
  const files = new FilesShell(req.nodeDumps, req.outputLimitBytes);
  // --probe is planned from the API objects and the nodes about to be read, without their output
  // yet; probe/run.ts says when each probe is sent.
  const unread = (sh: NodeShell, ts: NodeTarget[]): NodeState[] => ts.map((t) => ({ name: t.name, address: t.address ?? null, access: sh.method, commands: {} }));
  const probes = req.probe === undefined ? null
    : new ProbeRun(req.probe.plan(snapshot([...unread(files, fromFiles), ...(shell === null ? [] : unread(shell, targets))], [])).probes, req.probe.timeoutMs);
  const tally = new NodeTally(req.progress, fromFiles.length + targets.length);
  tally.begin();
  const opts = {
    concurrency: req.nodeConcurrency, signal: req.signal, nodeTimeoutMs: req.nodeTimeoutMs, progress: req.progress, tally,
    afterCommands: probes === null ? undefined : (node: string, session: NodeSession, signal: AbortSignal | undefined) => probes.onNode(node, session, signal),
  };

  if (fromFiles.length > 0) {
    const r = await gatherNodes(files, fromFiles, opts);
    nodes.push(...r.nodes);
    all.push(...r.errors);
  }
  if (shell !== null) {
    const r = await gatherNodes(shell, targets, opts);
    nodes.push(...r.nodes);
    all.push(...r.errors);
  }
  nodes.sort((a, b) => a.name.localeCompare(b.name));
  await probes?.fromHere(req.signal, req.progress);
  if (req.execAgent === true && cluster.proxyReplacement !== undefined) {
    // The nodes read; without node access (--collect none), the nodes the question concerns.
    const read = [...fromFiles, ...targets];
    const names = [...new Set((read.length > 0 ? read : planNodes(cluster, req.nodes).targets).map((t) => t.name))];
    const r = await gatherAgents(api, cluster, { nodes: names, timeoutMs: req.commandTimeoutMs, outputLimitBytes: req.outputLimitBytes, concurrency: req.nodeConcurrency, signal: req.signal });
    cluster.proxyReplacement.agentOutputs = r.outputs;
    all.push(...r.errors);
  }

  return {
    // Every message is bounded where it is made; this is the last guard before the snapshot.
    snapshot: { ...snapshot(nodes, all.map(bounded)), ...(probes === null ? {} : { probes: probes.probes(req.signal) }) },
    leftovers: shell instanceof DebugPodShell ? shell.leftovers : [],
  };
}

function bounded(e: GatherError): GatherError {
  return { ...e, what: boundMessage(e.what), why: boundMessage(e.why), ...(e.hint !== undefined ? { hint: boundMessage(e.hint) } : {}) };
}

async function makeShell(req: GatherRequest, api: KubeApi, defaultNamespace: string): Promise<NodeShell> {
  switch (req.collect) {
    case 'ssh': {
      const { SshShell } = await import('./node/ssh.js');
      return new SshShell({ outputLimitBytes: req.outputLimitBytes, ...req.ssh });
    }
    case 'debug-pod':
      return new DebugPodShell(api, {
        ...req.debugPod,
        namespace: req.debugPod.namespace ?? defaultNamespace,
        commandTimeoutMs: req.commandTimeoutMs,
        outputLimitBytes: req.outputLimitBytes,
      });
    case 'local':
      return new LocalShell({ commandTimeoutMs: req.commandTimeoutMs, outputLimitBytes: req.outputLimitBytes });
    case 'none':
      throw new Error('unreachable: --collect none opens no shell');
  }
}
