/**
 * Walks one nftables chain for a set of branches, as nft_do_chain does for each: rules left to
 * right; `jump` pushes the chain and comes back after a return or when the chain falls off its end;
 * `goto` does not come back (a return in the goto'd chain returns from the chain that did the
 * goto); `accept`, `drop`, `reject`, `queue` and the NAT statements end the base chain. Falling off
 * the end of a base chain is a `return` here: the walker applies the chain's policy. Branches are
 * taken rule by rule, so those that reach a rule in the same state merge there (packet/merge.ts).
 */
import { ParseError } from '../errors.js';
import { addHop, type Branch } from '../packet/branch.js';
import type { ChainEnd } from '../packet/chain-end.js';
import type { Hop } from '../packet/contract.js';
import { nextAtRule, RuleQueue } from '../packet/rule-queue.js';
import type { WalkEnv } from '../packet/walk-env.js';
import type { ChainAfter } from '../packet/inertness.js';
import { exitAfter, ruleInert } from './inert.js';
import { NftRuleError, type EvalCtx } from './read.js';
import { compileRule, runRule, type RuleOutcome } from './rule.js';
import type { NftChain, NftRule, NftRuleset, NftTable } from './ruleset.js';
import type { End } from './steps.js';

type StepEnd = ChainEnd | { b: Branch; end: 'continue' };

export interface NftChainCtx {
  ruleset: NftRuleset;
  table: NftTable;
  env: WalkEnv;
  family: 4 | 6;
  /** Label hops with the dump's source: more than one ruleset is being walked. */
  label: boolean;
}

/** The kernel refuses rulesets whose jumps loop or nest too deep; this guards hand-written dumps. */
const MAX_DEPTH = 64;
/** NF_IP_PRI_CONNTRACK: chains below it at prerouting/output see packets conntrack has not seen. */
const CONNTRACK_PRIORITY = -200;

/**
 * Runs `chain` (normally a base chain the walker picked with baseChainsAt) for a set of branches
 * and returns every way they ended. A base chain's hook and priority matter: below conntrack (-200) at
 * prerouting/output the packet has no conntrack entry yet, so `ct state` reads invalid, other ct
 * keys break out of the rule, and `notrack` takes effect (measured on this kernel).
 */
export function runNftChain(ctx: NftChainCtx, bs: Branch[], chain: NftChain): ChainEnd[] {
  const base = chain.base;
  // nat chains run inside the NAT core at -100/100 whatever their own priority, after conntrack.
  const beforeConntrack = base !== null && base.type !== 'nat' && (base.hook === 'PREROUTING' || base.hook === 'OUTPUT') && base.priority < CONNTRACK_PRIORITY;
  // Falling off a base chain applies its policy; a rule whose verdict is that one changes nothing.
  const policy = base === null ? undefined : base.policy.toUpperCase();
  return walkChain(ctx, bs, chain, { beforeConntrack }, 0, () => policy);
}

function hop(ctx: NftChainCtx, b: Branch, chain: NftChain, rule: NftRule, action: string, element?: Hop['element']): void {
  addHop(b, {
    table: ctx.table.name, chain: chain.name, line: rule.handle, handle: rule.handle, family: ctx.table.family,
    rule: rule.text, action, ...(element ? { element } : {}), ...(ctx.label ? { source: ctx.ruleset.source } : {}),
  });
}

function walkChain(ctx: NftChainCtx, starts: Branch[], chain: NftChain, ec: EvalCtx, depth: number, exit: ChainAfter): ChainEnd[] {
  const first = starts[0];
  if (first === undefined) return [];
  if (depth > MAX_DEPTH) return starts.map((b) => ({ b, end: 'stop', why: `chains nest deeper than ${MAX_DEPTH} at ${ctx.table.family} ${ctx.table.name} ${chain.name}: the dump loops` }));
  const budget = first.budget;
  const out: ChainEnd[] = [];
  const rules = chain.rules;
  // Rule by rule: branches that reach a rule in the same state merge before it runs.
  const queue = new RuleQueue<Branch>();
  for (const b of starts) queue.add(0, b);
  for (let next = nextAtRule(queue, budget); next !== null; next = nextAtRule(queue, budget)) {
    const [i, bs] = next;
    const rule = rules[i];
    if (rule === undefined) {
      for (const b of bs) out.push({ b, end: 'return' });
      continue;
    }
    budget.step(bs.length);
    const c = compileRule(ctx.ruleset, ctx.table, chain, rule);
    const rc = { ...ec, where: c.where, ...(ruleInert(ctx, chain, i, exit) ? { inert: true } : {}) };
    // Branches ending in a jump or goto to the same chain walk it together. Branches for the next
    // rule are queued after those coming back from a jump, so the matching side stays first.
    const jumps = new Map<NftChain, { b: Branch; e: End }[]>();
    const onward: Branch[] = [];
    for (const b of bs) {
      let outcomes: RuleOutcome[];
      try {
        outcomes = runRule(c, b, ctx.env, rc);
      } catch (e) {
        // A map element is only read when a lookup hits it: one that is no verdict surfaces here.
        if (e instanceof NftRuleError) throw new ParseError(ctx.ruleset.source, rule.object, `object ${rule.object}: ${c.where}: ${e.message}`, rule.text);
        throw e;
      }
      for (const r of outcomes) {
        if (r.kind === 'maybe') onward.push(r.b);
        else if (r.kind === 'break') {
          // The rule did not match, but a statement before the failing match took effect.
          if (r.acts.length) hop(ctx, r.b, chain, rule, r.acts.join(', '));
          onward.push(r.b);
        } else if (r.kind === 'done') {
          hop(ctx, r.b, chain, rule, r.acts.length ? r.acts.join(', ') : 'CONTINUE');
          onward.push(r.b);
        } else {
          hop(ctx, r.b, chain, rule, r.end.action, r.end.element);
          if (r.end.end === 'jump' || r.end.end === 'goto') {
            const target = r.end.chain as NftChain;
            const list = jumps.get(target) ?? [];
            list.push({ b: r.b, e: r.end });
            jumps.set(target, list);
            continue;
          }
          const e = endOf(r.b, rule, r.end);
          if (e.end === 'continue') onward.push(e.b);
          else out.push(e);
        }
      }
    }
    for (const [target, list] of jumps) {
      // A return from a jumped-to chain resumes after the jump; from a goto'd chain it returns
      // from this chain too (the goto did not push a return address).
      for (const kind of ['jump', 'goto'] as const) {
        const group = list.filter((x) => x.e.end === kind).map((x) => x.b);
        if (group.length === 0) continue;
        for (const r of walkChain(ctx, group, target, ec, depth + 1, exitAfter(ctx, chain, i, kind === 'goto', exit))) {
          if (r.end === 'return' && kind === 'jump') queue.add(i + 1, r.b);
          else out.push(r);
        }
      }
    }
    for (const b of onward) queue.add(i + 1, b);
  }
  return out;
}

/** A rule's verdict other than jump/goto, as a chain end (or `continue` to the next rule). */
function endOf(b: Branch, rule: NftRule, e: End): StepEnd {
  switch (e.end) {
    case 'accept':
    case 'drop':
    case 'return':
    case 'continue':
      return { b, end: e.end };
    case 'reject':
      return { b, end: 'reject', with: e.with ?? 'icmp-port-unreachable' };
    case 'stop':
      return { b, end: 'stop', why: e.why ?? `${rule.text} stops the walk` };
    case 'jump':
    case 'goto':
      // Handled by walkChain, which walks the target chain for every branch that jumps to it.
      throw new Error(`${e.end} reached endOf`);
  }
}
