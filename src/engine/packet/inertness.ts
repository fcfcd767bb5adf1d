/**
 * Rules whose match cannot change what happens to the packet, for any chain graph (iptables
 * tables, nftables tables). Such a rule needs no fork when its match cannot be decided: both sides
 * provably go on the same way, in the same state.
 * - a rule that only matches, counts, logs or limits (`none`) is inert;
 * - a jump to a chain that can only come back (empty, only returns, only such rules) comes back
 *   unchanged: both sides go on at the next rule;
 * - otherwise both sides must reach one and the same end, whatever the undecided matches after it
 *   say: a RETURN, or a goto to such a chain, when every way through the rest of the chain returns
 *   too; a verdict equal to the fall-through (`-j ACCEPT` as the last rule of a chain with policy
 *   ACCEPT, or of a user chain whose caller accepts after it; `-j DROP` before an unconditional
 *   DROP). RETURN and falling off the end are the same place.
 * A rule with any other effect (marks, NAT, a set or recent list updated for later rules, an
 * unmodelled target) is never inert. Counters and rate limits do not change this packet's fate.
 */

/** What a rule does when it matches; `always`: the rule has no match, so it always does it. */
export type RuleShape<C> =
  | { kind: 'none' }
  | { kind: 'return'; always?: boolean }
  | { kind: 'jump' | 'goto'; chain: C; always?: boolean }
  /** A final verdict: ACCEPT, DROP, `REJECT icmp-port-unreachable` (equal text, equal end). */
  | { kind: 'verdict'; verdict: string; always?: boolean }
  | { kind: 'acts' };

export interface ChainGraph<C extends object> {
  length(chain: C): number;
  /** The i-th rule's shape; a rule that cannot be compiled is `acts` (the walk reports it when it gets there). */
  shape(chain: C, i: number): RuleShape<C>;
}

/**
 * The ways a packet may leave a chain from some rule on, whatever the undecided matches say:
 * verdict texts, and NEXT for "returns" (RETURN or the end of the chain), sorted; null when a rule
 * on the way acts on the packet, so it cannot be told.
 */
type Ends = readonly string[] | null;

/** Leaving by RETURN or the end of the chain: whatever the caller (or the base chain's policy) does next. */
const NEXT = '';

/** Per chain, from rule index: its Ends. Chains are objects of the parsed dumps, kept as long as they live. */
const memo = new WeakMap<object, Map<number, Ends>>();

function union(a: Ends, b: Ends): Ends {
  if (a === null || b === null) return null;
  return [...new Set([...a, ...b])].sort();
}

/** `ends` of a jumped-to chain, its returns replaced by where the caller goes on. */
function after(ends: Ends, next: Ends): Ends {
  if (ends === null) return null;
  return ends.includes(NEXT) ? union(ends.filter((e) => e !== NEXT), next) : ends;
}

function memoOf(chain: object): Map<number, Ends> {
  let m = memo.get(chain);
  if (m === undefined) memo.set(chain, (m = new Map<number, Ends>()));
  return m;
}

/**
 * How a packet may leave `chain` from rule `from` on. Scans forward only as far as the answer
 * depends on (a rule that acts, or one that always ends the chain, stops it), then folds back;
 * every index is computed once per chain.
 */
function endsFrom<C extends object>(g: ChainGraph<C>, chain: C, from: number, visiting: Set<C>): Ends {
  const known = memoOf(chain);
  const pending: { j: number; kind: RuleShape<C>['kind']; always: boolean; inner: Ends }[] = [];
  let tail: Ends;
  let j = from;
  for (;;) {
    const hit = known.get(j);
    if (hit !== undefined) {
      tail = hit;
      break;
    }
    if (j >= g.length(chain)) {
      tail = [NEXT];
      break;
    }
    const s = g.shape(chain, j);
    if (s.kind === 'acts') {
      tail = null;
      break;
    }
    // What the rule leads to when it matches, before the rest of the chain is known.
    const inner = s.kind === 'jump' || s.kind === 'goto' ? chainEnds(g, s.chain, visiting) : s.kind === 'verdict' ? [s.verdict] : [NEXT];
    if (inner === null) {
      tail = null;
      break;
    }
    const always = s.kind !== 'none' && s.always === true;
    if (always && !(s.kind === 'jump' && inner.includes(NEXT))) {
      tail = inner;
      break;
    }
    pending.push({ j, kind: s.kind, always, inner });
    j++;
  }
  if (j < g.length(chain)) known.set(j, tail);
  for (let k = pending.length - 1; k >= 0; k--) {
    const { j: at, kind, always, inner } = pending[k]!;
    const matched = kind === 'none' ? tail : kind === 'jump' ? after(inner, tail) : inner;
    tail = always ? matched : union(matched, tail);
    known.set(at, tail);
  }
  return tail;
}

/** How a packet may leave `chain` when it enters it. */
function chainEnds<C extends object>(g: ChainGraph<C>, chain: C, visiting: Set<C>): Ends {
  // The kernel refuses loops; one in a hand-written dump cannot be told (and ends the recursion).
  if (visiting.has(chain)) return null;
  visiting.add(chain);
  const ends = endsFrom(g, chain, 0, visiting);
  visiting.delete(chain);
  return ends;
}

/** True when running `chain` can only come back, unchanged, however its matches come out. */
export function chainInert<C extends object>(g: ChainGraph<C>, chain: C): boolean {
  const ends = chainEnds(g, chain, new Set());
  return ends !== null && ends.length === 1 && ends[0] === NEXT;
}

/**
 * Where the packet goes on when it leaves `chain` by RETURN or its end, if that is one certain
 * end: the base chain's policy, or what the caller certainly does after the jump. Undefined when
 * it cannot be told.
 */
export type ChainAfter = () => string | undefined;

/** `ends` as one certain end, with the chain's returns resolved through `exit`; undefined when several remain. */
function single(ends: Ends, exit: string | undefined): string | undefined {
  const resolved = exit === undefined ? ends : after(ends, [exit]);
  return resolved !== null && resolved.length === 1 ? resolved[0] : undefined;
}

/**
 * Where a chain entered from rule `i` of `chain` goes on when it returns: what the rest of `chain`
 * certainly does, for a jump; where `chain` itself goes on, for a goto.
 */
export function afterRule<C extends object>(g: ChainGraph<C>, chain: C, i: number, goto: boolean, exit: ChainAfter): ChainAfter {
  if (goto) return exit;
  let known: { v: string | undefined } | null = null;
  return () => {
    known ??= { v: single(endsFrom(g, chain, i + 1, new Set()), exit()) };
    return known.v === NEXT ? undefined : known.v;
  };
}

/** True when the i-th rule of `chain` changes nothing whether it matches or not (`exit`: where the chain goes on). */
export function ruleInert<C extends object>(g: ChainGraph<C>, chain: C, i: number, exit: ChainAfter = () => undefined): boolean {
  const s = g.shape(chain, i);
  if (s.kind === 'none') return true;
  if (s.kind === 'acts') return false;
  const visiting = new Set<C>();
  const inner = s.kind === 'jump' || s.kind === 'goto' ? chainEnds(g, s.chain, visiting) : s.kind === 'verdict' ? [s.verdict] : [NEXT];
  if (inner === null) return false;
  // A chain that can only come back: both sides go on at the next rule, in the same state.
  if (s.kind === 'jump' && inner.length === 1 && inner[0] === NEXT) return true;
  const rest = endsFrom(g, chain, i + 1, visiting);
  const matched = s.kind === 'jump' ? after(inner, rest) : inner;
  // Otherwise both sides must reach one certain end, the same; NEXT stands for the chain's own exit.
  const e = exit();
  const a = single(matched, e);
  return a !== undefined && a === single(rest, e);
}
