/**
 * Everything in one node's netfilter, in the order the writers got there. iptables, per backend:
 * kubelet (KUBE-IPTABLES-HINT, canary, KUBE-FIREWALL), kube-proxy in iptables mode
 * (kube-proxy-rules.ts), a stale kube-proxy copy if the spec has one, the host firewall, the CNI
 * (flannel's FLANNEL-POSTRTG / FLANNEL-FWD) and ip-masq-agent; kubelet and kube-proxy prepend
 * their jumps, the others append, a host firewall's `insert` rules end up first. Native nftables
 * tables: a host firewall's (firewalld's nftables backend) load at boot, before any iptables
 * table; kube-proxy in nftables mode (kube-proxy-nft.ts) creates `table ip kube-proxy` after
 * kubelet's iptables tables exist, and writes no iptables rule at all.
 *
 * In a dual-stack cluster the same writers fill ip6tables too: kubelet only its hint and canary
 * chains (its KUBE-FIREWALL localnet DROP is IPv4-only), kube-proxy's IPv6 proxier (its
 * `table ip6 kube-proxy` after `table ip kube-proxy` in nftables mode), the host firewall's
 * hostFirewall6 / forwardPolicy6, flannel with its IPv6 networks. A stale kube-proxy copy and
 * ip-masq-agent stay IPv4-only.
 */
import type { KubeObject } from '../../../src/snapshot/schema.js';
import { slicesOf } from './endpoint-slices.js';
import { interfacesOf, localAddresses } from './host.js';
import { restoreText, Ruleset } from './iptables-text.js';
import { kubeProxyNftTable } from './kube-proxy-nft.js';
import { kubeProxySettings, writeKubeProxyRules, type KubeProxyInput } from './kube-proxy-rules.js';
import { writeKubeProxyIpvsRules } from './kube-proxy-ipvs.js';
import { nftText, type NftTableSpec } from './nft-model.js';
import {
  findNode, internalIPOfFamily, type Backend, type ClusterSpec, type Family, type HostFirewallSpec, type IpMasqAgentSpec, type NodeSpec, type TableName,
} from './spec.js';

export interface NodeRulesets {
  /** What plain `iptables` uses on the host. */
  defaultBackend: Backend;
  nft: Ruleset;
  legacy: Ruleset;
  /** The ip6tables rulesets (empty in a single-stack cluster). */
  nft6: Ruleset;
  legacy6: Ruleset;
  /** Native nftables tables, in creation order: `boot` ones before any iptables table, `late` ones after. */
  nftables: { boot: NftTableSpec[]; late: NftTableSpec[] };
}

/** What loads a node's rules into an empty netns, in this order: boot, legacy, nft, late. */
export interface NodeRestoreInput {
  /** `nft -f` input of the boot-time native tables (a firewalld with the nftables backend); '' when none. */
  nftablesBoot: string;
  /** iptables-legacy-restore input. */
  legacy: string;
  /** iptables-nft-restore input. */
  nft: string;
  /** ip6tables-legacy-restore and ip6tables-nft-restore input ('' in a single-stack cluster). */
  legacy6: string;
  nft6: string;
  /** `nft -f` input of the tables written later (kube-proxy in nftables mode); '' when none. */
  nftablesLate: string;
}

/** Slices of every Service, keyed `ns/name` (what kube-proxy's informers hold). */
export function slicesByService(spec: ClusterSpec): Map<string, KubeObject[]> {
  return new Map(spec.services.map((s) => [`${s.namespace}/${s.name}`, slicesOf(spec, s)]));
}

export const defaultBackendOf = (node: NodeSpec): Backend => (node.iptablesVersionSkew === true ? 'legacy' : node.iptablesBackend ?? 'nft');

export function nodeRulesets(spec: ClusterSpec, nodeName: string, slices: Map<string, KubeObject[]> = slicesByService(spec)): NodeRulesets {
  const node = findNode(spec, nodeName);
  const defaultBackend = defaultBackendOf(node);
  const split = node.splitBackend ?? {};
  const sets: Record<Backend, Ruleset> = { nft: new Ruleset(), legacy: new Ruleset() };
  const sets6: Record<Backend, Ruleset> = { nft: new Ruleset(6), legacy: new Ruleset(6) };
  const backend = (b: Backend | undefined): Ruleset => sets[b ?? defaultBackend];
  const backend6 = (b: Backend | undefined): Ruleset => sets6[b ?? defaultBackend];
  const dual = spec.ipv6 !== undefined;

  const nftables: NodeRulesets['nftables'] = { boot: [...(node.hostFirewall?.nftables ?? [])], late: [] };

  writeKubeletRules(backend(split.kubelet));
  if (dual) writeKubeletRules(backend6(split.kubelet));
  const input = kubeProxyInput(spec, node, slices);
  // One proxier per family (metaproxier), IPv4 first.
  const inputs = dual ? [input, kubeProxyInput(spec, node, slices, 6)] : [input];
  if (node.kubeProxy?.running !== false && node.kubeProxy?.crashLooping !== true) {
    switch (input.settings.mode) {
      case 'iptables':
        for (const i of inputs) writeKubeProxyRules((i.settings.family === 6 ? backend6 : backend)(split.kubeProxy), i);
        break;
      case 'nftables':
        // kube-proxy refuses nftables mode on kernels older than 5.13 and exits: no table.
        if (!kernelBefore(node.kernelRelease, 5, 13)) nftables.late.push(...inputs.map(kubeProxyNftTable));
        break;
      case 'ipvs':
        // node-commands.ts prints the IPVS state itself (ipvsadm-save, ipset list).
        writeKubeProxyIpvsRules(backend(split.kubeProxy), input);
        break;
    }
  }
  if (split.staleKubeProxy !== undefined) {
    // An earlier kube-proxy in iptables mode left it: its settings are iptables mode's.
    const stale = kubeProxyInput(spec, { ...node, kubeProxy: { ...node.kubeProxy, mode: 'iptables' } }, slices);
    writeKubeProxyRules(sets[split.staleKubeProxy.backend], { ...stale, staleEndpoints: split.staleKubeProxy.endpoints ?? input.staleEndpoints });
  }
  // A host firewall loads at boot: after kubelet's and kube-proxy's prepended jumps, before the CNI's appends.
  const firewall = backend(split.hostFirewall);
  writeHostFirewall(firewall, node.hostFirewall ?? {});
  if (node.forwardPolicy !== undefined) firewall.table('filter').policies.set('FORWARD', node.forwardPolicy);
  if (dual) {
    const firewall6 = backend6(split.hostFirewall);
    writeHostFirewall(firewall6, node.hostFirewall6 ?? {});
    if (node.forwardPolicy6 !== undefined) firewall6.table('filter').policies.set('FORWARD', node.forwardPolicy6);
  }
  if (spec.cni === 'bridge') writeFlannelRules(backend(split.cni), spec.clusterCIDR, node.podCIDR, '224.0.0.0/4');
  if (spec.cni === 'bridge' && spec.ipv6 !== undefined && node.podCIDR6 !== undefined) writeFlannelRules(backend6(split.cni), spec.ipv6.clusterCIDR, node.podCIDR6, 'ff00::/8');
  if (spec.ipMasqAgent !== undefined) writeIpMasqAgentRules(backend(split.cni), spec.ipMasqAgent);
  return { defaultBackend, nft: sets.nft, legacy: sets.legacy, nft6: sets6.nft, legacy6: sets6.legacy, nftables };
}

/** What one node's kube-proxy (its proxier of `family`) works from: its settings, the Services' slices, the node's addresses. */
export function kubeProxyInput(spec: ClusterSpec, node: NodeSpec, slices: Map<string, KubeObject[]> = slicesByService(spec), family: Family = 4): KubeProxyInput {
  const settings = kubeProxySettings(spec, node, family);
  // cmd/kube-proxy/app/server.go detectNodeIPs: the InternalIP of the Node its own name finds, else loopback.
  const self = spec.nodes.find((n) => n.name === settings.nodeName);
  const loopback = family === 6 ? '::1' : '127.0.0.1';
  return {
    spec,
    settings,
    slices,
    staleEndpoints: node.kubeProxy?.staleEndpoints,
    localAddresses: localAddresses(interfacesOf(spec, node), family),
    nodeIP: (self === undefined ? undefined : internalIPOfFamily(self, family)) ?? loopback,
  };
}

/** The loading input for a node's rulesets (see NodeRestoreInput). */
export function restoreInputOf(r: NodeRulesets): NodeRestoreInput {
  const nftFile = (tables: NftTableSpec[]): string => tables.map(nftText).join('');
  return {
    nftablesBoot: nftFile(r.nftables.boot), legacy: restoreText(r.legacy), nft: restoreText(r.nft),
    legacy6: restoreText(r.legacy6), nft6: restoreText(r.nft6), nftablesLate: nftFile(r.nftables.late),
  };
}

/** The node's rules as restore input: iptables per backend ('' when a backend holds nothing) and `nft -f` text. */
export function nodeRestoreInput(spec: ClusterSpec, nodeName: string): NodeRestoreInput {
  return restoreInputOf(nodeRulesets(spec, nodeName));
}

/** pkg/kubelet/kubelet_network_linux.go: the backend hint, the canary, and (IPv4 only: "ipv6 doesn't have this issue") the localnet guard. */
function writeKubeletRules(rs: Ruleset): void {
  const mangle = rs.table('mangle');
  mangle.declare('KUBE-IPTABLES-HINT');
  const nat = rs.table('nat');
  const filter = rs.table('filter');
  for (const t of [mangle, nat, filter]) t.declare('KUBE-KUBELET-CANARY');
  if (rs.family === 6) return;
  filter.append('KUBE-FIREWALL', '-m comment --comment "block incoming localnet connections" --dst 127.0.0.0/8 ! --src 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP');
  filter.ensureFirst('OUTPUT', '-j KUBE-FIREWALL');
  filter.ensureFirst('INPUT', '-j KUBE-FIREWALL');
}

/** flannel's iptables rules (pkg/trafficmngr/iptables; ip6tables with EnableIPv6), in its own save-style words. */
function writeFlannelRules(rs: Ruleset, clusterCIDR: string, podCIDR: string, multicast: string): void {
  const nat = rs.table('nat');
  const masq = '-m comment --comment "flanneld masq"';
  nat.append('POSTROUTING', `${masq} -j FLANNEL-POSTRTG`);
  nat.append('FLANNEL-POSTRTG', `-m mark --mark 0x4000/0x4000 ${masq} -j RETURN`);
  nat.append('FLANNEL-POSTRTG', `-s ${podCIDR} -d ${clusterCIDR} ${masq} -j RETURN`);
  nat.append('FLANNEL-POSTRTG', `-s ${clusterCIDR} -d ${podCIDR} ${masq} -j RETURN`);
  nat.append('FLANNEL-POSTRTG', `! -s ${clusterCIDR} -d ${podCIDR} ${masq} -j RETURN`);
  nat.append('FLANNEL-POSTRTG', `-s ${clusterCIDR} ! -d ${multicast} ${masq} -j MASQUERADE --random-fully`);
  nat.append('FLANNEL-POSTRTG', `! -s ${clusterCIDR} -d ${clusterCIDR} ${masq} -j MASQUERADE --random-fully`);
  const filter = rs.table('filter');
  const fwd = '-m comment --comment "flanneld forward"';
  filter.append('FORWARD', `${fwd} -j FLANNEL-FWD`);
  filter.append('FLANNEL-FWD', `-s ${clusterCIDR} ${fwd} -j ACCEPT`);
  filter.append('FLANNEL-FWD', `-d ${clusterCIDR} ${fwd} -j ACCEPT`);
}

/** ip-masq-agent's defaults: RFC 1918 and the other reserved ranges it never masquerades to. */
const IP_MASQ_DEFAULTS = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '192.0.0.0/24', '192.0.2.0/24', '192.88.99.0/24', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '240.0.0.0/4'];

function writeIpMasqAgentRules(rs: Ruleset, o: IpMasqAgentSpec): void {
  const nat = rs.table('nat');
  nat.append('POSTROUTING', '-m comment --comment "ip-masq-agent: ensure nat POSTROUTING directs all non-LOCAL destination traffic to our custom IP-MASQ-AGENT chain" -m addrtype ! --dst-type LOCAL -j IP-MASQ-AGENT');
  const local = '-m comment --comment "ip-masq-agent: local traffic is not subject to MASQUERADE" -j RETURN';
  if (o.masqLinkLocal !== true) nat.append('IP-MASQ-AGENT', `-d 169.254.0.0/16 ${local}`);
  for (const cidr of o.nonMasqueradeCIDRs ?? IP_MASQ_DEFAULTS) nat.append('IP-MASQ-AGENT', `-d ${cidr} ${local}`);
  nat.append('IP-MASQ-AGENT', '-m comment --comment "ip-masq-agent: outbound traffic is subject to MASQUERADE (must be last in chain)" -j MASQUERADE');
}

const CHAIN_OF = /^-A (\S+) (.*)$/;

function writeHostFirewall(rs: Ruleset, fw: HostFirewallSpec): void {
  for (const [name, t] of Object.entries(fw).filter(([k]) => k !== 'nftables') as [TableName, NonNullable<HostFirewallSpec[TableName]>][]) {
    const table = rs.table(name);
    for (const chain of t.chains ?? []) table.declare(chain);
    for (const [chain, policy] of Object.entries(t.policies ?? {})) table.policies.set(chain, policy);
    const split = (line: string): [string, string] => {
      const m = CHAIN_OF.exec(line.trim());
      if (m === null) throw new Error(`host firewall rule must look like "-A CHAIN …": ${line}`);
      return [m[1] ?? '', m[2] ?? ''];
    };
    for (const line of t.append ?? []) table.append(...split(line));
    for (const line of [...(t.insert ?? [])].reverse()) table.insert(...split(line));
  }
}

/** Whether a `uname -r` release is older than major.minor (undefined: the kit's default, 6.1). */
function kernelBefore(release: string | undefined, major: number, minor: number): boolean {
  const m = /^(\d+)\.(\d+)/.exec(release ?? '');
  return m !== null && (Number(m[1]) < major || (Number(m[1]) === major && Number(m[2]) < minor));
}
