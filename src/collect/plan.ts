/**
 * Which nodes a question needs: the ingress node the user names (`--node NAME` or `--node-ip IP`),
 * the nodes that host the target's endpoints, or every node (`--all-nodes`). Nodes are reached at
 * their InternalIP (the SSH shell may still map the name through ~/.ssh/config).
 */
import type { ClusterState, GatherError, KubeObject } from '../snapshot/schema.js';
import type { NodeTarget } from './node/shell.js';

export interface NodeSelection {
  node?: string;
  nodeIp?: string;
  allNodes: boolean;
}

interface NodeAddress {
  type: string;
  address: string;
}

const addressesOf = (n: KubeObject): NodeAddress[] => (n.status as { addresses?: NodeAddress[] } | undefined)?.addresses ?? [];

/** The InternalIP to reach a node at, IPv4 first (dual-stack nodes list both). */
export function internalIp(n: KubeObject): string | undefined {
  const internal = addressesOf(n).filter((a) => a.type === 'InternalIP').map((a) => a.address);
  return internal.find((a) => !a.includes(':')) ?? internal[0];
}

/** Nodes that run an endpoint in these EndpointSlices (ready or not: a broken one matters most), by nodeName. */
export function endpointNodes(slices: ClusterState['endpointSlices']): string[] {
  const names = slices.flatMap((s) =>
    ((s.endpoints as { nodeName?: string }[] | undefined) ?? []).map((e) => e.nodeName).filter((n): n is string => n !== undefined));
  return [...new Set(names)].sort();
}

export function planNodes(cluster: ClusterState, sel: NodeSelection): { targets: NodeTarget[]; notes: GatherError[] } {
  const byName = new Map(cluster.nodes.map((n) => [n.metadata.name, n]));
  const targets = new Map<string, NodeTarget>();
  const notes: GatherError[] = [];
  const add = (name: string, address: string | undefined) => {
    if (!targets.has(name)) targets.set(name, { name, address });
  };

  if (sel.node !== undefined) {
    const n = byName.get(sel.node);
    if (n === undefined && cluster.nodes.length > 0) {
      notes.push({ stage: 'node', node: sel.node, step: { kind: 'plan' }, what: `find node ${sel.node}`, why: 'no Node object has that name', hint: `kubectl get nodes lists the names` });
    } else {
      add(sel.node, n === undefined ? undefined : internalIp(n));
    }
  }
  if (sel.nodeIp !== undefined) {
    // The IP a client dials can be any of the node's addresses (InternalIP, ExternalIP).
    const n = cluster.nodes.find((x) => addressesOf(x).some((a) => a.address === sel.nodeIp));
    if (n === undefined) {
      notes.push({ stage: 'node', node: sel.nodeIp, step: { kind: 'plan' }, what: `find the node with address ${sel.nodeIp}`, why: 'no Node lists that address', hint: 'np-doctor will still try to reach it at that address' });
      add(sel.nodeIp, sel.nodeIp);
    } else {
      add(n.metadata.name, internalIp(n));
    }
  }
  if (sel.allNodes) {
    for (const n of cluster.nodes) add(n.metadata.name, internalIp(n));
  } else {
    for (const name of endpointNodes(cluster.endpointSlices)) add(name, byName.has(name) ? internalIp(byName.get(name)!) : undefined);
  }
  if (targets.size === 0 && cluster.nodes.length > 0) {
    notes.push({
      stage: 'node', step: { kind: 'plan' }, what: 'choose nodes to read', why: 'no endpoint runs on any node and no ingress node was named',
      hint: 'name the node clients connect to with --node NAME or --node-ip IP, or use --all-nodes',
    });
  }
  return { targets: [...targets.values()], notes };
}
