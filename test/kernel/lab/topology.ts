/**
 * Builds the lab network out of namespaces:
 *
 *   [client] ──┐
 *   [node0] ───┤ br0 in its own [lan] namespace   (one L2 segment; see addressing.ts for addresses)
 *   [node1] ───┘
 *   [pod]   ── veth ── [nodeK]    (Calico style: pod /32 on eth0, default via 169.254.1.1 onlink,
 *                                  node side has proxy_arp=1 and a /32 route to the pod)
 *
 * Nodes route each other's pod /24 via the other node's LAN address.
 */
import { run } from './exec.js';
import { NS_PREFIX } from './netns.js';
import * as A from './addressing.js';
import type { PodSpec, Scenario } from './scenario.js';

export interface Topology {
  lan: string;
  client: string;
  /** Namespace of node k. */
  nodes: string[];
  /** Namespace of each pod, by pod name. */
  pods: Map<string, string>;
  ipv6: boolean;
  /** The prefix of every namespace name (NS_PREFIX unless the caller chose one under it). */
  prefix: string;
}

export interface TopologyOptions {
  /** Namespace name prefix; default NS_PREFIX. Must start with NS_PREFIX, so stale cleanup finds it. */
  prefix?: string;
  /** The LAN's IPv4 plan; default addressing.ts's LAN. */
  lan?: A.LanPlan;
}

const ip = (ns: string, ...args: string[]) => run('ip', ['-n', ns, ...args]);
const sysctl = (ns: string, ...kv: string[]) => run('sysctl', ['-q', '-w', ...kv], { ns });

export async function addNamespace(name: string): Promise<void> {
  await run('ip', ['netns', 'add', name]);
  await ip(name, 'link', 'set', 'lo', 'up');
  // Set before any interface appears: new interfaces copy the "default" devconf.
  await sysctl(
    name,
    'net.ipv6.conf.all.accept_dad=0',
    'net.ipv6.conf.default.accept_dad=0',
    // Reverse-path filtering would drop the asymmetric replies of the missing-masquerade case
    // before we could observe them; real clusters usually run with loose or no rp_filter too.
    'net.ipv4.conf.all.rp_filter=0',
    'net.ipv4.conf.default.rp_filter=0',
    // Quick retries against a REJECT would otherwise see rate-limited (missing) ICMP errors.
    'net.ipv4.icmp_ratelimit=0',
    'net.ipv6.icmp.ratelimit=0',
  );
}

/** A veth pair whose ends are created directly in their namespaces. */
export async function veth(nsA: string, nameA: string, nsB: string, nameB: string): Promise<void> {
  await run('ip', ['link', 'add', nameA, 'netns', nsA, 'type', 'veth', 'peer', 'name', nameB, 'netns', nsB]);
}

export async function buildTopology(s: Scenario, o: TopologyOptions = {}): Promise<Topology> {
  const v6 = s.ipv6 === true;
  const prefix = o.prefix ?? NS_PREFIX;
  if (!prefix.startsWith(NS_PREFIX)) throw new Error(`namespace prefix ${prefix} is not under ${NS_PREFIX}`);
  const lan = o.lan ?? A.LAN;
  const topo: Topology = {
    lan: `${prefix}lan`,
    client: `${prefix}client`,
    nodes: s.nodes.map((_, k) => `${prefix}n${k}`),
    pods: new Map(s.pods.map((p) => [p.name, podNamespace(prefix, p.name)])),
    ipv6: v6,
    prefix,
  };
  for (const ns of [topo.lan, topo.client, ...topo.nodes, ...topo.pods.values()]) await addNamespace(ns);

  await ip(topo.lan, 'link', 'add', 'br0', 'type', 'bridge');
  await ip(topo.lan, 'link', 'set', 'br0', 'up');
  const joinLan = async (ns: string, port: string): Promise<void> => {
    await veth(ns, 'eth0', topo.lan, port);
    await ip(topo.lan, 'link', 'set', port, 'master', 'br0');
    await ip(topo.lan, 'link', 'set', port, 'up');
    await ip(ns, 'link', 'set', 'eth0', 'up');
  };

  await joinLan(topo.client, 'p-client');
  await ip(topo.client, 'addr', 'add', `${A.CLIENT_IP}/24`, 'dev', 'eth0');
  await ip(topo.client, 'route', 'add', lan.net, 'dev', 'eth0');
  if (v6) {
    await ip(topo.client, '-6', 'addr', 'add', `${A.CLIENT_IP6}/64`, 'dev', 'eth0', 'nodad');
    await ip(topo.client, '-6', 'route', 'add', A.LAN_NET6, 'dev', 'eth0');
  }

  for (const [k, spec] of s.nodes.entries()) {
    const ns = topo.nodes[k]!;
    await joinLan(ns, `p-n${k}`);
    await ip(ns, 'addr', 'add', `${lan.nodeIp(k)}/24`, 'dev', 'eth0');
    for (const extra of spec.extraIps ?? []) await ip(ns, 'addr', 'add', `${extra}/24`, 'dev', 'eth0');
    await ip(ns, 'route', 'add', A.CLIENT_NET, 'dev', 'eth0');
    // Lesson from earlier labs: without a default route, proxy ARP for 169.254.1.1 stays silent.
    await ip(ns, 'route', 'add', 'default', 'via', lan.gw, 'dev', 'eth0');
    await sysctl(
      ns,
      'net.ipv4.ip_forward=1',
      `net.ipv4.conf.all.route_localnet=${spec.routeLocalnet === true ? 1 : 0}`,
    );
    if (v6) {
      await sysctl(ns, `net.ipv6.conf.all.forwarding=${spec.ipv6Forwarding === false ? 0 : 1}`);
      await ip(ns, '-6', 'addr', 'add', `${A.nodeIp6(k)}/64`, 'dev', 'eth0', 'nodad');
      await ip(ns, '-6', 'route', 'add', A.CLIENT_NET6, 'dev', 'eth0');
    }
    for (const [m] of s.nodes.entries()) {
      if (m === k) continue;
      await ip(ns, 'route', 'add', A.podNet(m), 'via', lan.nodeIp(m), 'dev', 'eth0');
      if (v6) await ip(ns, '-6', 'route', 'add', A.podNet6(m), 'via', A.nodeIp6(m), 'dev', 'eth0');
    }
  }

  for (const pod of s.pods) await addPod(topo, pod, v6);
  return topo;
}

/** The namespace of pod `name` in a topology with this prefix. */
export const podNamespace = (prefix: string, name: string): string => `${prefix}p-${name}`;

/** Wires pod `pod` (its namespace already exists: topo.pods names it) to its node. */
export async function addPod(topo: Topology, pod: PodSpec, v6: boolean): Promise<void> {
  const pns = topo.pods.get(pod.name)!;
  const nns = topo.nodes[pod.node];
  if (nns === undefined) throw new Error(`pod ${pod.name}: no node ${pod.node}`);
  if (!pod.ip.startsWith(`10.244.${pod.node}.`)) throw new Error(`pod ${pod.name}: ${pod.ip} is not in node ${pod.node}'s /24`);
  const hv = A.hostVeth(pod.name);
  await veth(pns, 'eth0', nns, hv);
  await ip(pns, 'addr', 'add', `${pod.ip}/32`, 'dev', 'eth0');
  await ip(pns, 'link', 'set', 'eth0', 'up');
  await ip(pns, 'route', 'add', 'default', 'via', A.POD_GW, 'dev', 'eth0', 'onlink');
  await ip(nns, 'link', 'set', hv, 'up');
  // proxy_delay=0 as Calico sets it: by default proxy ARP answers after a random delay of up to
  // 0.8 s, which eats most of a 1 s connect timeout on a pod's first packet.
  await sysctl(nns, `net.ipv4.conf.${hv}.proxy_arp=1`, `net.ipv4.neigh.${hv}.proxy_delay=0`);
  await ip(nns, 'route', 'add', `${pod.ip}/32`, 'dev', hv);
  if (v6 && pod.ip6 !== undefined) {
    // IPv6 has no proxy_arp; the node-side veth simply owns the gateway address fe80::1.
    await ip(nns, '-6', 'addr', 'add', `${A.POD_GW6}/64`, 'dev', hv, 'nodad');
    await ip(pns, '-6', 'addr', 'add', `${pod.ip6}/128`, 'dev', 'eth0', 'nodad');
    await ip(pns, '-6', 'route', 'add', 'default', 'via', A.POD_GW6, 'dev', 'eth0');
    await ip(nns, '-6', 'route', 'add', `${pod.ip6}/128`, 'dev', hv);
  }
}
