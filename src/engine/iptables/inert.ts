/**
 * iptables rules that cannot change a packet's fate (see ../packet/inertness.ts): no target, or a
 * LOG/NFLOG/TRACE-like target (`continue`), a RETURN, or a jump/goto to an inert chain.
 */
import { ParseError } from '../errors.js';
import { ruleInert as inertIn, type ChainGraph, type RuleShape } from '../packet/inertness.js';
import { compile, type ChainCtx } from './compile.js';
import { ruleAt } from './parse.js';
import type { Chain } from './ruleset.js';

function shapeOf(ctx: ChainCtx, chain: Chain, i: number): RuleShape<Chain> {
  try {
    const rule = ruleAt(ctx.ruleset, chain, i);
    const c = compile(ctx, rule);
    if (!rule.target) return { kind: 'none' };
    if (c.jump) return { kind: rule.target.goto ? 'goto' : 'jump', chain: c.jump };
    if (c.effect?.kind === 'continue') return { kind: 'none' };
    if (c.effect?.kind === 'return') return { kind: 'return' };
    return { kind: 'acts' };
  } catch (e) {
    if (e instanceof ParseError) return { kind: 'acts' };
    throw e;
  }
}

/** True when the i-th rule of `chain` changes nothing whether it matches or not. */
export function ruleInert(ctx: ChainCtx, chain: Chain, i: number): boolean {
  const graph: ChainGraph<Chain> = { length: (c) => c.count, shape: (c, k) => shapeOf(ctx, c, k) };
  return inertIn(graph, chain, i);
}
