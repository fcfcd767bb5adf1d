/**
 * kube-proxy's session affinity in nftables mode, told from what the rules do, not from names.
 *
 * kube-proxy writes, per endpoint E of a ClientIP Service, a set `affinity-…` (`type ipv4_addr;
 * flags dynamic,timeout; timeout N`), a rule `ip saddr @affinity-E goto endpoint-E` in the service
 * (and local) chain before its `numgen` split, and `update @affinity-E { ip saddr }` in endpoint-E.
 * nft facts: `update` adds the source (or refreshes its timeout) and the lookup matches only a
 * source already in the set.
 *
 * A set S is affinity when the table writes it only from the packet's source, in one chain T, and
 * every rule that reads S is a lookup of the source whose verdict jumps or goes to T. Then S holds
 * exactly the clients T received, so a client that never connected is not in it. Unlike
 * iptables-save, `nft -j list ruleset` prints a dynamic set's elements (with `expires`): a client
 * the dump shows in S is a returning client, proven. Any other dynamic set (a meter, a blocklist
 * filled by other traffic) keeps the generic dynamic-set note (expr.ts).
 */
import type { MatchResult } from '../packet/match-result.js';
import { firstConnectionNote, returningClientNote } from '../packet/affinity.js';
import type { Branch } from '../packet/branch.js';
import type { WalkEnv } from '../packet/walk-env.js';
import { OneOf, type EvalCtx, type Left } from './read.js';
import type { NftSet, NftTable } from './ruleset.js';
import { namedCollection } from './sets.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One affinity lookup: its set and the affinity sets its chain reads, this one and those after it. */
export interface AffinityLookup {
  set: NftSet;
  /** Every affinity set the chain reads, in rule order. */
  chainSets: NftSet[];
  /** How many of them this lookup and the later ones read: the endpoints a returning client may have. */
  rest: number;
}

const isSaddr = (e: unknown): boolean =>
  isObj(e) && isObj(e.payload) && (e.payload.protocol === 'ip' || e.payload.protocol === 'ip6') && e.payload.field === 'saddr';

const setName = (v: unknown): string | null => (typeof v === 'string' && v.startsWith('@') ? v.slice(1) : null);

/** `ip saddr @S` + `goto|jump T`, nothing else: the set and T. */
function lookupRule(expr: unknown[]): { set: string; match: unknown; target: string } | null {
  if (expr.length !== 2) return null;
  const [m, v] = expr;
  if (!isObj(m) || !isObj(m.match) || !isObj(v)) return null;
  const { op, left, right } = m.match;
  const set = setName(right);
  const verdict = isObj(v.goto) ? v.goto : isObj(v.jump) ? v.jump : null;
  if ((op !== '==' && op !== 'in') || !isSaddr(left) || set === null || verdict === null || typeof verdict.target !== 'string') return null;
  return { set, match: m.match, target: verdict.target };
}

/** Every `@name` a value mentions, however deep. */
function mentions(v: unknown, out: string[]): void {
  if (typeof v === 'string') {
    const s = setName(v);
    if (s !== null) out.push(s);
  } else if (Array.isArray(v)) for (const x of v) mentions(x, out);
  else if (isObj(v)) for (const x of Object.values(v)) mentions(x, out);
}

const index = new WeakMap<NftTable, Map<unknown, AffinityLookup>>();

/** The affinity lookup a match object of this table is, if any (keyed by the match's own JSON object). */
export function affinityLookup(table: NftTable, match: unknown): AffinityLookup | undefined {
  let byMatch = index.get(table);
  if (byMatch === undefined) index.set(table, (byMatch = build(table)));
  return byMatch.get(match);
}

function build(table: NftTable): Map<unknown, AffinityLookup> {
  /** Per set: the chains that write it (`?`: a write that is not of the source), the targets of its lookups, how often anything names it. */
  const writers = new Map<string, string[]>();
  const targets = new Map<string, string[]>();
  const mentioned = new Map<string, number>();
  const add = (m: Map<string, string[]>, k: string, v: string) => (m.get(k) ?? m.set(k, []).get(k)!).push(v);
  const lookups: { chain: string; set: string; match: unknown }[] = [];
  for (const chain of table.chains.values()) {
    for (const rule of chain.rules) {
      const names: string[] = [];
      mentions(rule.expr, names);
      for (const n of names) mentioned.set(n, (mentioned.get(n) ?? 0) + 1);
      const l = lookupRule(rule.expr);
      if (l !== null) {
        lookups.push({ chain: chain.name, set: l.set, match: l.match });
        add(targets, l.set, l.target);
      }
      for (const e of rule.expr) {
        const st = isObj(e) && isObj(e.set) ? e.set : null;
        const name = st === null ? null : setName(st.set);
        if (st !== null && name !== null) add(writers, name, (st.op === 'update' || st.op === 'add') && isSaddr(st.elem) ? chain.name : '?');
      }
    }
  }
  const isAffinity = (name: string): NftSet | null => {
    const set = table.sets.get(name);
    const w = writers.get(name) ?? [];
    const t = targets.get(name) ?? [];
    const one = w[0];
    const ok = set !== undefined && set.kind === 'set' && set.dynamic && one !== undefined && one !== '?' &&
      w.every((x) => x === one) && t.every((x) => x === one) && mentioned.get(name) === w.length + t.length;
    return ok ? set : null;
  };
  const byChain = new Map<string, { match: unknown; set: NftSet }[]>();
  for (const l of lookups) {
    const set = isAffinity(l.set);
    if (set !== null) (byChain.get(l.chain) ?? byChain.set(l.chain, []).get(l.chain)!).push({ match: l.match, set });
  }
  const out = new Map<unknown, AffinityLookup>();
  for (const list of byChain.values()) {
    const chainSets = list.map((x) => x.set);
    list.forEach((x, i) => out.set(x.match, { set: x.set, chainSets, rest: list.length - i }));
  }
  return out;
}

/**
 * The lookup for one branch: in the set (the dump shows it) → a returning client, proven; in
 * another of the chain's affinity sets → not here; else a new client misses, and a returning one
 * takes this endpoint with 1/rest (the later lookups share the rest).
 */
export function affinityMatch(a: AffinityLookup, left: Left, undecided: (b: Branch, env: WalkEnv, ec: EvalCtx) => MatchResult):
  (b: Branch, env: WalkEnv, ec: EvalCtx) => MatchResult {
  const here = namedCollection(a.set, left);
  const others = a.chainSets.filter((s) => s !== a.set).map((s) => namedCollection(s, left));
  const first = firstConnectionNote('nft');
  const back = returningClientNote('nft');
  return (b, env, ec) => {
    const r = left.read(b, env, ec);
    if ('absent' in r) return false;
    const only = r.alts.length === 1 && r.unknown === undefined ? r.alts[0]!.v : null;
    if (only === null || only.some((c) => c === null || c instanceof OneOf)) return undecided(b, env, ec);
    const hit = here.lookup(only);
    if (hit !== null && 'hit' in hit) return { assumed: true, why: proven(a.set, b.src.text, hit.hit) };
    if (hit !== null) return undecided(b, env, ec);
    // The dump shows the client in another endpoint's set: it goes there, not here.
    if (others.some((c) => c.lookup(only) !== null)) return false;
    if (!env.returningClient) return { assumed: false, why: first };
    return a.rest <= 1 ? { assumed: true, why: back } : { chance: 1 / a.rest, why: back };
  };
}

function proven(set: NftSet, client: string, i: number): string {
  const expires = set.elements[i]?.expires;
  const left = expires === undefined ? '' : `, ${expires} s before its entry expires`;
  return `the dump shows ${client} in @${set.name}${left}: a client that connected before, sent back to the endpoint it had`;
}
