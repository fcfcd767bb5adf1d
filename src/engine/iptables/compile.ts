/** An iptables rule compiled once for the walk: its matches as functions, its target resolved. */
import { ParseError } from '../errors.js';
import type { WalkEnv } from '../packet/walk-env.js';
import { compileMatch, type MatchFn } from './matches.js';
import { RuleSyntaxError } from './rule.js';
import type { Chain, Rule, Ruleset, Table } from './ruleset.js';
import { compileTarget, type TargetEffect } from './targets.js';

export interface ChainCtx {
  ruleset: Ruleset;
  table: Table;
  env: WalkEnv;
  family: 4 | 6;
  /** Label hops with backend and source: more than one ruleset is being walked. */
  label: boolean;
}

export interface Compiled {
  matches: MatchFn[];
  /** A user chain of the same table, or an extension target's effect; null for no target. */
  jump: Chain | null;
  effect: TargetEffect | null;
}

const compiledRules = new WeakMap<Rule, Compiled>();

export function compile(ctx: ChainCtx, rule: Rule): Compiled {
  let c = compiledRules.get(rule);
  if (c) return c;
  try {
    const jump = rule.target ? ctx.table.chains.get(rule.target.name) ?? null : null;
    c = {
      matches: rule.matches.map((m) => compileMatch(m, ctx.family, { ruleset: ctx.ruleset, table: ctx.table, rule })),
      jump,
      effect: rule.target && !jump ? compileTarget(rule.target, ctx.family) : null,
    };
  } catch (e) {
    if (e instanceof RuleSyntaxError) throw new ParseError(ctx.ruleset.source, rule.line, e.message, rule.text);
    throw e;
  }
  compiledRules.set(rule, c);
  return c;
}
