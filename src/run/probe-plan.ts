/**
 * What --probe sends for one question, planned from the snapshot as it stands before the nodes are
 * read (gathering injects this planner: collect/ may not import run/). For each ingress node the
 * diagnosis replays, in this order, so a bounded run covers whole nodes:
 *   client-to-node  from here to the node's address and nodePort;
 *   node-to-self    on the node, to that same address and nodePort;
 *   node-to-pod     on the node, to backend pods' IPs and targetPorts: the pod on this node first,
 *                   then one pod per other node in turn, at most POD_PROBES_PER_NODE.
 * The backends are the EndpointSlices' endpoints kube-proxy sends to for the Service port.
 */
import type { PlannedProbe, ProbePlan } from '../collect/probe/plan.js';
import { isLoopbackIp } from '../check-kit/address.js';
import type { Analysis } from '../check-kit/context.js';
import { parseAddr } from '../engine/address.js';
import { ClusterModel } from '../model/cluster.js';
import { endpointPod, endpointSlicesOf, type PortedEndpoint } from '../check-kit/cluster-queries.js';
import { HERE, type Probe } from '../snapshot/probe.js';
import type { Snapshot } from '../snapshot/schema.js';
import { buildContext, QuestionError, questionFamilies, type Ask } from './question.js';

export const POD_PROBES_PER_NODE = 4;

const PROTOCOLS: readonly Probe['protocol'][] = ['TCP', 'UDP', 'SCTP'];

export function planProbes(gathered: Snapshot, ask: Ask, podsPerNode = POD_PROBES_PER_NODE): ProbePlan {
  const cluster = new ClusterModel(gathered);
  try {
    // A dual-stack Service is diagnosed once per family, so each family's replay gets its own probes.
    return { probes: questionFamilies(cluster, ask).flatMap((family) => planFamily(buildContext(gathered, ask, cluster, family), podsPerNode)) };
  } catch (e) {
    // The diagnosis will say what is wrong with the question; there is nothing to probe for it.
    if (e instanceof QuestionError) return { probes: [] };
    throw e;
  }
}

function planFamily(ctx: Analysis, podsPerNode: number): PlannedProbe[] {
  const { question: q, service, cluster } = ctx;
  const protocol = PROTOCOLS.find((p) => p === q.port?.protocol.toUpperCase());
  if (service === null || q.port === null || q.port.nodePort === null || protocol === undefined) return [];
  const nodePort = q.port.nodePort;
  const slices = endpointSlicesOf(cluster, q.family);
  // An address from the API that is not an IP (a hostile or broken object) cannot be dialled.
  const backends = slices.used(service, q.port).filter((e) => parseAddr(e.address) !== null)
    .map((e) => ({ e, node: slices.nodeOf(e) ?? '', pod: endpointPod(cluster, e) }));

  const probes: PlannedProbe[] = [];
  for (const { node, address } of q.ingress) {
    // A node with no usable address (its Node object lists none) is not replayed, nor dialled.
    if (parseAddr(address) === null) continue;
    // A loopback address is the node's own: from here it would reach this machine instead.
    if (!isLoopbackIp(address)) probes.push({ kind: 'client-to-node', from: HERE, node, ip: address, port: nodePort, protocol });
    probes.push({ kind: 'node-to-self', from: node, node, ip: address, port: nodePort, protocol });
    for (const b of podsFirst(backends, node).slice(0, podsPerNode)) {
      probes.push({
        kind: 'node-to-pod', from: node, node: b.node, ip: b.e.address, port: b.e.port, protocol,
        ...(b.pod !== undefined ? { pod: { namespace: b.pod.namespace, name: b.pod.name } } : {}),
      });
    }
  }
  return probes;
}

interface Backend {
  e: PortedEndpoint;
  node: string;
}

/** This node's backends first, then the others' taken one node at a time, so few probes cover many nodes. */
function podsFirst<B extends Backend>(backends: readonly B[], node: string): B[] {
  const byNode = new Map<string, B[]>();
  const sorted = [...backends].sort((a, b) => a.node.localeCompare(b.node) || a.e.address.localeCompare(b.e.address));
  for (const b of sorted) byNode.set(b.node, [...(byNode.get(b.node) ?? []), b]);
  const own = byNode.get(node) ?? [];
  byNode.delete(node);
  const out: B[] = own.slice(0, 1);
  const queues = [...byNode.values()];
  for (let round = 0; queues.some((q) => q.length > round); round++) {
    for (const q of queues) if (q[round] !== undefined) out.push(q[round]!);
  }
  return [...out, ...own.slice(1)];
}
