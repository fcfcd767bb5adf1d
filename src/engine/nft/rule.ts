/**
 * A rule compiled once into steps (WeakMap cache), and run left to right for one branch: a failing
 * match or a map miss breaks out of the rule (the chain goes on with the next rule), a verdict ends
 * it, and statements before a verdict (counters, marks, set updates) take effect as they pass.
 */
import { ParseError } from '../errors.js';
import type { Branch, WalkEnv } from '../netfilter/state.js';
import { compileMatch } from './expr.js';
import { exprKind } from './print.js';
import { NftRuleError } from './read.js';
import type { NftChain, NftRule, NftRuleset, NftTable } from './ruleset.js';
import { compileStmt } from './stmt.js';
import { resultSteps, type End, type Op, type RunCtx } from './steps.js';

export interface CompiledRule {
  ops: Op[];
  /** How messages name the rule: `handle 12 in inet firewalld filter_INPUT`. */
  where: string;
}

const compiled = new WeakMap<NftRule, CompiledRule>();

export function compileRule(rs: NftRuleset, table: NftTable, chain: NftChain, rule: NftRule): CompiledRule {
  let c = compiled.get(rule);
  if (c) return c;
  const where = `rule handle ${rule.handle} in ${table.family} ${table.name} ${chain.name}`;
  const cc = { table };
  try {
    const ops = rule.expr.map((e): Op => {
      if (exprKind(e) === 'match') {
        const fn = compileMatch((e as { match: unknown }).match, cc);
        return (b, env, rc) => resultSteps(b, fn(b, env, rc), rc);
      }
      return compileStmt(e, cc);
    });
    c = { ops, where };
  } catch (e) {
    if (e instanceof NftRuleError) throw new ParseError(rs.source, rule.object, `object ${rule.object}: ${where}: ${e.message}`, rule.text);
    throw e;
  }
  compiled.set(rule, c);
  return c;
}

/** How a rule ended for one branch, with what its statements did on the way (`MARK 0x4000`). */
export type RuleOutcome =
  | { b: Branch; kind: 'break'; acts: string[] }
  | { b: Branch; kind: 'done'; acts: string[] }
  | { b: Branch; kind: 'end'; end: End; acts: string[] };

export function runRule(c: CompiledRule, start: Branch, env: WalkEnv, rc: RunCtx): RuleOutcome[] {
  const out: RuleOutcome[] = [];
  const work: { b: Branch; i: number; acts: string[] }[] = [{ b: start, i: 0, acts: [] }];
  while (work.length) {
    const { b, i, acts } = work.pop() as { b: Branch; i: number; acts: string[] };
    if (i >= c.ops.length) {
      out.push({ b, kind: 'done', acts });
      continue;
    }
    const steps = (c.ops[i] as Op)(b, env, rc);
    const next: { b: Branch; i: number; acts: string[] }[] = [];
    for (const s of steps) {
      const a = s.go !== 'end' && s.act ? [...acts, s.act] : acts;
      if (s.go === 'next') next.push({ b: s.b, i: i + 1, acts: a });
      else if (s.go === 'break') out.push({ b: s.b, kind: 'break', acts: a });
      else out.push({ b: s.b, kind: 'end', end: s.end, acts: a });
    }
    // Reversed so the stack pops them in order: outcomes list the first alternative first.
    for (let k = next.length - 1; k >= 0; k--) work.push(next[k] as { b: Branch; i: number; acts: string[] });
  }
  return out;
}
