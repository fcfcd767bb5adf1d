/**
 * Map and verdict-map lookups (`… vmap @service-ips`, `dnat to ip daddr map { … }`): the key is read,
 * looked up, and the branch forks over where it may go. numgen keys split by exact shares; a key
 * the dump cannot tell forks into every element it may match, each branch undecided.
 */
import { assume, fork, tookSide, undecided, type Branch } from '../packet/branch.js';
import { rightCollection } from './expr.js';
import { fmtOf, printExpr, type Text } from './print.js';
import { compileLeft, NftRuleError, type CompileCtx, type Left, type Read } from './read.js';
import type { Collection } from './sets.js';
import type { HopElement, RunCtx } from './steps.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A map element as the lookup reports it (a named map's NftSetElement, or one of an anonymous map). */
export interface Entry {
  value?: unknown;
  keyText: string;
  comment?: string;
}

/** A map or verdict-map lookup: the key expression, the elements, and their values. */
export interface MapLookup {
  left: Left;
  coll: Collection;
  dynamic: string | null;
  name: string;
  entries: readonly Entry[];
}

export function mapLookup(key: unknown, data: unknown, cc: CompileCtx, text: Text): MapLookup {
  const left = compileLeft(key, cc);
  const { coll, dynamic, name } = rightCollection(data, left, cc, text);
  let entries: readonly Entry[];
  if (typeof data === 'string') {
    const set = cc.table.sets.get(data.slice(1));
    if (!set || set.kind !== 'map') throw new NftRuleError(`${text()}: ${data} is not a map of table ${cc.table.family} ${cc.table.name}`);
    entries = set.elements;
  } else {
    const items = isObj(data) && Array.isArray(data.set) ? data.set : [];
    entries = items.map((x): Entry => {
      if (!Array.isArray(x) || x.length !== 2) throw new NftRuleError(`${text()}: a map element is not a [key, value] pair`);
      const [k, v] = x as unknown[];
      const inner = isObj(k) && isObj(k.elem) ? k.elem : null;
      return { value: v, keyText: printExpr(inner ? inner.val : k, fmtOf(key)), ...(inner && typeof inner.comment === 'string' ? { comment: inner.comment } : {}) };
    });
  }
  return { left, coll, dynamic, name, entries };
}

/**
 * Where one map lookup may go: an element (index), nowhere (MISS), or one of too many elements to
 * follow each (MANY), with its share and whether the dump leaves it in doubt. Shares sum to 1: a
 * key the dump cannot tell splits its share evenly over every element it may match and a miss.
 */
export interface Outcome {
  idx: number;
  p: number;
  maybe: boolean;
}

export const MISS = -1;
export const MANY = -2;
/** An unknown key may match this many elements before the walk stops following each one. */
export const MAX_CANDIDATES = 16;

export function outcomes(r: Read, coll: Collection): Outcome[] {
  if ('absent' in r) return [{ idx: MISS, p: 1, maybe: false }];
  const byIdx = new Map<number, Outcome>();
  const add = (idx: number, p: number, maybe: boolean) => {
    const o = byIdx.get(idx);
    if (o) {
      o.p += p;
      o.maybe ||= maybe;
    } else byIdx.set(idx, { idx, p, maybe });
  };
  for (const a of r.alts) {
    const l = coll.lookup(a.v);
    if (l === null) add(MISS, a.p, false);
    else if ('hit' in l) add(l.hit, a.p, false);
    else {
      // Unknown components: each candidate, and no element at all, stay possible.
      const share = a.p / (l.maybe.length + 1);
      if (l.maybe.length > MAX_CANDIDATES) add(MANY, a.p - share, true);
      else for (const i of l.maybe) add(i, share, true);
      add(MISS, share, true);
    }
  }
  return [...byIdx.values()];
}

/**
 * Forks a branch over a lookup's outcomes, each with its share of the probability; the doubtful
 * ones are the sides of one undecidable fork (packet/merge.ts drops it when every side ends alike).
 */
export function forkOver<T>(b: Branch, os: Outcome[], r: Read, m: MapLookup, text: Text, rc: RunCtx, each: (x: Branch, o: Outcome) => T[]): T[] {
  const out: T[] = [];
  const unknownWhy = 'absent' in r ? '' : r.unknown ?? 'the key is not known';
  const why = 'absent' in r ? undefined : r.why;
  // The doubtful outcomes are the sides of one fork; its side texts are built up front.
  const doubtful = os.filter((o) => o.maybe);
  const fact = `${rc.where}: ${text()} may find several elements or none (${unknownWhy})`;
  const undecidedFork = {
    id: `${rc.where}|${text()}`, fact,
    sides: doubtful.map((o) => {
      const what = o.idx === MISS ? 'find no element' : o.idx === MANY ? 'pick one of many elements' : `pick ${m.entries[o.idx]?.keyText ?? '?'}`;
      return `${rc.where}: ${text()} may ${what} (${unknownWhy}); this branch assumes it does`;
    }),
  };
  let side = 0;
  for (const o of os) {
    const x = os.length === 1 ? b : fork(b);
    if (os.length > 1) {
      x.probability *= o.p;
      if (why) assume(x, why);
      if (o.maybe) {
        if (doubtful.length > 1) tookSide(x, undecidedFork, side++);
        else undecided(x, undecidedFork.sides[0] as string);
      }
    }
    if (m.dynamic && !('absent' in r)) assume(x, m.dynamic);
    out.push(...each(x, o));
  }
  return out;
}

export const elementOf = (m: MapLookup, idx: number): HopElement => {
  const e = m.entries[idx] as Entry;
  return { set: m.name, key: e.keyText, ...(e.comment === undefined ? {} : { comment: e.comment }) };
};
