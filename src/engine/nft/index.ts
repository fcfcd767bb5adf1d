/**
 * The nftables engine: `nft -j list ruleset` → model (parse.ts), rule text (print.ts), and one
 * chain walked for one branch (chain.ts). The walker orders base chains by priority.
 */
import type { Hook } from '../packet/hooks.js';
import type { NftChain, NftRuleset, NftTable } from './ruleset.js';

export { IPTABLES_BUILTINS, IPTABLES_TABLES, parseNftJson } from './parse.js';
export { runNftChain, type NftChainCtx } from './chain.js';
export { printRule } from './print.js';
export type {
  NftBase, NftChain, NftFamily, NftOtherHook, NftRule, NftRuleset, NftSet, NftSetElement, NftTable,
} from './ruleset.js';

/**
 * Base chains at `hook` for IPv4 (tables of family ip and inet) or IPv6 (ip6 and inet), in table
 * then chain order; tables iptables-nft made are left out (the iptables dump covers them). Chains
 * at ingress/egress and of the arp, bridge and netdev families have no `base` and never appear.
 */
export function baseChainsAt(rs: NftRuleset, family: 4 | 6, hook: Hook): { table: NftTable; chain: NftChain }[] {
  const out: { table: NftTable; chain: NftChain }[] = [];
  const own = family === 4 ? 'ip' : 'ip6';
  for (const table of rs.tables) {
    if (table.iptablesNft || (table.family !== own && table.family !== 'inet')) continue;
    for (const chain of baseChainsOf(table)) if (chain.base?.hook === hook) out.push({ table, chain });
  }
  return out;
}

/**
 * A table's base chains, found once: kube-proxy's table holds 40k chains at 10k Services and the
 * walker asks for every hook of every walk. Recomputed if chains were added since.
 */
const bases = new WeakMap<NftTable, { size: number; chains: NftChain[] }>();

function baseChainsOf(table: NftTable): NftChain[] {
  let b = bases.get(table);
  if (!b || b.size !== table.chains.size) {
    b = { size: table.chains.size, chains: [...table.chains.values()].filter((c) => c.base !== null) };
    bases.set(table, b);
  }
  return b.chains;
}
