/**
 * Merging branches that reached the same state. Two branches in the same state meet the same
 * rules from here on and end the same way, so they are walked once, with their probabilities
 * added; the hops of the more probable one stay as the representative path. The walk merges where
 * branches meet: at each rule of a chain, at each station of a hook, and when outcomes are done.
 * That bounds the work by the number of distinct states rather than the number of paths.
 *
 * "Same state" covers everything a later rule or the outcome can see: the packet tuple and
 * interfaces, the hook, marks, the conntrack view, NAT bindings, delivery, reject type, the
 * assumptions taken. Undecided reasons are handled in three steps:
 * 1. Branches with the same reasons merge.
 * 2. A fork whose every side led to the same state with the same share did not change anything:
 *    its sides merge and its reason is dropped. (Equal shares matter: when a `-m recent --rcheck`
 *    hit always reaches pod B and a miss reaches it half the time, the fork changed the odds.)
 * 3. Branches apart only by facts of the node the dumps do not show (an ipset's contents, an
 *    interface) merge too; the facts they took different sides of stay as notes, without a side,
 *    so nothing undecided is dropped. Branches apart by state that differs per connection (a
 *    recent list: the first connection and later ones really take different paths) stay apart.
 */
import type { Branch, Undecided } from './branch.js';

/** Everything about a branch that can change what happens to it next, except its reasons. */
export function stateKey(b: Branch): string {
  const ct = b.ct;
  const nat = b.natBoundBy !== undefined && b.natBoundBy.hook === b.hook ? `${b.natBoundBy.priority}/${b.natBoundBy.name}` : '';
  return [
    b.src.text, b.dst.text, b.proto, b.protoNum, b.sport, b.dport, b.icmpType, b.icmpCode,
    b.inIface, b.outIface, b.outIfaceKnown, b.hook, b.mark,
    ct.state, ct.origSrc.text, ct.origDst.text, ct.origSport, ct.origDport, ct.dnat, ct.snat,
    ct.dnatDecided, ct.snatDecided, ct.confirmed, ct.mark,
    b.dnatTo ? `${b.dnatTo.ip}:${b.dnatTo.port}` : '', b.snatTo ? `${b.snatTo.type}:${b.snatTo.ip}:${b.snatTo.port}` : '',
    b.delivery, b.rejectWith, nat, b.assumptions.join('\u0001'),
  ].join('\u0000');
}

const reasonKey = (r: Undecided): string => (r.fork ? `f${r.fork.id}\u0002${r.fork.side}` : `u${r.text}`);

function reasonsKey(rs: Undecided[], skip?: Undecided): string {
  const keys: string[] = [];
  for (const r of rs) if (r !== skip) keys.push(reasonKey(r));
  return keys.sort().join('\u0001');
}

/**
 * Merges the items whose branches are in the same state. `extra` adds what else must be equal
 * (a finished outcome's verdict and reason).
 */
export function mergeSame<T>(items: T[], branchOf: (t: T) => Branch, extra?: (t: T) => string): T[] {
  if (items.length < 2) return items;
  // Most sets of branches differ in destination or mark (one per endpoint): a cheap look first.
  const quick = new Set<string>();
  for (const t of items) {
    const b = branchOf(t);
    quick.add(`${b.dst.text}\u0000${b.dport}\u0000${b.src.text}\u0000${b.mark}`);
  }
  if (quick.size === items.length) return items;
  const groups = new Map<string, T[]>();
  for (const t of items) {
    const k = extra ? `${extra(t)}\u0003${stateKey(branchOf(t))}` : stateKey(branchOf(t));
    const g = groups.get(k);
    if (g) g.push(t);
    else groups.set(k, [t]);
  }
  if (groups.size === items.length) return items;
  const survivors = new Set<T>();
  for (const g of groups.values()) for (const t of g.length === 1 ? g : mergeGroup(g, branchOf)) survivors.add(t);
  // Survivors keep their places: outcomes stay in the order the walk found them.
  return items.filter((t) => survivors.has(t));
}

/** Adds `other` into `keep`: probabilities add, the more probable branch's hops stay. */
function absorb(keep: Branch, other: Branch): void {
  if (other.probability > keep.probability) keep.hops = other.hops;
  keep.probability += other.probability;
}

/** Items in one state: equal reasons merge, then forks whose every side is present, then facts of the node. */
function mergeGroup<T>(group: T[], branchOf: (t: T) => Branch): T[] {
  return acrossFacts(withoutIdleForks(exact(group, branchOf), branchOf), branchOf);
}

/** Step 2: sides of one fork that all ended alike, with equal shares, merge without the fork. */
function withoutIdleForks<T>(start: T[], branchOf: (t: T) => Branch): T[] {
  let list = start;
  for (;;) {
    const sides = new Map<string, (T | undefined)[]>();
    for (const t of list) {
      const rs = branchOf(t).reasons;
      for (const r of rs) {
        if (!r.fork) continue;
        const k = `${r.fork.id}\u0003${reasonsKey(rs, r)}`;
        let arr = sides.get(k);
        if (!arr) sides.set(k, (arr = new Array<T | undefined>(r.fork.sides)));
        arr[r.fork.side] ??= t;
      }
    }
    const used = new Set<T>();
    const merged: T[] = [];
    for (const [k, arr] of sides) {
      // (A loop, not some(): some() skips the holes of a sparse array.)
      let complete = true;
      for (let k2 = 0; k2 < arr.length && complete; k2++) complete = arr[k2] !== undefined && !used.has(arr[k2] as T);
      if (!complete) continue;
      const all = arr as T[];
      if (!sameShares(all.map((t) => branchOf(t).probability))) continue;
      const id = k.slice(0, k.indexOf('\u0003'));
      // The most probable side represents the merged branch; the fork's reason goes.
      const keep = all.reduce((a, t) => (branchOf(t).probability > branchOf(a).probability ? t : a));
      const kb = branchOf(keep);
      for (const t of all) {
        used.add(t);
        if (t !== keep) absorb(kb, branchOf(t));
      }
      kb.reasons = kb.reasons.filter((r) => r.fork?.id !== id);
      merged.push(keep);
    }
    if (merged.length === 0) return list;
    // Keep the order: a merged item stays where its representative was.
    const kept = new Set(merged);
    const next: T[] = [];
    for (const t of list) if (!used.has(t) || kept.has(t)) next.push(t);
    list = exact(next, branchOf);
  }
}

/** Each side of a fork took an equal share; equal shares here mean the fork did not change the odds. */
function sameShares(ps: number[]): boolean {
  const max = Math.max(...ps);
  return ps.every((p) => Math.abs(p - max) <= 1e-9 * max);
}

/** Step 3: items apart only by facts of the node merge; the facts differing between them become side-less notes. */
function acrossFacts<T>(list: T[], branchOf: (t: T) => Branch): T[] {
  if (list.length < 2) return list;
  const by = new Map<string, T[]>();
  for (const t of list) {
    const k = reasonsKey(branchOf(t).reasons.filter((r) => r.fork?.perConnection));
    const g = by.get(k);
    if (g) g.push(t);
    else by.set(k, [t]);
  }
  if (by.size === list.length) return list;
  const kept = new Set<T>();
  for (const g of by.values()) {
    if (g.length === 1) {
      kept.add(g[0] as T);
      continue;
    }
    const keep = g.reduce((a, t) => (branchOf(t).probability > branchOf(a).probability ? t : a));
    const kb = branchOf(keep);
    // A reason every item holds still holds; the others are facts the result may depend on.
    const held = new Map<string, number>();
    for (const t of g) for (const r of new Set(branchOf(t).reasons.map(reasonKey))) held.set(r, (held.get(r) ?? 0) + 1);
    const reasons: Undecided[] = [];
    const seen = new Set<string>();
    for (const t of g) {
      for (const r of branchOf(t).reasons) {
        const note: Undecided = held.get(reasonKey(r)) === g.length || !r.fork ? r : { text: r.fork.fact };
        if (seen.has(note.text)) continue;
        seen.add(note.text);
        reasons.push(note);
      }
    }
    for (const t of g) if (t !== keep) absorb(kb, branchOf(t));
    kb.reasons = reasons;
    kept.add(keep);
  }
  return list.filter((t) => kept.has(t));
}

function exact<T>(group: T[], branchOf: (t: T) => Branch): T[] {
  if (group.length < 2) return group;
  const by = new Map<string, T>();
  const out: T[] = [];
  for (const t of group) {
    const k = reasonsKey(branchOf(t).reasons);
    const first = by.get(k);
    if (first === undefined) {
      by.set(k, t);
      out.push(t);
    } else absorb(branchOf(first), branchOf(t));
  }
  return out;
}
