/**
 * What one expression of a rule does to a branch: go on to the next expression, break out of the
 * rule (NFT_BREAK: the chain goes on with the next rule), or end the rule with a verdict. Shared by
 * matches, statements and lookups.
 */
import { assume, fork, forkUndecided, type Branch } from '../packet/branch.js';
import type { Hop } from '../packet/contract.js';
import type { MatchResult } from '../packet/match-result.js';
import type { WalkEnv } from '../packet/walk-env.js';
import type { EvalCtx } from './read.js';
import type { NftChain } from './ruleset.js';

export type HopElement = NonNullable<Hop['element']>;

/** How a rule ended for one branch. */
export interface End {
  end: 'accept' | 'drop' | 'return' | 'continue' | 'reject' | 'jump' | 'goto' | 'stop';
  /** The hop's action: `ACCEPT`, `JUMP services`, `DNAT 10.244.1.2:8080`, … */
  action: string;
  /** reject: what the client receives. */
  with?: string;
  /** jump/goto: the chain entered. */
  chain?: NftChain;
  /** stop: why the walk cannot follow the packet further. */
  why?: string;
  /** A set or map lookup that decided this end. */
  element?: HopElement;
}

/** `maybe`: in a rule that cannot change anything, a match the walk cannot decide (no fork). */
export type Step =
  | { b: Branch; go: 'next'; act?: string }
  | { b: Branch; go: 'break'; act?: string }
  | { b: Branch; go: 'maybe' }
  | { b: Branch; go: 'end'; end: End };

export interface RunCtx extends EvalCtx {
  /** The rule in messages: `handle 12 in inet firewalld filter_INPUT`. */
  where: string;
  /** The rule changes nothing whether it matches or not (inert.ts): undecided matches do not fork. */
  inert?: boolean;
}

export type Op = (b: Branch, env: WalkEnv, rc: RunCtx) => Step[];

/** A MatchResult (a match, or a rate limit treated as one) as rule steps, forking where it must. */
export function resultSteps(b: Branch, r: MatchResult, rc: RunCtx): Step[] {
  if (r === true) return [{ b, go: 'next' }];
  if (r === false) return [{ b, go: 'break' }];
  if ('chance' in r) {
    if (r.chance >= 1) return [{ b, go: 'next' }];
    if (r.chance <= 0) return [{ b, go: 'break' }];
    if (rc.inert) return [{ b, go: 'maybe' }];
    const y = fork(b);
    y.probability *= r.chance;
    b.probability *= 1 - r.chance;
    if (r.why) {
      assume(y, r.why);
      assume(b, r.why);
    }
    return [{ b: y, go: 'next' }, { b, go: 'break' }];
  }
  if ('unknown' in r) {
    if (rc.inert) return [{ b, go: 'maybe' }];
    const fact = `${rc.where} may match (${r.unknown})`;
    const [y, n] = forkUndecided(b, {
      id: `${rc.where}|${r.unknown}`, fact, sides: [`${fact}; this branch assumes it does`, `${fact}; this branch assumes it does not`],
      ...(r.perConnection ? { perConnection: true } : {}),
    }) as [Branch, Branch];
    return [{ b: y, go: 'next' }, { b: n, go: 'break' }];
  }
  assume(b, r.why);
  return [{ b, go: r.assumed ? 'next' : 'break' }];
}

/** A statement np-doctor does not model: one branch assumes it lets the packet on, one stops; half each. */
export function unknownStep(b: Branch, text: string, why: string, rc: RunCtx): Step[] {
  const reason = `${rc.where}: ${why}`;
  const stopWhy = `${reason}; it may decide the packet's fate here`;
  const [goes, stops] = forkUndecided(b, {
    id: `${rc.where}|${why}|statement`, fact: reason, sides: [`${reason}; this branch assumes it lets the packet continue`, stopWhy],
  }) as [Branch, Branch];
  return [
    { b: goes, go: 'next', act: text },
    { b: stops, go: 'end', end: { end: 'stop', action: text, why: stopWhy } },
  ];
}

export const unknownOp = (text: string, why: string): Op => (b, _env, rc) => unknownStep(b, text, why, rc);
