/** The rules of one chain on one node, for expanding a ladder rung into the chain it stands in. */
import { rulesOf } from '../../engine/iptables/parse.js';
import type { ClusterModel } from '../../model/cluster.js';
import type { Hop } from './ladder.js';

export interface ChainListing {
  /** `filter/FORWARD (policy DROP) on node-1, iptables-nft` */
  title: string;
  rules: { line: number; text: string; matched: boolean }[];
}

export function chainRules(cluster: ClusterModel, node: string, hop: Hop): ChainListing | { why: string } {
  const rules = cluster.nodeDataOf(node).rulesFor(4);
  if (!rules.ok) return { why: rules.why };
  // With both backends in use, the hop says which dump its rule is in.
  const candidates = rules.rulesets.filter((r) => hop.backend === undefined || r.backend === hop.backend);
  for (const ruleset of candidates) {
    const chain = ruleset.tables.get(hop.table)?.chains.get(hop.chain);
    if (chain === undefined) continue;
    try {
      return {
        title: `${hop.table}/${hop.chain}${chain.policy ? ` (policy ${chain.policy})` : ''} on ${node}, ${ruleset.source}`,
        rules: rulesOf(ruleset, chain).map((r) => ({ line: r.line, text: r.text, matched: r.line === hop.line })),
      };
    } catch (e) {
      return { why: (e as Error).message };
    }
  }
  return { why: `${node} has no chain ${hop.table}/${hop.chain} in its dump` };
}
