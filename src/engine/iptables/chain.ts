import { hostPort } from '../address.js';
import { addHop, fork, forkUndecided, undecided, type Branch } from '../packet/branch.js';
import type { ChainEnd } from '../packet/chain-end.js';
import { setDestination, setSource } from '../packet/nat.js';
import { natSource, redirectTarget } from '../packet/routing.js';
import { nextAtRule, RuleQueue } from '../packet/rule-queue.js';
import { compile, type ChainCtx, type Compiled } from './compile.js';
import type { ChainAfter } from '../packet/inertness.js';
import { exitAfter, policyExit, ruleInert } from './inert.js';
import type { MatchFn } from './matches.js';
import { readPortKey, ruleAt, ruleKeys, UNREAD_PORT } from './parse.js';
import type { Chain, Rule } from './ruleset.js';
import { describeTarget, type TargetEffect } from './targets.js';

type StepEnd = ChainEnd | { b: Branch; end: 'continue' };

/** The kernel refuses rule sets that loop; this guards against hand-written dumps that do. */
const MAX_DEPTH = 64;

/** Where a chain goes on when it returns, when nothing says: not known. */
const UNKNOWN_EXIT: ChainAfter = () => undefined;

/**
 * Walks one chain for a set of branches and returns how each ended. Branches are taken rule by
 * rule (RuleQueue), so branches that reach a rule in the same state merge there. When the walk's
 * budget runs out, every branch still in the chain is handed to the budget (abandoned). `exit` is
 * where the chain goes on when it returns (a built-in chain: its policy), so a rule whose verdict
 * equals that does not fork.
 */
export function runChain(ctx: ChainCtx, starts: Branch[], chain: Chain, depth = 0, exit: ChainAfter = policyExit(chain) ?? UNKNOWN_EXIT): ChainEnd[] {
  const first = starts[0];
  if (first === undefined) return [];
  if (depth > MAX_DEPTH) return starts.map((b) => ({ b, end: 'stop', why: `chains nest deeper than ${MAX_DEPTH} at ${chain.name}: the dump loops` }));
  const budget = first.budget;
  const count = chain.count;
  const { dst, dport } = ruleKeys(ctx.ruleset, chain);
  const portKey = (i: number): number => (dport[2 * i] === UNREAD_PORT ? readPortKey(ctx.ruleset, chain, i) : (dport[2 * i] as number));
  // A rule that requires another destination or port cannot match: skip it without parsing it.
  const skip = (b: Branch, from: number): number => {
    let i = from;
    while (i < count && ((dst[i] !== null && dst[i] !== b.dst.text) || (portKey(i) >= 0 && !portIn(b.dport, dport, i)))) i++;
    return i;
  };
  const out: ChainEnd[] = [];
  const queue = new RuleQueue<Branch>();
  for (const b of starts) queue.add(skip(b, 0), b);
  for (let next = nextAtRule(queue, budget); next !== null; next = nextAtRule(queue, budget)) {
    const [i, bs] = next;
    if (i >= count) {
      for (const b of bs) out.push({ b, end: 'return' });
      continue;
    }
    budget.step(bs.length);
    const rule = ruleAt(ctx.ruleset, chain, i);
    const c = compile(ctx, rule);
    let inert: boolean | undefined;
    const isInert = () => (inert ??= ruleInert(ctx, chain, i, exit));
    const yes: Branch[] = [];
    const no: Branch[] = [];
    for (const b of bs) matchBranches(ctx, b, c.matches, rule, isInert, yes, (n) => no.push(n));
    if (yes.length > 0) {
      for (const r of applyTarget(ctx, yes, rule, c, depth, { chain, i, exit })) {
        if (r.end === 'continue') queue.add(skip(r.b, i + 1), r.b);
        else out.push(r);
      }
    }
    // Queued after the matching side, so outcomes list the branch that matched first.
    for (const n of no) queue.add(skip(n, i + 1), n);
  }
  return out;
}

function portIn(port: number | undefined, ranges: Int32Array, i: number): boolean {
  return port !== undefined && port >= (ranges[2 * i] as number) && port <= (ranges[2 * i + 1] as number);
}

/**
 * Evaluates a rule's matches in order for one branch, forking on chances and undecidable matches:
 * branches that match go to `yes`, the others to `no`. A rule that cannot change anything
 * (`inert`) does not fork: a branch whose match is not certain goes on without a hop.
 */
function matchBranches(ctx: ChainCtx, b: Branch, fns: MatchFn[], rule: Rule, inert: () => boolean, yes: Branch[], no: (b: Branch) => void): void {
  let live = [b];
  for (let k = 0; k < fns.length && live.length; k++) {
    const fn = fns[k] as MatchFn;
    const next: Branch[] = [];
    for (const x of live) {
      const r = fn(x, ctx.env);
      if (r === true) next.push(x);
      else if (r === false) no(x);
      else if ('chance' in r) {
        if (r.chance >= 1) next.push(x);
        else if (r.chance <= 0) no(x);
        else if (inert()) no(x);
        else {
          const y = fork(x);
          y.probability *= r.chance;
          x.probability *= 1 - r.chance;
          if (r.why) {
            y.assumptions.push(r.why);
            x.assumptions.push(r.why);
          }
          next.push(y);
          no(x);
        }
      } else if ('unknown' in r) {
        if (inert()) {
          no(x);
          continue;
        }
        const fact = `line ${rule.line} may match (${r.unknown})`;
        const [y, n] = forkUndecided(x, {
          id: `${ctx.ruleset.source}:${rule.line}:${k}`, fact, sides: [`${fact}; this branch assumes it does`, `${fact}; this branch assumes it does not`],
          ...(r.perConnection ? { perConnection: true } : {}),
        }) as [Branch, Branch];
        next.push(y);
        no(n);
      } else {
        if (!x.assumptions.includes(r.why)) x.assumptions.push(r.why);
        if (r.assumed) next.push(x);
        else no(x);
      }
    }
    live = next;
  }
  yes.push(...live);
}

/** Which dump a hop came from, when more than one is walked. */
export function hopLabel(ctx: ChainCtx): { backend?: string; source?: string } {
  return ctx.label ? { backend: ctx.ruleset.backend, source: ctx.ruleset.source } : {};
}

function hop(ctx: ChainCtx, b: Branch, rule: Rule, action: string): void {
  addHop(b, { table: rule.table, chain: rule.chain, line: rule.line, rule: rule.text, action, ...hopLabel(ctx) });
}

/** Where a rule is: its chain, its index, and where that chain goes on when it returns. */
interface At {
  chain: Chain;
  i: number;
  exit: ChainAfter;
}

/** What the rule's target does to the branches that matched it; a jump walks them together. */
function applyTarget(ctx: ChainCtx, bs: Branch[], rule: Rule, c: Compiled, depth: number, at: At): StepEnd[] {
  const target = rule.target;
  if (!target) {
    for (const b of bs) hop(ctx, b, rule, 'CONTINUE');
    return bs.map((b) => ({ b, end: 'continue' }));
  }
  if (c.jump) {
    for (const b of bs) hop(ctx, b, rule, `${target.goto ? 'GOTO' : 'JUMP'} ${target.name}`);
    const exit = exitAfter(ctx, at.chain, at.i, target.goto, at.exit);
    return runChain(ctx, bs, c.jump, depth + 1, exit).map((r): StepEnd => {
      // Returning from a chain entered by -g returns from the chain that did the goto as well.
      if (r.end === 'return' && !target.goto) return { b: r.b, end: 'continue' };
      return r;
    });
  }
  return bs.flatMap((b) => applyEffect(ctx, b, rule, c.effect as TargetEffect));
}

function applyEffect(ctx: ChainCtx, b: Branch, rule: Rule, e: TargetEffect): StepEnd[] {
  const target = rule.target!;
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
      // Nothing says whether the target lets the packet on: each side gets half.
      const stopWhy = `${e.why}; it may decide the packet's fate here`;
      const [goes, stops] = forkUndecided(b, {
        id: `${ctx.ruleset.source}:${rule.line}:target`, fact: e.why, sides: [`${e.why}; this branch assumes it lets the packet continue`, stopWhy],
      }) as [Branch, Branch];
      return [
        { b: goes, end: 'continue' },
        { b: stops, end: 'stop', why: stopWhy },
      ];
    }
  }
}
