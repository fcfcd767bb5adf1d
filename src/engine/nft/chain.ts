/**
 * Walks one nftables chain for one branch, as nft_do_chain does: rules left to right; `jump`
 * pushes the chain and comes back after a return or when the chain falls off its end; `goto` does
 * not come back (a return in the goto'd chain returns from the chain that did the goto); `accept`,
 * `drop`, `reject`, `queue` and the NAT statements end the base chain. Falling off the end of a
 * base chain is a `return` here: the walker applies the chain's policy.
 */
import { addHop, type Branch, type WalkEnv } from '../netfilter/state.js';
import type { ChainEnd } from '../netfilter/chain.js';
import type { Hop } from '../netfilter/types.js';
import { ParseError } from '../errors.js';
import { compileRule, runRule, type RuleOutcome } from './rule.js';
import type { NftChain, NftRule, NftRuleset, NftTable } from './ruleset.js';
import type { End } from './steps.js';
import { NftRuleError, type EvalCtx } from './read.js';

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
 * Runs `chain` (normally a base chain the walker picked with baseChainsAt) for one branch and
 * returns every way it ended. A base chain's hook and priority matter: below conntrack (-200) at
 * prerouting/output the packet has no conntrack entry yet, so `ct state` reads invalid, other ct
 * keys break out of the rule, and `notrack` takes effect (measured on this kernel).
 */
export function runNftChain(ctx: NftChainCtx, b: Branch, chain: NftChain): ChainEnd[] {
  const base = chain.base;
  // nat chains run inside the NAT core at -100/100 whatever their own priority, after conntrack.
  const beforeConntrack = base !== null && base.type !== 'nat' && (base.hook === 'PREROUTING' || base.hook === 'OUTPUT') && base.priority < CONNTRACK_PRIORITY;
  return walkChain(ctx, b, chain, { beforeConntrack }, 0);
}

function hop(ctx: NftChainCtx, b: Branch, chain: NftChain, rule: NftRule, action: string, element?: Hop['element']): void {
  addHop(b, {
    table: ctx.table.name, chain: chain.name, line: rule.handle, handle: rule.handle, family: ctx.table.family,
    rule: rule.text, action, ...(element ? { element } : {}), ...(ctx.label ? { source: ctx.ruleset.source } : {}),
  });
}

function walkChain(ctx: NftChainCtx, start: Branch, chain: NftChain, ec: EvalCtx, depth: number): ChainEnd[] {
  if (depth > MAX_DEPTH) return [{ b: start, end: 'stop', why: `chains nest deeper than ${MAX_DEPTH} at ${ctx.table.family} ${ctx.table.name} ${chain.name}: the dump loops` }];
  const out: ChainEnd[] = [];
  const rules = chain.rules;
  // Depth-first over (branch, next rule index); forks push their alternatives.
  const work: [Branch, number][] = [[start, 0]];
  while (work.length) {
    const [b, i] = work.pop() as [Branch, number];
    const rule = rules[i];
    if (rule === undefined) {
      out.push({ b, end: 'return' });
      continue;
    }
    const c = compileRule(ctx.ruleset, ctx.table, chain, rule);
    const next: [Branch, number][] = [];
    let outcomes: RuleOutcome[];
    try {
      outcomes = runRule(c, b, ctx.env, { ...ec, where: c.where });
    } catch (e) {
      // A map element is only read when a lookup hits it: one that is no verdict surfaces here.
      if (e instanceof NftRuleError) throw new ParseError(ctx.ruleset.source, rule.object, `object ${rule.object}: ${c.where}: ${e.message}`, rule.text);
      throw e;
    }
    for (const r of outcomes) {
      if (r.kind === 'break') {
        // The rule did not match, but a statement before the failing match took effect.
        if (r.acts.length) hop(ctx, r.b, chain, rule, r.acts.join(', '));
        next.push([r.b, i + 1]);
      } else if (r.kind === 'done') {
        hop(ctx, r.b, chain, rule, r.acts.length ? r.acts.join(', ') : 'CONTINUE');
        next.push([r.b, i + 1]);
      } else {
        for (const e of endRule(ctx, r.b, chain, rule, r.end, ec, depth)) {
          if (e.end === 'continue') next.push([e.b, i + 1]);
          else out.push(e);
        }
      }
    }
    // Reversed so the stack pops them in rule order: outcomes list the first branch first.
    for (let k = next.length - 1; k >= 0; k--) work.push(next[k] as [Branch, number]);
  }
  return out;
}

type StepEnd = ChainEnd | { b: Branch; end: 'continue' };

function endRule(ctx: NftChainCtx, b: Branch, chain: NftChain, rule: NftRule, e: End, ec: EvalCtx, depth: number): StepEnd[] {
  hop(ctx, b, chain, rule, e.action, e.element);
  switch (e.end) {
    case 'accept':
    case 'drop':
    case 'return':
    case 'continue':
      return [{ b, end: e.end }];
    case 'reject':
      return [{ b, end: 'reject', with: e.with ?? 'icmp-port-unreachable' }];
    case 'stop':
      return [{ b, end: 'stop', why: e.why ?? `${rule.text} stops the walk` }];
    case 'jump':
    case 'goto': {
      const target = e.chain as NftChain;
      return walkChain(ctx, b, target, ec, depth + 1).map((r): StepEnd => {
        // A return from a jumped-to chain resumes after the jump; from a goto'd chain it returns
        // from this chain too (the goto did not push a return address).
        if (r.end === 'return' && e.end === 'jump') return { b: r.b, end: 'continue' };
        return r;
      });
    }
  }
}
