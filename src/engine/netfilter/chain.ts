import { hostPort } from '../address.js';
import { compileMatch, type MatchFn } from '../iptables/matches.js';
import { ruleAt, ruleKeys } from '../iptables/parse.js';
import { RuleSyntaxError } from '../iptables/rule.js';
import type { Chain, Rule, Ruleset, Table } from '../iptables/ruleset.js';
import { compileTarget, describeTarget, type TargetEffect } from '../iptables/targets.js';
import { ParseError } from '../errors.js';
import { addHop, fork, undecided, type Branch, type WalkEnv } from './state.js';
import { setDestination, setSource } from './nat.js';
import { natSource, redirectTarget } from './routing.js';

/** How a chain traversal ended for one branch. `return` means "fell off the end or hit RETURN". */
export type ChainEnd =
  | { b: Branch; end: 'return' }
  | { b: Branch; end: 'accept' }
  | { b: Branch; end: 'drop' }
  | { b: Branch; end: 'reject'; with: string }
  | { b: Branch; end: 'stop'; why: string };

type StepEnd = ChainEnd | { b: Branch; end: 'continue' };

export interface ChainCtx {
  ruleset: Ruleset;
  table: Table;
  env: WalkEnv;
  family: 4 | 6;
  /** Label hops with backend and source: more than one ruleset is being walked. */
  label: boolean;
}

interface Compiled {
  matches: MatchFn[];
  /** A user chain of the same table, or an extension target's effect; null for no target. */
  jump: Chain | null;
  effect: TargetEffect | null;
}

const compiledRules = new WeakMap<Rule, Compiled>();
/** The kernel refuses rule sets that loop; this guards against hand-written dumps that do. */
const MAX_DEPTH = 64;

function compile(ctx: ChainCtx, rule: Rule): Compiled {
  let c = compiledRules.get(rule);
  if (c) return c;
  try {
    const jump = rule.target ? ctx.table.chains.get(rule.target.name) ?? null : null;
    c = {
      matches: rule.matches.map((m) => compileMatch(m, ctx.family)),
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

/** Walks one chain for one branch; forks return several ends. */
export function runChain(ctx: ChainCtx, start: Branch, chain: Chain, depth = 0): ChainEnd[] {
  if (depth > MAX_DEPTH) return [{ b: start, end: 'stop', why: `chains nest deeper than ${MAX_DEPTH} at ${chain.name}: the dump loops` }];
  const count = chain.count;
  const { dst, dport } = ruleKeys(ctx.ruleset, chain);
  const out: ChainEnd[] = [];
  // Depth-first over (branch, next rule index); forks push their alternatives.
  const work: [Branch, number][] = [[start, 0]];
  while (work.length) {
    const [b, next0] = work.pop() as [Branch, number];
    let i = next0;
    // A rule that requires another destination or port cannot match: skip it without parsing it.
    while (i < count && ((dst[i] !== null && dst[i] !== b.dst.text) || ((dport[2 * i] as number) >= 0 && !portIn(b.dport, dport, i)))) i++;
    if (i >= count) {
      out.push({ b, end: 'return' });
      continue;
    }
    const rule = ruleAt(ctx.ruleset, chain, i);
    const c = compile(ctx, rule);
    const { yes, no } = matchBranches(b, c.matches, ctx.env, rule);
    const next: [Branch, number][] = [];
    for (const y of yes) {
      for (const r of applyTarget(ctx, y, rule, c, depth)) {
        if (r.end === 'continue') next.push([r.b, i + 1]);
        else out.push(r);
      }
    }
    for (const n of no) next.push([n, i + 1]);
    // Reversed so the stack pops them in rule order: outcomes list the first branch first.
    for (let k = next.length - 1; k >= 0; k--) work.push(next[k] as [Branch, number]);
  }
  return out;
}

function portIn(port: number | undefined, ranges: Int32Array, i: number): boolean {
  return port !== undefined && port >= (ranges[2 * i] as number) && port <= (ranges[2 * i + 1] as number);
}

/** Evaluates a rule's matches in order, forking on chances and undecidable matches. */
function matchBranches(b: Branch, fns: MatchFn[], env: WalkEnv, rule: Rule): { yes: Branch[]; no: Branch[] } {
  let live = [b];
  const no: Branch[] = [];
  for (const fn of fns) {
    const next: Branch[] = [];
    for (const x of live) {
      const r = fn(x, env);
      if (r === true) next.push(x);
      else if (r === false) no.push(x);
      else if ('chance' in r) {
        if (r.chance >= 1) next.push(x);
        else if (r.chance <= 0) no.push(x);
        else {
          const y = fork(x);
          y.probability *= r.chance;
          x.probability *= 1 - r.chance;
          if (r.why) {
            y.assumptions.push(r.why);
            x.assumptions.push(r.why);
          }
          next.push(y);
          no.push(x);
        }
      } else if ('unknown' in r) {
        const y = fork(x);
        undecided(y, `line ${rule.line} may match (${r.unknown}); this branch assumes it does`);
        undecided(x, `line ${rule.line} may match (${r.unknown}); this branch assumes it does not`);
        next.push(y);
        no.push(x);
      } else {
        if (!x.assumptions.includes(r.why)) x.assumptions.push(r.why);
        (r.assumed ? next : no).push(x);
      }
    }
    live = next;
    if (!live.length) break;
  }
  return { yes: live, no };
}

/** Which dump a hop came from, when more than one is walked. */
export function hopLabel(ctx: ChainCtx): { backend?: string; source?: string } {
  return ctx.label ? { backend: ctx.ruleset.backend, source: ctx.ruleset.source } : {};
}

function hop(ctx: ChainCtx, b: Branch, rule: Rule, action: string): void {
  addHop(b, { table: rule.table, chain: rule.chain, line: rule.line, rule: rule.text, action, ...hopLabel(ctx) });
}

function applyTarget(ctx: ChainCtx, b: Branch, rule: Rule, c: Compiled, depth: number): StepEnd[] {
  const target = rule.target;
  if (!target) {
    hop(ctx, b, rule, 'CONTINUE');
    return [{ b, end: 'continue' }];
  }
  if (c.jump) {
    hop(ctx, b, rule, `${target.goto ? 'GOTO' : 'JUMP'} ${target.name}`);
    return runChain(ctx, b, c.jump, depth + 1).map((r): StepEnd => {
      // Returning from a chain entered by -g returns from the chain that did the goto as well.
      if (r.end === 'return' && !target.goto) return { b: r.b, end: 'continue' };
      return r;
    });
  }
  const e = c.effect as TargetEffect;
  switch (e.kind) {
    case 'verdict':
      hop(ctx, b, rule, e.verdict);
      return [{ b, end: e.verdict === 'ACCEPT' ? 'accept' : 'drop' }];
    case 'reject':
      hop(ctx, b, rule, 'REJECT');
      return [{ b, end: 'reject', with: e.with }];
    case 'return':
      hop(ctx, b, rule, 'RETURN');
      return [{ b, end: 'return' }];
    case 'queue':
      hop(ctx, b, rule, target.name);
      return [{ b, end: 'stop', why: `line ${rule.line} hands the packet to a userspace program (${target.name}); its verdict is unknown` }];
    case 'dnat': {
      const ip = e.ip ?? b.dst.text;
      const port = e.port ?? b.dport ?? null;
      hop(ctx, b, rule, `DNAT ${hostPort(ip, port)}`);
      if (e.range) undecided(b, `line ${rule.line} DNATs to a range; the kernel picks one member, shown here is the first`);
      setDestination(b, ip, port);
      return [{ b, end: 'accept' }];
    }
    case 'snat':
      hop(ctx, b, rule, `SNAT ${hostPort(e.ip, e.port)}`);
      if (e.range) undecided(b, `line ${rule.line} SNATs to a range; the kernel picks one member, shown here is the first`);
      setSource(b, 'SNAT', e.ip, e.port);
      return [{ b, end: 'accept' }];
    case 'masquerade': {
      hop(ctx, b, rule, 'MASQUERADE');
      setSource(b, 'MASQUERADE', natSource(b, ctx.env), e.port);
      return [{ b, end: 'accept' }];
    }
    case 'redirect': {
      const ip = redirectTarget(b, ctx.env);
      const port = e.port ?? b.dport ?? null;
      hop(ctx, b, rule, `REDIRECT ${hostPort(ip ?? '?', port)}`);
      if (ip === null) undecided(b, `line ${rule.line} REDIRECTs to the input interface's address, which is not known`);
      else setDestination(b, ip, port);
      return [{ b, end: 'accept' }];
    }
    case 'mark':
      hop(ctx, b, rule, describeTarget(target));
      b.mark = e.apply(b.mark);
      return [{ b, end: 'continue' }];
    case 'connmark': {
      hop(ctx, b, rule, describeTarget(target));
      const r = e.apply(b.mark, b.ct.mark);
      b.mark = r.mark;
      b.ct.mark = r.ctmark;
      return [{ b, end: 'continue' }];
    }
    case 'notrack':
      hop(ctx, b, rule, describeTarget(target));
      b.ct.state = 'UNTRACKED';
      return [{ b, end: 'continue' }];
    case 'continue':
      hop(ctx, b, rule, describeTarget(target));
      return [{ b, end: 'continue' }];
    case 'unknown': {
      hop(ctx, b, rule, describeTarget(target));
      const stops = fork(b);
      undecided(b, `${e.why}; this branch assumes it lets the packet continue`);
      return [
        { b, end: 'continue' },
        { b: stops, end: 'stop', why: `${e.why}; it may decide the packet's fate here` },
      ];
    }
  }
}
