/**
 * One branch of the walk: the first packet of a connection as it is at one point of one path, with
 * the conntrack view, marks and NAT bindings it carries, and how it forks when a rule may go either
 * way. Every evaluator reads and changes branches; nothing here knows which rules do it.
 */
import type { Addr } from '../address.js';
import type { Budget } from './budget.js';
import type { Hop, Protocol } from './contract.js';

/** Conntrack's view of the connection while its first packet is in flight. */
export interface ConnState {
  /** The first packet of a tracked connection is NEW; `-j CT --notrack` / NOTRACK makes it UNTRACKED. */
  state: 'NEW' | 'UNTRACKED';
  /** Address and port before any NAT: what `--ctorigdst` and friends test. */
  origSrc: Addr;
  origDst: Addr;
  origSport: number | undefined;
  origDport: number | undefined;
  /** NAT rewrote the destination / source (conntrack's IPS_DST_NAT / IPS_SRC_NAT; `--ctstate DNAT/SNAT`). */
  dnat: boolean;
  snat: boolean;
  /** A nat table already decided this manip (a binding, even a null one): later nat tables are skipped. */
  dnatDecided: boolean;
  snatDecided: boolean;
  /** Set once the packet passed POSTROUTING (conntrack confirms the entry there). */
  confirmed: boolean;
  mark: number;
}

/**
 * Something the walk could not decide for this branch. A fork on an undecidable fact carries the
 * fork's id (the rule and the fact), which side this branch took and how many sides it has: two
 * branches that end equal after taking every side of one fork show the fork did not matter, and
 * merge without it (merge.ts).
 */
export interface Undecided {
  /** As the outcome states it, with the side this branch took. */
  text: string;
  fork?: {
    id: string;
    side: number;
    sides: number;
    /** The fact alone, whichever side: what a merged branch says it depends on. */
    fact: string;
    /** State that differs from one connection to the next (a recent list), not a fact of the node. */
    perConnection: boolean;
  };
}

/** Everything one branch of the walk carries. Branches are copied when the walk forks. */
export interface Branch {
  src: Addr;
  dst: Addr;
  proto: Protocol;
  protoNum: number;
  sport: number | undefined;
  dport: number | undefined;
  icmpType: number | undefined;
  icmpCode: number | undefined;
  inIface: string | undefined;
  /** Made by a process on the node: it entered by no interface (so by no bridge port either). */
  localOrigin: boolean;
  /** Known after the routing decision; undefined before it or when the routes are unknown. */
  outIface: string | undefined;
  outIfaceKnown: boolean;
  /** Which hook the packet is in now; matches like -i/-o depend on it. */
  hook: string;
  mark: number;
  ct: ConnState;
  /** This branch's share of all first packets (see Outcome.probability). */
  probability: number;
  /** Persistent list: forks share their common prefix. */
  hops: HopList | null;
  reasons: Undecided[];
  assumptions: string[];
  dnatTo: { ip: string; port: number | null } | null;
  snatTo: { type: 'MASQUERADE' | 'SNAT'; ip?: string; port?: number | null } | null;
  delivery: 'local' | 'forward' | 'output' | null;
  rejectWith?: string;
  /** The nat chain that bound this connection's NAT at the current hook, for the registration-order assumption. */
  natBoundBy?: { hook: string; priority: number | null; name: string };
  /** The walk's budget, shared by every branch of one walk. */
  budget: Budget<Branch>;
}

export interface HopList {
  hop: Hop;
  prev: HopList | null;
}

/** A copy of `b` that goes its own way; it counts against the walk's branch budget. */
export function fork(b: Branch): Branch {
  b.budget.forked();
  return { ...b, ct: { ...b.ct }, reasons: [...b.reasons], assumptions: [...b.assumptions] };
}

export function addHop(b: Branch, hop: Hop): void {
  b.hops = { hop, prev: b.hops };
}

export function hopsOf(b: Branch): Hop[] {
  const out: Hop[] = [];
  for (let h = b.hops; h; h = h.prev) out.push(h.hop);
  return out.reverse();
}

export function assume(b: Branch, text: string): void {
  if (!b.assumptions.includes(text)) b.assumptions.push(text);
}

/** Marks a branch as depending on something the engine cannot see (no fork: one branch goes on). */
export function undecided(b: Branch, reason: string): void {
  if (!b.reasons.some((r) => r.text === reason)) b.reasons.push({ text: reason });
}

/** A fork id not yet used by `b`: the same rule met twice (lo re-entry) is two forks. */
function freshId(b: Branch, id: string): string {
  let unique = id;
  for (let k = 2; b.reasons.some((r) => r.fork?.id === unique); k++) unique = `${id}#${k}`;
  return unique;
}

/** One undecidable fork: what it cannot decide, and what each side assumes. */
export interface UndecidedFork {
  /** Names the fork: the rule (source and line, or nft handle) and the fact. */
  id: string;
  /** The fact, whichever side (`line 12 may match (…)`). */
  fact: string;
  /** Each side's reason, in side order. */
  sides: string[];
  perConnection?: boolean;
}

/** Records that `b` took side `side` of fork `f` (for forks whose shares are not equal, e.g. map lookups). */
export function tookSide(b: Branch, f: UndecidedFork, side: number): void {
  b.reasons.push({
    text: f.sides[side] as string,
    fork: { id: freshId(b, f.id), side, sides: f.sides.length, fact: f.fact, perConnection: f.perConnection === true },
  });
}

/**
 * Forks `b` on a fact the walk cannot decide, one branch per side (side 0 is `b` itself). Nothing
 * says which side is likelier, so each takes an equal share of `b`'s probability: the outcomes of
 * a walk still sum to 1.
 */
export function forkUndecided(b: Branch, f: UndecidedFork): Branch[] {
  const id = freshId(b, f.id);
  const share = b.probability / f.sides.length;
  const out = f.sides.map((_, i) => (i === 0 ? b : fork(b)));
  out.forEach((x, i) => {
    x.probability = share;
    x.reasons.push({ text: f.sides[i] as string, fork: { id, side: i, sides: f.sides.length, fact: f.fact, perConnection: f.perConnection === true } });
  });
  return out;
}
