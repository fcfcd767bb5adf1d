/**
 * iptables rules that cannot change a packet's fate (see ../packet/inertness.ts): no target or a
 * LOG/NFLOG/TRACE-like target (`continue`), a RETURN, a jump/goto, or a verdict that the rest of
 * the chain reaches anyway.
 */
import { ParseError } from '../errors.js';
import { afterRule, ruleInert as inertIn, type ChainAfter, type ChainGraph, type RuleShape } from '../packet/inertness.js';
import { compile, type ChainCtx } from './compile.js';
import { ruleAt } from './parse.js';
import type { Chain, Rule } from './ruleset.js';

/** Matches that only annotate or count: a rule with nothing else always matches. */
const ANNOTATING = new Set(['comment', 'nfacct']);

/** `-m recent --set/--update/--remove` changes the list for later rules of this very traversal. */
const changesList = (rule: Rule): boolean =>
  rule.matches.some((m) => m.module === 'recent' && m.options.some((o) => o.name === '--set' || o.name === '--update' || o.name === '--remove'));

function shapeOf(ctx: ChainCtx, chain: Chain, i: number): RuleShape<Chain> {
  try {
    const rule = ruleAt(ctx.ruleset, chain, i);
    const c = compile(ctx, rule);
    // SET adds to or deletes from an ipset that later rules may test.
    if (changesList(rule) || rule.target?.name === 'SET') return { kind: 'acts' };
    const always = rule.matches.every((m) => ANNOTATING.has(m.module) && !m.unsupportedRevision);
    if (!rule.target) return { kind: 'none' };
    if (c.jump) return { kind: rule.target.goto ? 'goto' : 'jump', chain: c.jump, always };
    switch (c.effect?.kind) {
      case 'continue':
        return { kind: 'none' };
      case 'return':
        return { kind: 'return', always };
      case 'verdict':
        return { kind: 'verdict', verdict: c.effect.verdict, always };
      case 'reject':
        return { kind: 'verdict', verdict: `REJECT ${c.effect.with}`, always };
      default:
        return { kind: 'acts' };
    }
  } catch (e) {
    if (e instanceof ParseError) return { kind: 'acts' };
    throw e;
  }
}

const graphOf = (ctx: ChainCtx): ChainGraph<Chain> => ({ length: (c) => c.count, shape: (c, k) => shapeOf(ctx, c, k) });

/** Where a built-in chain goes on when it falls off its end: its policy. */
export const policyExit = (chain: Chain): ChainAfter | undefined => (chain.policy === null ? undefined : () => chain.policy as string);

/** True when the i-th rule of `chain` changes nothing whether it matches or not (`exit`: where the chain goes on). */
export function ruleInert(ctx: ChainCtx, chain: Chain, i: number, exit: ChainAfter): boolean {
  return inertIn(graphOf(ctx), chain, i, exit);
}

/** Where the chain entered from rule i of `chain` (by jump, or goto) goes on when it returns. */
export function exitAfter(ctx: ChainCtx, chain: Chain, i: number, goto: boolean, exit: ChainAfter): ChainAfter {
  return afterRule(graphOf(ctx), chain, i, goto, exit);
}
