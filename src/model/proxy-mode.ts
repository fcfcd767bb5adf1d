/**
 * Which kube-proxy mode a node runs. The ConfigMap says what was asked for (`mode:`; empty means
 * iptables on Linux); the node's own state says what kube-proxy actually wrote: its nft table
 * `ip kube-proxy` (nftables), IPVS virtual services and the KUBE-NODE-PORT chain (ipvs), or
 * KUBE-SERVICES with KUBE-NODEPORTS / KUBE-SVC-* chains (iptables).
 */
import type { Ruleset } from '../engine/iptables/ruleset.js';
import type { NftTable } from '../engine/nft/index.js';
import type { ClusterModel } from './cluster.js';

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

/** Every mode whose rules the node holds (more than one after a mode switch without clean-up). */
export function observedModes(cluster: ClusterModel, node: string): ObservedMode[] | null {
  const r = cluster.nodeDataOf(node).rulesFor(4);
  if (!r.ok) return null;
  const out: ObservedMode[] = [];
  const table = kubeProxyNftTable(r.plane.nft?.flatMap((rs) => rs.tables) ?? []);
  if (table !== null && table.chains.size > 0) out.push({ mode: 'nftables', evidence: `nft table ip kube-proxy (${table.chains.size} chains)` });
  const services = r.plane.ipvs?.services.length ?? 0;
  const ipvsChain = r.rulesets.some((rs) => rs.tables.get('nat')?.chains.has('KUBE-NODE-PORT'));
  if (services > 0 || ipvsChain) {
    out.push({ mode: 'ipvs', evidence: [services > 0 ? `${services} IPVS virtual services` : null, ipvsChain ? 'nat chain KUBE-NODE-PORT' : null].filter(Boolean).join(' and ') });
  }
  const iptables = r.rulesets.find((rs) => iptablesModeChains(rs));
  if (iptables !== undefined) out.push({ mode: 'iptables', evidence: `nat KUBE-NODEPORTS / KUBE-SVC-* chains in ${iptables.source}` });
  return out;
}

export function kubeProxyNftTable(tables: NftTable[]): NftTable | null {
  return tables.find((t) => t.family === 'ip' && t.name === 'kube-proxy' && !t.iptablesNft) ?? null;
}

function iptablesModeChains(rs: Ruleset): boolean {
  const nat = rs.tables.get('nat');
  if (nat === undefined) return false;
  if (nat.chains.has('KUBE-NODEPORTS')) return true;
  for (const name of nat.chains.keys()) if (name.startsWith('KUBE-SVC-')) return true;
  return false;
}
