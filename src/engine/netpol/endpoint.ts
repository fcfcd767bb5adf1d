import { addrKey, cidrContains, parseCidr, sameAddr, type Addr } from '../address.js';
import type { PolicyPod, PolicyWorld } from './types.js';

/**
 * What the other side of a connection is. Pod and namespace selectors match only pods, so a node
 * address (a hostNetwork pod has its node's address) is certainly not a match, while an address in
 * the pod CIDRs that no known pod has may be a pod np-doctor did not read.
 */
export type Endpoint =
  | { kind: 'pod'; ip: string; pod: PolicyPod }
  | { kind: 'node'; ip: string; node: string; hostPod?: PolicyPod }
  | { kind: 'unread-pod'; ip: string; cidr: string }
  | { kind: 'external'; ip: string }
  | { kind: 'unclassified'; ip: string };

const addrsOf = (texts: string[] | undefined): Addr[] =>
  (texts ?? []).flatMap((t) => {
    const c = parseCidr(t);
    return c ? [c.addr] : [];
  });

/** Whether `a` is an address of `node`; null when the node or its addresses are not known. */
export function nodeHas(world: PolicyWorld, node: string | undefined, a: Addr): boolean | null {
  if (node === undefined || !Object.hasOwn(world.nodeAddresses, node)) return null;
  const byNode = holdersOf(world).nodeKeys;
  let keys = byNode.get(node);
  if (keys === undefined) byNode.set(node, keys = new Set(addrsOf(world.nodeAddresses[node]).map(addrKey)));
  return keys.has(addrKey(a));
}

export const podHas = (pod: PolicyPod, a: Addr): boolean => addrsOf(pod.ips).some((p) => sameAddr(p, a));

/** Who holds an address, first match in the world's order: a node, else a hostNetwork pod, else a pod. */
interface Holders {
  /** Each node's addresses by addrKey, listed when first asked. */
  nodeKeys: Map<string, Set<string>>;
  node: Map<string, string>;
  hostPod: Map<string, PolicyPod>;
  pod: Map<string, PolicyPod>;
}

/**
 * The world's addresses indexed once (a world is read-only once built): classify is asked for
 * every branch of every path, and a scan of 10k Services over 20k pods would otherwise scan them
 * all each time.
 */
const indexes = new WeakMap<PolicyWorld, Holders>();

function holdersOf(world: PolicyWorld): Holders {
  let h = indexes.get(world);
  if (h === undefined) {
    h = { nodeKeys: new Map(), node: new Map(), hostPod: new Map(), pod: new Map() };
    for (const [node, texts] of Object.entries(world.nodeAddresses)) {
      for (const a of addrsOf(texts)) if (!h.node.has(addrKey(a))) h.node.set(addrKey(a), node);
    }
    for (const p of world.pods) {
      const into = p.hostNetwork ? h.hostPod : h.pod;
      for (const a of addrsOf(p.ips)) if (!into.has(addrKey(a))) into.set(addrKey(a), p);
    }
    indexes.set(world, h);
  }
  return h;
}

export function classify(world: PolicyWorld, a: Addr): Endpoint {
  const ip = a.text;
  const holders = holdersOf(world);
  const key = addrKey(a);
  const node = holders.node.get(key);
  if (node !== undefined) return { kind: 'node', ip, node };
  const hostPod = holders.hostPod.get(key);
  if (hostPod) return { kind: 'node', ip, node: hostPod.nodeName ?? '(unknown)', hostPod };
  const pod = holders.pod.get(key);
  if (pod) return { kind: 'pod', ip, pod };
  if (world.podCidrs === undefined) return { kind: 'unclassified', ip };
  const cidr = world.podCidrs.find((t) => {
    const c = parseCidr(t);
    return c !== null && cidrContains(c, a);
  });
  return cidr === undefined ? { kind: 'external', ip } : { kind: 'unread-pod', ip, cidr };
}

/** `192.168.49.2 (an address of node node-b)`: the address and what it is; `note` goes inside the parentheses. */
export function describe(e: Endpoint, note = ''): string {
  return `${e.ip} (${what(e)}${note})`;
}

function what(e: Endpoint): string {
  switch (e.kind) {
    case 'pod':
      return `pod ${e.pod.namespace}/${e.pod.name}`;
    case 'node':
      return e.hostPod
        ? `hostNetwork pod ${e.hostPod.namespace}/${e.hostPod.name} on node ${e.node}`
        : `an address of node ${e.node}`;
    case 'unread-pod':
      return `inside pod CIDR ${e.cidr}, but no known pod has it`;
    case 'external':
      return 'outside the pod CIDRs';
    case 'unclassified':
      return 'not a known pod or node address';
  }
}

/** Why a selector peer cannot be decided for this endpoint, or null when it can. */
export function unreadPod(e: Endpoint, role: string): string | null {
  if (e.kind === 'unread-pod') return `${role} ${e.ip} is inside the pod CIDR ${e.cidr} but no known pod has it`;
  if (e.kind === 'unclassified') return `${role} ${e.ip} is not a known pod or node address and the pod CIDRs are unknown, so it may be a pod that was not read`;
  return null;
}
