/**
 * A node's network devices and addresses as the CNI and the spec leave them: lo, eth0, the
 * `cni0` bridge with one veth per local pod (bridge CNI) or tunl0 with one caliXXXX veth per pod
 * (calico), and the extra addresses of the spec; in a dual-stack cluster eth0's and cni0's global
 * IPv6 addresses too. node-commands.ts prints them as `ip -j addr` and
 * derives the routes; kube-proxy reads them for --nodeport-addresses.
 */
import { broadcastOf, hex, isIPv6, linkLocal, macAddress, nthAddress, nthAddress6, parseCidr } from './net.js';
import { podPhaseOf, type ClusterSpec, type Family, type NodeSpec, type PodSpec } from './spec.js';

export interface Address {
  ip: string;
  prefix: number;
  /** A second address in a subnet the interface already has (ip prints "secondary"). */
  secondary?: boolean;
}

export interface Iface {
  ifindex: number;
  name: string;
  kind: 'loopback' | 'ether' | 'bridge' | 'veth' | 'ipip';
  mac: string;
  mtu: number;
  addrs: Address[];
  /** Global IPv6 addresses (dual-stack; the link-local one is linkLocalOf's). */
  addrs6: Address[];
  /** The bridge a veth is enslaved to. */
  master?: string;
  /** veth: the pod's network namespace id (link_netnsid) and the peer's ifindex there. */
  netnsid?: number;
  /** The pod behind a veth. */
  pod?: PodSpec;
}

/** Pods with their own network namespace on this node (what has a veth). */
export function podsWithVeth(spec: ClusterSpec, node: NodeSpec): PodSpec[] {
  return spec.pods.filter((p) => p.node === node.name && p.hostNetwork !== true && p.ip !== null && !['Succeeded', 'Failed'].includes(podPhaseOf(spec, p)));
}

/** Calico's tunl0 address: the first address of the node's block. */
export const tunnelAddress = (node: NodeSpec): string => nthAddress(node.podCIDR, 0);

/** The bridge's address: the first of the node's pod CIDR. */
export const bridgeAddress = (node: NodeSpec): string => nthAddress(node.podCIDR, 1);

export function interfacesOf(spec: ClusterSpec, node: NodeSpec): Iface[] {
  const podBits = parseCidr(node.podCIDR).bits;
  const ifaces: Iface[] = [
    { ifindex: 1, name: 'lo', kind: 'loopback', mac: '00:00:00:00:00:00', mtu: 65536, addrs: [{ ip: '127.0.0.1', prefix: 8 }], addrs6: [] },
    {
      ifindex: 2, name: 'eth0', kind: 'ether', mac: macAddress(`${node.name}/eth0`), mtu: 1500, addrs: [{ ip: node.ip, prefix: node.prefix ?? 24 }],
      addrs6: node.ip6 === undefined ? [] : [{ ip: node.ip6, prefix: 64 }],
    },
  ];
  if (spec.cni === 'bridge') {
    const bridge6 = node.podCIDR6 === undefined ? [] : [{ ip: nthAddress6(node.podCIDR6, 1), prefix: Number(node.podCIDR6.split('/')[1]) }];
    ifaces.push({ ifindex: 3, name: 'cni0', kind: 'bridge', mac: macAddress(`${node.name}/cni0`), mtu: 1500, addrs: [{ ip: bridgeAddress(node), prefix: podBits }], addrs6: bridge6 });
  } else {
    ifaces.push({ ifindex: 3, name: 'tunl0', kind: 'ipip', mac: '0.0.0.0', mtu: 1480, addrs: [{ ip: tunnelAddress(node), prefix: 32 }], addrs6: [] });
  }
  podsWithVeth(spec, node).forEach((pod, i) => {
    const id = `${pod.namespace}/${pod.name}`;
    ifaces.push({
      ifindex: 4 + i,
      name: spec.cni === 'bridge' ? `veth${hex(`veth/${id}`, 8)}` : `cali${hex(`cali/${id}`, 11)}`,
      kind: 'veth',
      mac: spec.cni === 'bridge' ? macAddress(`${node.name}/veth/${id}`) : 'ee:ee:ee:ee:ee:ee',
      mtu: spec.cni === 'bridge' ? 1500 : 1480,
      addrs: [],
      addrs6: [],
      ...(spec.cni === 'bridge' ? { master: 'cni0' } : {}),
      netnsid: i,
      pod,
    });
  });
  for (const extra of node.extraAddresses ?? []) {
    let iface = ifaces.find((f) => f.name === extra.iface);
    if (iface === undefined) {
      iface = { ifindex: ifaces.length + 1, name: extra.iface, kind: 'ether', mac: macAddress(`${node.name}/${extra.iface}`), mtu: 1500, addrs: [], addrs6: [] };
      ifaces.push(iface);
    }
    if (isIPv6(extra.ip)) {
      iface.addrs6.push({ ip: extra.ip, prefix: extra.prefix });
      continue;
    }
    const sameNet = iface.addrs.some((a) => parseCidr(`${a.ip}/${a.prefix}`).base === parseCidr(`${extra.ip}/${a.prefix}`).base && a.prefix === extra.prefix);
    iface.addrs.push({ ip: extra.ip, prefix: extra.prefix, ...(sameNet ? { secondary: true } : {}) });
  }
  return ifaces;
}

/** Every address of one family of the node, in interface order (what kube-proxy's interface lister returns). */
export const localAddresses = (ifaces: Iface[], family: Family = 4): string[] => (family === 4
  ? ifaces.flatMap((f) => f.addrs.map((a) => a.ip))
  : ifaces.flatMap((f) => [...(f.kind === 'loopback' ? ['::1'] : []), ...f.addrs6.map((a) => a.ip), ...[linkLocalOf(f) ?? []].flat()]));

/** An interface's IPv6 link-local address (every non-loopback, non-ipip device has one). */
export const linkLocalOf = (f: Iface): string | null => (f.kind === 'loopback' || f.kind === 'ipip' ? null : linkLocal(f.mac));

// ---------------------------------------------------------------------------------------------
// ip -j addr

const FOREVER = { valid_life_time: 4294967295, preferred_life_time: 4294967295 };

/** One interface as `ip -j addr` prints it; `idle`: a bridge without carrier. */
export function ipAddrJson(f: Iface, idle: boolean): Record<string, unknown> {
  const inet = f.addrs.map((a) => ({
    family: 'inet',
    local: a.ip,
    prefixlen: a.prefix,
    ...(a.prefix < 31 && f.kind !== 'loopback' ? { broadcast: broadcastOf(`${a.ip}/${a.prefix}`) } : {}),
    scope: f.kind === 'loopback' && a.ip.startsWith('127.') ? 'host' : 'global',
    ...(a.secondary === true ? { secondary: true } : {}),
    label: f.name,
    ...FOREVER,
  }));
  const ll = linkLocalOf(f);
  // The kernel lists an interface's IPv6 addresses by scope: global before link-local.
  const global6 = f.addrs6.map((a) => ({ family: 'inet6', local: a.ip, prefixlen: a.prefix, scope: 'global', ...FOREVER }));
  const inet6 = f.kind === 'loopback'
    ? [{ family: 'inet6', local: '::1', prefixlen: 128, scope: 'host', ...FOREVER }]
    : [...global6, ...(ll === null ? [] : [{ family: 'inet6', local: ll, prefixlen: 64, scope: 'link', ...FOREVER }])];
  const flags = f.kind === 'loopback' ? ['LOOPBACK', 'UP', 'LOWER_UP']
    : f.kind === 'ipip' ? ['NOARP', 'UP', 'LOWER_UP']
      : idle ? ['NO-CARRIER', 'BROADCAST', 'MULTICAST', 'UP'] : ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'];
  return {
    ifindex: f.ifindex,
    ...(f.kind === 'veth' ? { link_index: f.name.startsWith('cali') ? 4 : 3 } : {}),
    ifname: f.name,
    flags,
    mtu: f.mtu,
    qdisc: f.kind === 'ether' ? 'fq_codel' : 'noqueue',
    ...(f.master !== undefined ? { master: f.master } : {}),
    operstate: f.kind === 'loopback' || f.kind === 'ipip' ? 'UNKNOWN' : idle ? 'DOWN' : 'UP',
    group: 'default',
    txqlen: 1000,
    link_type: f.kind === 'loopback' ? 'loopback' : f.kind === 'ipip' ? 'ipip' : 'ether',
    address: f.mac,
    broadcast: f.kind === 'loopback' ? '00:00:00:00:00:00' : f.kind === 'ipip' ? '0.0.0.0' : 'ff:ff:ff:ff:ff:ff',
    ...(f.netnsid !== undefined ? { link_netnsid: f.netnsid } : {}),
    addr_info: [...inet, ...inet6],
  };
}
