/** The rules of one chain on one node, for expanding a ladder rung into the chain it stands in. */
import { rulesOf } from '../../engine/iptables/parse.js';
import type { ClusterModel } from '../../model/cluster.js';
import type { Hop } from './ladder.js';

export interface ChainListing {
  /** `filter/FORWARD (policy DROP) on node-1, iptables-nft` */
  title: string;
  /** What a rule's number is: nftables rules are named by handle, iptables and IPVS ones by dump line. */
  unit: 'handle' | 'line';
  rules: { line: number; text: string; matched: boolean }[];
}

/** `family`: the path's, whose rules (iptables or ip6tables, and the nft ruleset) the hop came from. */
export function chainRules(cluster: ClusterModel, node: string, hop: Hop, family: 4 | 6): ChainListing | { why: string } {
  const rules = cluster.nodeDataOf(node).rulesFor(family);
  if (!rules.ok) return { why: rules.why };
  if (hop.family !== undefined) {
    // An nftables rule: its chain from the node's nft ruleset, rules numbered by handle.
    for (const rs of rules.plane.nft ?? []) {
      const chain = rs.tables.find((t) => t.family === hop.family && t.name === hop.table)?.chains.get(hop.chain);
      if (chain === undefined) continue;
      return {
        title: `${hop.family} ${hop.table}/${hop.chain}${chain.base ? ` (${chain.base.type} hook ${chain.base.hook.toLowerCase()} priority ${chain.base.priority}, policy ${chain.base.policy})` : ''} on ${node}, ${rs.source}`,
        unit: 'handle',
        rules: chain.rules.map((r) => ({ line: r.handle, text: r.text, matched: r.handle === hop.handle })),
      };
    }
    return { why: `${node} has no nft chain ${hop.family} ${hop.table}/${hop.chain}` };
  }
  if (hop.table === 'ipvs') {
    const ipvs = rules.plane.ipvs;
    if (!ipvs) return { why: `${node} has no IPVS state in the snapshot` };
    return {
      title: `IPVS virtual services on ${node}, ${ipvs.source}`,
      unit: 'line',
      rules: ipvs.services.flatMap((s) => [s, ...s.reals]).map((x) => ({ line: x.line, text: x.text, matched: x.line === hop.line })),
    };
  }
  // With both backends in use, the hop says which dump its rule is in.
  const candidates = rules.rulesets.filter((r) => hop.backend === undefined || r.backend === hop.backend);
  for (const ruleset of candidates) {
    const chain = ruleset.tables.get(hop.table)?.chains.get(hop.chain);
    if (chain === undefined) continue;
    try {
      return {
        title: `${hop.table}/${hop.chain}${chain.policy ? ` (policy ${chain.policy})` : ''} on ${node}, ${ruleset.source}`,
        unit: 'line',
        rules: rulesOf(ruleset, chain).map((r) => ({ line: r.line, text: r.text, matched: r.line === hop.line })),
      };
    } catch (e) {
      return { why: (e as Error).message };
    }
  }
  return { why: `${node} has no chain ${hop.table}/${hop.chain} in its dump` };
}
