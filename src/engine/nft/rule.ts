/**
 * A rule compiled once into steps (WeakMap cache), and run left to right for one branch: a failing
 * match or a map miss breaks out of the rule (the chain goes on with the next rule), a verdict ends
 * it, and statements before a verdict (counters, marks, set updates) take effect as they pass.
 */
import { ParseError } from '../errors.js';
import type { Branch } from '../packet/branch.js';
import type { RuleShape as GenericShape } from '../packet/inertness.js';
import type { WalkEnv } from '../packet/walk-env.js';
import { compileMatch } from './expr.js';
import { exprKind } from './print.js';
import { NftRuleError } from './read.js';
import type { NftChain, NftRule, NftRuleset, NftTable } from './ruleset.js';
import { resultSteps, type End, type Op, type RunCtx } from './steps.js';
import { compileStmt } from './stmt.js';

export interface CompiledRule {
  ops: Op[];
  /** How messages name the rule: `handle 12 in inet firewalld filter_INPUT`. */
  where: string;
  /** What the rule can do to the packet besides matching it (inert.ts). */
  shape: RuleShape;
}

/**
 * `none`: the rule only matches, counts, logs or rate-limits (the packet goes on unchanged);
 * `return`, `jump`, `goto`: its verdict, after such statements; `acts`: anything else (marks,
 * NAT, verdicts that end the chain, lookups, statements np-doctor does not model).
 */
export type RuleShape = GenericShape<NftChain>;

/** Statements that leave the packet and its fate as they are (limits and quotas act as matches). */
const PASSIVE = new Set(['counter', 'log', 'flow', 'dup', 'secmark', 'last', 'ct helper', 'ct timeout', 'ct expectation', 'limit', 'quota', 'ct count']);
/** Passive statements that may break out of the rule, as a failing match does. */
const MATCH_LIKE = new Set(['match', 'limit', 'quota', 'ct count']);

function shapeOf(rule: NftRule, table: NftTable): RuleShape {
  // `always`: nothing before the verdict can break out of the rule.
  let always = true;
  for (const e of rule.expr) {
    const k = exprKind(e);
    const body = typeof e === 'object' && e !== null && k !== null ? (e as Record<string, unknown>)[k] : undefined;
    if (k === 'xt' && typeof body === 'object' && body !== null && (body as { type?: unknown }).type === 'match') {
      always = false;
      continue;
    }
    if (k === 'match' || (k !== null && PASSIVE.has(k))) {
      if (MATCH_LIKE.has(k)) always = false;
      continue;
    }
    if (k === 'continue') return { kind: 'none' };
    if (k === 'return') return { kind: 'return', always };
    if (k === 'accept' || k === 'drop') return { kind: 'verdict', verdict: k.toUpperCase(), always };
    if (k === 'jump' || k === 'goto') {
      const target = typeof body === 'object' && body !== null ? (body as { target?: unknown }).target : undefined;
      const chain = typeof target === 'string' ? table.chains.get(target) : undefined;
      return chain ? { kind: k, chain, always } : { kind: 'acts' };
    }
    return { kind: 'acts' };
  }
  return { kind: 'none' };
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
    c = { ops, where, shape: shapeOf(rule, table) };
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
  | { b: Branch; kind: 'maybe' }
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
      const a = (s.go === 'next' || s.go === 'break') && s.act ? [...acts, s.act] : acts;
      if (s.go === 'next') next.push({ b: s.b, i: i + 1, acts: a });
      else if (s.go === 'break') out.push({ b: s.b, kind: 'break', acts: a });
      else if (s.go === 'maybe') out.push({ b: s.b, kind: 'maybe' });
      else out.push({ b: s.b, kind: 'end', end: s.end, acts: a });
    }
    // Reversed so the stack pops them in order: outcomes list the first alternative first.
    for (let k = next.length - 1; k >= 0; k--) work.push(next[k] as { b: Branch; i: number; acts: string[] });
  }
  return out;
}
