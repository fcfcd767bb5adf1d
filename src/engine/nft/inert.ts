/**
 * nftables rules that cannot change a packet's fate (see ../packet/inertness.ts): a rule that only
 * matches, counts, logs or limits; a return; a jump or goto to an inert chain.
 */
import { ParseError } from '../errors.js';
import { ruleInert as inertIn, type ChainGraph, type RuleShape } from '../packet/inertness.js';
import { compileRule } from './rule.js';
import type { NftChain, NftRuleset, NftTable } from './ruleset.js';

interface Where {
  ruleset: NftRuleset;
  table: NftTable;
}

function shapeOf(w: Where, chain: NftChain, i: number): RuleShape<NftChain> {
  try {
    return compileRule(w.ruleset, w.table, chain, chain.rules[i]!).shape;
  } catch (e) {
    if (e instanceof ParseError) return { kind: 'acts' };
    throw e;
  }
}

/** True when the i-th rule of `chain` changes nothing whether it matches or not. */
export function ruleInert(w: Where, chain: NftChain, i: number): boolean {
  const graph: ChainGraph<NftChain> = { length: (c) => c.rules.length, shape: (c, k) => shapeOf(w, c, k) };
  return inertIn(graph, chain, i);
}
