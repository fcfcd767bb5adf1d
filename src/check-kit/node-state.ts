/**
 * What gathering recorded on one node, as checks read it: command output, sysctls, listening
 * sockets, the iptables dumps the walk replays, IPVS state, kube-proxy's nft table and the modes
 * its rules show. A node that was not reached answers "unknown" (null, undefined) everywhere.
 * Rules are those of the question's address family: ip6tables and `table ip6 kube-proxy` for IPv6.
 */
import type { ClusterModel } from '../model/cluster.js';
import type { Family, NodeData } from '../model/node-data.js';
import { ciliumTableOn, type CiliumTable } from '../model/cilium-services.js';
import { kubeProxyNftTable, observedModes, type ObservedMode } from '../model/proxy-mode.js';
import { proxyReplacementOn, type ProxyReplacement } from '../model/proxy-replacement.js';
import type { IpLink } from '../model/ip-links.js';
import { DUMPS } from '../model/node-view.js';
import type { ListeningSocket, PodSockets } from '../model/sockets.js';
import type { CommandOutput } from '../snapshot/schema.js';
import { type IpvsState, type NftTable, type Ruleset } from './engine.js';

/** The iptables-save (ip6tables-save) dumps a node may have: per backend, and the unsuffixed one of older nodes. */
export type IptablesDumpId = (typeof DUMPS)[Family][number][number];

/** A family's dump ids, in the order nodeView reads them: per backend (nft, legacy), then the unsuffixed one. */
export function iptablesDumpIds(family: Family): [nft: IptablesDumpId, legacy: IptablesDumpId, plain: IptablesDumpId] {
  const [[nft, legacy], [plain]] = DUMPS[family];
  return [nft, legacy, plain];
}

export interface GatheredNode {
  readonly name: string;
  /** The address family whose rules this view reads (the question's). */
  readonly family: Family;
  /** Why nothing was gathered from this node, or null when something was. */
  readonly unavailable: string | null;
  /** A command's output (ids in collect/node/commands.ts), or undefined when it did not run or was cut. */
  command(id: string): CommandOutput | undefined;
  /** `sysctl -e` values; empty when the command did not run. */
  readonly sysctls: ReadonlyMap<string, string>;
  sysctl(name: string): string | undefined;
  /** The listening sockets of the host network namespace (`ss -l`), loopback ones included; null when not gathered. */
  readonly sockets: readonly ListeningSocket[] | null;
  /** The node's links and their addresses (`ip -j addr`); null when not read. */
  readonly links: readonly IpLink[] | null;
  /** Listening ports in the host network namespace (`tcp/22`), loopback-only ones left out; null when not gathered. */
  readonly listening: ReadonlySet<string> | null;
  /**
   * The listening sockets in the network namespace that holds one of `podIps` (a pod with its own
   * network namespace on this node), or "unknown" and why, in words a person can act on.
   */
  podSockets(podIps: readonly string[]): PodSockets;
  /** The family's dumps the walk replays (both backends when both hold rules); null when they cannot be read. */
  readonly rulesets: Ruleset[] | null;
  /** One backend's dump of the family, null when empty, not run or unreadable. */
  backendDump(backend: 'legacy' | 'nft'): Ruleset | null;
  /**
   * One iptables-save dump that ran and succeeded: its argv and its rules (null when it printed no
   * table); null when it did not run, failed, or cannot be parsed.
   */
  iptablesDump(id: IptablesDumpId): { argv: string; ruleset: Ruleset | null } | null;
  /** IPVS virtual services (`ipvsadm-save -n`), null when not read. */
  readonly ipvs: IpvsState | null;
  /** Whether `ipset list` shows the set (false when it does not, or was not read). */
  hasIpset(name: string): boolean;
  /** kube-proxy's `table ip kube-proxy` (`ip6` for IPv6; nftables mode), null when the node has none or its rules were not read. */
  readonly kubeProxyTable: NftTable | null;
  /** Every kube-proxy mode whose rules of the family the node holds; null when its rules were not read. */
  readonly proxyModes: ObservedMode[] | null;
  /**
   * The dataplane that replaces kube-proxy on this node (Cilium, kube-router, OVN-Kubernetes), from
   * the node's devices and rules and the API's agent pods and cilium-config; null when none is seen.
   */
  readonly proxyReplacement: ProxyReplacement | null;
  /** Cilium's service table as the node's agent printed it (--exec-agent), or why it is unknown. */
  readonly ciliumServices: CiliumTable;
}

export function gatheredNode(cluster: ClusterModel, name: string, family: Family): GatheredNode {
  const data = cluster.nodeDataOf(name);
  const rules = () => data.rulesFor(family);
  let table: CiliumTable | undefined;
  return {
    name,
    family,
    get unavailable() {
      return data.unavailable;
    },
    command: (id) => data.command(id),
    get sysctls() {
      return data.sysctls;
    },
    sysctl: (key) => data.sysctl(key),
    get listening() {
      return data.listening;
    },
    get links() {
      return data.links;
    },
    get sockets() {
      return data.sockets;
    },
    podSockets: (podIps) => data.podSockets(podIps),
    get rulesets() {
      const r = rules();
      return r.ok ? r.rulesets : null;
    },
    backendDump: (backend) => data.backendDump(backend, family),
    iptablesDump: (id) => iptablesDump(data, id),
    get ipvs() {
      const r = rules();
      return r.ok ? r.plane.ipvs ?? null : null;
    },
    hasIpset(set) {
      const r = rules();
      return r.ok && r.plane.ipsets?.get(set) !== undefined;
    },
    get kubeProxyTable() {
      const r = rules();
      return r.ok ? kubeProxyNftTable(r.plane.nft?.flatMap((rs) => rs.tables) ?? [], family) : null;
    },
    get proxyModes() {
      return observedModes(cluster, name, family);
    },
    get proxyReplacement() {
      return proxyReplacementOn(cluster, name);
    },
    get ciliumServices() {
      // Parsed once per node: several checks read it.
      table ??= ciliumTableOn(cluster.snapshot.cluster.proxyReplacement?.agentOutputs, name);
      return table;
    },
  };
}

function iptablesDump(data: NodeData, id: IptablesDumpId): { argv: string; ruleset: Ruleset | null } | null {
  const out = data.command(id);
  if (out?.exitCode !== 0) return null;
  // An empty dump (no `*table` line) is "no rules", which says something; a missing one says nothing.
  const ruleset = data.dumpStructure(id);
  return ruleset === undefined ? null : { argv: out.argv.join(' '), ruleset };
}
