/**
 * Which kube-proxy mode a node runs. The ConfigMap says what was asked for (`mode:`; empty means
 * iptables on Linux); the node's own state says what kube-proxy actually wrote: its nft table
 * `ip kube-proxy` (nftables), IPVS virtual services and the KUBE-NODE-PORT chain (ipvs), or
 * KUBE-SERVICES with KUBE-NODEPORTS / KUBE-SVC-* chains (iptables). A dual-stack kube-proxy runs
 * one proxier per family, each writing its own rules (ip6tables, `table ip6 kube-proxy`, IPv6
 * virtual services), so the mode is read from the rules of the family asked about.
 */
import type { Ruleset } from '../engine/iptables/ruleset.js';
import type { NftTable } from '../engine/nft/index.js';
import type { ClusterModel } from './cluster.js';
import type { Family } from './node-data.js';

export type ProxyMode = 'iptables' | 'ipvs' | 'nftables';

export const PROXY_MODES: readonly ProxyMode[] = ['iptables', 'ipvs', 'nftables'];

/** The mode the kube-proxy configuration asks for (a ProxyMode, or what an unknown config says), or null when it was not read. */
export function configuredMode(cluster: ClusterModel): { mode: string; source: string } | null {
  const c = cluster.kubeProxy;
  if (c === null) return null;
  return { mode: c.mode === '' ? 'iptables' : c.mode, source: c.source };
}

export interface ObservedMode {
  mode: ProxyMode;
  /** What on the node shows it, for evidence. */
  evidence: string;
}

/** Every mode whose rules of one family the node holds (more than one after a mode switch without clean-up). */
export function observedModes(cluster: ClusterModel, node: string, family: Family): ObservedMode[] | null {
  const r = cluster.nodeDataOf(node).rulesFor(family);
  if (!r.ok) return null;
  const out: ObservedMode[] = [];
  const table = kubeProxyNftTable(r.plane.nft?.flatMap((rs) => rs.tables) ?? [], family);
  if (table !== null && table.chains.size > 0) out.push({ mode: 'nftables', evidence: `nft table ${table.family} kube-proxy (${table.chains.size} chains)` });
  const services = r.plane.ipvs?.services.filter((s) => s.family === family).length ?? 0;
  const ipvsChain = r.rulesets.some(ipvsModeChain);
  if (services > 0 || ipvsChain) {
    out.push({ mode: 'ipvs', evidence: [services > 0 ? `${services} IPVS virtual services` : null, ipvsChain ? `nat chain ${IPVS_MODE_CHAIN}` : null].filter(Boolean).join(' and ') });
  }
  const iptables = r.rulesets.find((rs) => iptablesModeChains(rs));
  if (iptables !== undefined) out.push({ mode: 'iptables', evidence: `nat KUBE-NODEPORTS / KUBE-SVC-* chains in ${iptables.source}` });
  return out;
}

/** kube-proxy's own table for a family: `table ip kube-proxy`, or `table ip6 kube-proxy` (it never uses inet). */
export function kubeProxyNftTable(tables: NftTable[], family: Family): NftTable | null {
  const want = family === 4 ? 'ip' : 'ip6';
  return tables.find((t) => t.family === want && t.name === 'kube-proxy' && !t.iptablesNft) ?? null;
}

/** kube-proxy's IPVS mode writes this nat chain (its iptables mode writes KUBE-NODEPORTS instead). */
export const IPVS_MODE_CHAIN = 'KUBE-NODE-PORT';

export function ipvsModeChain(rs: Ruleset): boolean {
  return rs.tables.get('nat')?.chains.has(IPVS_MODE_CHAIN) === true;
}

/** Whether a dump holds kube-proxy's iptables- or IPVS-mode rules. */
export function kubeProxyChains(rs: Ruleset): boolean {
  return iptablesModeChains(rs) || ipvsModeChain(rs) || rs.tables.get('nat')?.chains.has('KUBE-SERVICES') === true;
}

function iptablesModeChains(rs: Ruleset): boolean {
  const nat = rs.tables.get('nat');
  if (nat === undefined) return false;
  if (nat.chains.has('KUBE-NODEPORTS')) return true;
  for (const name of nat.chains.keys()) if (name.startsWith('KUBE-SVC-')) return true;
  return false;
}
