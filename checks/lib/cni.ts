/**
 * Which CNI carries pod traffic between nodes, from what the nodes show: their devices
 * (`ip -j addr`) first, the CNI's iptables chains as a fallback; and what its tunnel needs from
 * the network between the nodes. Ports are each project's defaults (flannel's backends doc,
 * Calico's network requirements, Cilium's firewall rules, Weave Net's installation notes).
 */
import type { CheckContext } from '../../src/check-kit/index.js';
import { linksOf } from './ip-addr.js';

export type CniName = 'flannel' | 'Calico' | 'Cilium' | 'Weave Net';

/** What a tunnel needs the network between nodes to let through: `UDP 8472`, `IP protocol 4`. */
export interface Need {
  proto: 'UDP' | 'TCP' | 'IP';
  /** A port or range (TCP, UDP), or the IP protocol number. */
  port: string;
  what: string;
}

export interface Tunnel {
  mode: string;
  needs: Need[];
}

interface Device {
  cni: CniName;
  /** The tunnel it is; null: not a tunnel. */
  tunnel: Tunnel | null;
}

const udp = (port: string, what: string): Need => ({ proto: 'UDP', port, what });
const WEAVE: Tunnel = { mode: 'Weave Net\'s sleeve and fast datapath', needs: [{ proto: 'TCP', port: '6783', what: 'control' }, udp('6783-6784', 'data')] };

/** Devices by exact name. Their names are fixed by each CNI (none is configurable per node). */
const DEVICES: Record<string, Device> = {
  'flannel.1': { cni: 'flannel', tunnel: { mode: 'VXLAN', needs: [udp('8472', 'VXLAN, the Linux kernel\'s default port')] } },
  'flannel-wg': { cni: 'flannel', tunnel: { mode: 'WireGuard', needs: [udp('51820', 'WireGuard')] } },
  'flannel-wg-v6': { cni: 'flannel', tunnel: { mode: 'WireGuard (IPv6)', needs: [udp('51821', 'WireGuard, IPv6')] } },
  'vxlan.calico': { cni: 'Calico', tunnel: { mode: 'VXLAN', needs: [udp('4789', 'VXLAN, the IANA port')] } },
  'wireguard.cali': { cni: 'Calico', tunnel: { mode: 'WireGuard', needs: [udp('51820', 'WireGuard')] } },
  // tunl0 exists wherever the ipip module is loaded; with an address it is Calico's IPIP tunnel (see cniOf).
  tunl0: { cni: 'Calico', tunnel: { mode: 'IPIP', needs: [{ proto: 'IP', port: '4', what: 'IP-in-IP: neither TCP nor UDP, so a rule must allow the protocol itself' }, { proto: 'TCP', port: '179', what: 'BGP, which carries the routes' }] } },
  cilium_host: { cni: 'Cilium', tunnel: null },
  cilium_vxlan: { cni: 'Cilium', tunnel: { mode: 'VXLAN', needs: [udp('8472', 'VXLAN')] } },
  cilium_geneve: { cni: 'Cilium', tunnel: { mode: 'Geneve', needs: [udp('6081', 'Geneve')] } },
  cilium_wg0: { cni: 'Cilium', tunnel: { mode: 'WireGuard', needs: [udp('51871', 'WireGuard')] } },
  weave: { cni: 'Weave Net', tunnel: WEAVE },
  'vxlan-6784': { cni: 'Weave Net', tunnel: WEAVE },
};

/** `UDP 8472 (VXLAN…)`, `IP protocol 4 (IP-in-IP…)`. */
export function needText(n: Need): string {
  return `${n.proto === 'IP' ? 'IP protocol' : n.proto} ${n.port} (${n.what})`;
}

/** Calico's per-pod veths are cali + 11 hex digits; Calico in routed mode shows nothing else. */
const CALICO_VETH = /^cali[0-9a-f]{11}$/;

/** Chain prefixes each CNI writes in iptables, the fallback when no device names it. */
const CHAINS: [RegExp, CniName][] = [[/^FLANNEL-/, 'flannel'], [/^cali-/, 'Calico'], [/^CILIUM_/, 'Cilium'], [/^WEAVE/, 'Weave Net']];

/** Devices read and no tunnel among them: what the network between the nodes must do for routed pod addresses (null: it always tunnels). */
const ROUTED: Record<CniName, string | null> = {
  flannel: 'flannel host-gw routes each node\'s pod subnet to that node\'s address: the nodes must share one L2 segment, and the network must forward packets whose addresses are pod addresses',
  Calico: 'Calico without encapsulation routes pod addresses natively and learns the routes over BGP (TCP 179): the network must forward packets whose addresses are pod addresses',
  Cilium: 'Cilium in native routing mode sends pod addresses unencapsulated: the network must route the pod CIDRs to the nodes',
  'Weave Net': null,
};

export interface CniSeen {
  /** null: nothing known showed on the nodes. */
  cni: CniName | null;
  /** What showed it: a device (`flannel.1`, from `ip -j addr`) or a chain (`FLANNEL-FWD`, from a dump), per node. */
  seen: { node: string; what: string; kind: 'device' | 'chain'; source: string }[];
  /** The tunnels found (every possible one when modeUnknown), each with what it needs; empty when pods are routed without one. */
  tunnels: Tunnel[];
  /** Without a tunnel: what the network must do instead. */
  routed: string | null;
  /** Only chains showed the CNI (its devices were not read, or none is known): `tunnels` lists every one it may use. */
  modeUnknown: boolean;
}

/** Every tunnel a CNI may use. */
function tunnelsOf(cni: CniName): Tunnel[] {
  return [...new Map(Object.values(DEVICES).flatMap((d) => (d.cni === cni && d.tunnel !== null ? [[d.tunnel.mode, d.tunnel] as const] : []))).values()];
}

const IP_ADDR = 'ip -j addr';

/** At most this many devices or chains named as evidence. */
const MAX_SEEN = 8;

/** The CNI the nodes show; several (a migration) give the one with a tunnel, else the first found. */
export function cniOf(ctx: CheckContext, nodes: readonly string[]): CniSeen {
  const seen: (CniSeen['seen'][number] & { cni: CniName; tunnel: Device['tunnel'] })[] = [];
  let devicesRead = false;
  for (const node of nodes) {
    const devices = linksOf(ctx, node);
    if (devices !== null) devicesRead = true;
    for (const d of devices ?? []) {
      const known = DEVICES[d.name];
      if (known !== undefined && !(d.name === 'tunl0' && d.addresses.length === 0)) seen.push({ node, what: d.name, kind: 'device', source: IP_ADDR, cni: known.cni, tunnel: known.tunnel });
      else if (CALICO_VETH.test(d.name) && !seen.some((s) => s.node === node && s.what === 'cali*')) seen.push({ node, what: 'cali*', kind: 'device', source: IP_ADDR, cni: 'Calico', tunnel: null });
    }
  }
  if (seen.length === 0) {
    for (const node of nodes) {
      for (const { chain, source } of chainsOf(ctx, node)) {
        const hit = CHAINS.find(([re]) => re.test(chain));
        if (hit !== undefined && !seen.some((s) => s.cni === hit[1] && s.node === node)) seen.push({ node, what: chain, kind: 'chain', source, cni: hit[1], tunnel: null });
      }
    }
  }
  const cni = (seen.find((s) => s.tunnel !== null) ?? seen[0])?.cni ?? null;
  const mine = seen.filter((s) => s.cni === cni);
  const tunnels = [...new Map(mine.flatMap((s) => (s.tunnel === null ? [] : [[s.tunnel.mode, s.tunnel] as const]))).values()];
  const routed = cni !== null && tunnels.length === 0 && devicesRead ? ROUTED[cni] : null;
  const modeUnknown = cni !== null && tunnels.length === 0 && routed === null;
  return {
    cni,
    seen: mine.slice(0, MAX_SEEN).map(({ node, what, kind, source }) => ({ node, what, kind, source })),
    tunnels: modeUnknown ? tunnelsOf(cni) : tunnels,
    routed,
    modeUnknown,
  };
}

/** The chain names of a node's replayed dumps, with the dump; [] when not read. */
function chainsOf(ctx: CheckContext, node: string): { chain: string; source: string }[] {
  return (ctx.nodeState(node).rulesets ?? []).flatMap((rs) => [...rs.tables.values()].flatMap((t) => [...t.chains.keys()].map((chain) => ({ chain, source: rs.source }))));
}
