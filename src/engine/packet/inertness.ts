/**
 * Rules that cannot change what happens to the packet, whether they match or not, for any chain
 * graph (iptables tables, nftables tables). Such a rule needs no fork when its match cannot be
 * decided: both sides go on in the same state.
 * - a rule that only matches, counts, logs or limits (`none`) is inert;
 * - a jump to an inert chain (empty, only returns, only such rules) comes back unchanged;
 * - a return, or a goto to an inert chain, skips the rest of the chain, which changes nothing when
 *   every later rule of the chain is inert itself.
 * Matches that update state for later packets (`-m recent --set`, counters, limits) do not change
 * this packet's fate.
 */

/** What a rule does when it matches, as far as inertness is concerned. */
export type RuleShape<C> = { kind: 'none' } | { kind: 'return' } | { kind: 'jump' | 'goto'; chain: C } | { kind: 'acts' };

export interface ChainGraph<C extends object> {
  length(chain: C): number;
  /** The i-th rule's shape; a rule that cannot be compiled is `acts` (the walk reports it when it gets there). */
  shape(chain: C, i: number): RuleShape<C>;
}

// Chains are objects of the parsed dumps, so the answers can be kept as long as the dump lives.
const chainCache = new WeakMap<object, boolean>();
/** Per chain: the first rule index from which every rule to the end is inert. */
const fromCache = new WeakMap<object, number>();

function passable<C extends object>(g: ChainGraph<C>, s: RuleShape<C>, visiting: Set<C>): boolean {
  return s.kind === 'none' || s.kind === 'return' || ((s.kind === 'jump' || s.kind === 'goto') && chainInert(g, s.chain, visiting));
}

/** True when running `chain` can change nothing, however its matches come out. */
export function chainInert<C extends object>(g: ChainGraph<C>, chain: C, visiting = new Set<C>()): boolean {
  const cached = chainCache.get(chain);
  if (cached !== undefined) return cached;
  // The kernel refuses loops; one in a hand-written dump is simply not inert (and ends the recursion).
  if (visiting.has(chain)) return false;
  visiting.add(chain);
  let inert = true;
  for (let i = 0; i < g.length(chain) && inert; i++) inert = passable(g, g.shape(chain, i), visiting);
  visiting.delete(chain);
  chainCache.set(chain, inert);
  return inert;
}

function inertFrom<C extends object>(g: ChainGraph<C>, chain: C): number {
  let from = fromCache.get(chain);
  if (from !== undefined) return from;
  from = g.length(chain);
  while (from > 0 && passable(g, g.shape(chain, from - 1), new Set())) from--;
  fromCache.set(chain, from);
  return from;
}

/** True when the i-th rule of `chain` changes nothing whether it matches or not. */
export function ruleInert<C extends object>(g: ChainGraph<C>, chain: C, i: number): boolean {
  const s = g.shape(chain, i);
  switch (s.kind) {
    case 'none':
      return true;
    case 'acts':
      return false;
    case 'jump':
      return chainInert(g, s.chain);
    case 'return':
      return inertFrom(g, chain) <= i + 1;
    case 'goto':
      return chainInert(g, s.chain) && inertFrom(g, chain) <= i + 1;
  }
}
