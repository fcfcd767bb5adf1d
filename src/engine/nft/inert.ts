/**
 * nftables rules that cannot change a packet's fate (see ../packet/inertness.ts): a rule that only
 * matches, counts, logs or limits; a return, jump or goto, or an accept or drop that the rest of
 * the chain reaches anyway.
 */
import { ParseError } from '../errors.js';
import { afterRule, ruleInert as inertIn, type ChainAfter, type ChainGraph, type RuleShape } from '../packet/inertness.js';
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

const graphOf = (w: Where): ChainGraph<NftChain> => ({ length: (c) => c.rules.length, shape: (c, k) => shapeOf(w, c, k) });

/** True when the i-th rule of `chain` changes nothing whether it matches or not (`exit`: where the chain goes on). */
export function ruleInert(w: Where, chain: NftChain, i: number, exit: ChainAfter): boolean {
  return inertIn(graphOf(w), chain, i, exit);
}

/** Where the chain entered from rule i of `chain` (by jump, or goto) goes on when it returns. */
export function exitAfter(w: Where, chain: NftChain, i: number, goto: boolean, exit: ChainAfter): ChainAfter {
  return afterRule(graphOf(w), chain, i, goto, exit);
}
