/**
 * Set and map lookups: anonymous sets (`{ 22, 30000-32767 }`), named sets and maps (`@service-ips`),
 * single constants, prefixes and ranges all become a collection of elements. Exact keys are hashed
 * (a 10k-Service map holds ~20k of them); only elements with a prefix, range or wildcard part are
 * scanned. nft refuses overlapping elements, so at most one element matches a key.
 */
import { cidrContains, compareAddr, parseAddr, parseCidr, type Addr } from '../address.js';
import { exprKind } from './print.js';
import { constantNumber, OneOf, type Comp, type Kind, type Left } from './read.js';
import type { NftSet } from './ruleset.js';
import type { Symbols } from './symbols.js';

/** A right-hand side np-doctor cannot read (an unknown symbol, an expression): the match is undecidable. */
export class Unsupported extends Error {}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** How one component of an element tests one component of a key: true, false, or null (cannot tell). */
export type Part = (c: Comp) => boolean | null;

/** The hash text of a known component, equal for equal values (and for the constant that names it). */
export function canon(c: number | string | Addr): string {
  if (typeof c === 'number') return `#${c}`;
  if (typeof c === 'string') return `"${c}`;
  return c.text;
}

/** Applies a test to each value a OneOf may take: the same answer for all, or null. */
function lift(c: Comp, f: (x: number | string | Addr) => boolean): boolean | null {
  if (c === null) return null;
  if (c instanceof OneOf) {
    const rs = c.values.map(f);
    return rs.every((r) => r) ? true : rs.every((r) => !r) ? false : null;
  }
  return f(c);
}

function addrOf(v: unknown): Addr {
  const a = typeof v === 'string' ? parseAddr(v) : null;
  if (!a) throw new Unsupported(`${JSON.stringify(v)} is not an IP address`);
  return a;
}

function numberOf(v: unknown, symbols: Symbols | null): number {
  const n = constantNumber(v, symbols);
  if (n === null) throw new Unsupported(`${JSON.stringify(v)} is not a value np-doctor knows${symbols ? ` for ${symbols.name}` : ''}`);
  return n;
}

/** Compiles one constant (value, prefix, range, wildcard name) for a component of `kind`. */
export function constPart(v: unknown, kind: Kind, symbols: Symbols | null): Part {
  if (isObj(v) && isObj(v.elem)) return constPart(v.elem.val, kind, symbols);
  const k = exprKind(v);
  if (k === 'prefix' && isObj(v) && isObj(v.prefix)) {
    if (kind !== 'addr') throw new Unsupported(`a prefix compared with a ${kind} value`);
    const c = parseCidr(`${String(v.prefix.addr)}/${String(v.prefix.len)}`);
    if (!c) throw new Unsupported(`${JSON.stringify(v.prefix)} is not a prefix`);
    return (x) => lift(x, (y) => typeof y === 'object' && cidrContains(c, y));
  }
  if (k === 'range' && isObj(v) && Array.isArray(v.range) && v.range.length === 2) {
    const [lo, hi] = v.range as unknown[];
    if (kind === 'addr') {
      const a = addrOf(lo);
      const z = addrOf(hi);
      return (x) => lift(x, (y) => typeof y === 'object' && y.family === a.family && compareAddr(y, a) >= 0 && compareAddr(y, z) <= 0);
    }
    const a = numberOf(lo, symbols);
    const z = numberOf(hi, symbols);
    return (x) => lift(x, (y) => typeof y === 'number' && y >= a && y <= z);
  }
  if (kind === 'addr') {
    const a = addrOf(v);
    const key = canon(a);
    return (x) => lift(x, (y) => typeof y === 'object' && canon(y) === key);
  }
  if (kind === 'str') {
    if (typeof v === 'boolean') {
      // `fib … oif exists` / `missing`: the interface read is "" when there is none.
      return (x) => lift(x, (y) => (y !== '') === v);
    }
    if (typeof v !== 'string') throw new Unsupported(`${JSON.stringify(v)} is not an interface name`);
    // A trailing unescaped `*` makes nft compare only the prefix (`iifname "cali*"`).
    if (v.endsWith('*') && !v.endsWith('\\*')) {
      const prefix = v.slice(0, -1);
      return (x) => lift(x, (y) => typeof y === 'string' && y.startsWith(prefix));
    }
    const name = v.replace(/\\\*$/, '*');
    return (x) => lift(x, (y) => y === name);
  }
  const n = numberOf(v, symbols);
  return (x) => lift(x, (y) => y === n);
}

/** `<`, `>`, `<=`, `>=` against a constant: numbers, or addresses of one family. */
export function compareConst(v: unknown, kind: Kind, symbols: Symbols | null): (c: Comp, op: string) => boolean | null {
  const holds = (d: number, op: string): boolean => (op === '<' ? d < 0 : op === '>' ? d > 0 : op === '<=' ? d <= 0 : d >= 0);
  if (kind === 'addr') {
    const a = addrOf(v);
    return (c, op) => lift(c, (y) => typeof y === 'object' && y.family === a.family && holds(compareAddr(y, a), op));
  }
  if (kind === 'int') {
    const n = numberOf(v, symbols);
    return (c, op) => lift(c, (y) => typeof y === 'number' && holds(y - n, op));
  }
  throw new Unsupported('interface names cannot be ordered');
}

/** An element key's components (`{"concat": […]}` split, `{"elem": …}` unwrapped), checked against the lookup key's arity. */
function componentsOf(key: unknown, left: Left): unknown[] {
  const inner = isObj(key) && isObj(key.elem) ? key.elem.val : key;
  if (left.kinds.length === 1) return [inner];
  if (!isObj(inner) || !Array.isArray(inner.concat)) throw new Unsupported(`element ${JSON.stringify(inner)} is not a concatenation of ${left.kinds.length} values`);
  const comps = inner.concat as unknown[];
  if (comps.length !== left.kinds.length) throw new Unsupported(`element has ${comps.length} values, the key ${left.text} has ${left.kinds.length}`);
  return comps;
}

const DOTTED_QUAD = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/**
 * The hash key of an exact constant without compiling a test for it (a 10k-Service map has 20k
 * elements; only the ones a walk scans need tests). Null for prefixes, ranges and wildcards.
 */
function exactCanon(v: unknown, kind: Kind, symbols: Symbols | null): string | null {
  if (isObj(v)) return isObj(v.elem) ? exactCanon(v.elem.val, kind, symbols) : null;
  if (kind === 'addr') {
    // A canonical dotted quad is its own canonical text; anything else goes through the parser.
    if (typeof v === 'string' && DOTTED_QUAD.test(v)) return v;
    return canon(addrOf(v));
  }
  if (kind === 'str') {
    if (typeof v !== 'string') return null;
    if (v.endsWith('*') && !v.endsWith('\\*')) return null;
    return canon(v.replace(/\\\*$/, '*'));
  }
  return canon(numberOf(v, symbols));
}

/** Compiles an element key's components against the lookup expression's components. */
export function compileParts(key: unknown, left: Left): Part[] {
  return componentsOf(key, left).map((c, i) => constPart(c, left.kinds[i] as Kind, left.symbols[i] ?? null));
}

export type Lookup = { hit: number } | { maybe: number[] } | null;

/**
 * Elements compiled for one lookup expression: exact keys go into a hash, the others (prefixes,
 * ranges, wildcards) are scanned. Tests are compiled per element on first need.
 */
export class Collection {
  private readonly index = new Map<string, number>();
  private readonly scanned: number[] = [];
  private readonly parts: (Part[] | undefined)[];

  constructor(private readonly keys: readonly unknown[], private readonly left: Left) {
    this.parts = new Array<Part[] | undefined>(keys.length);
    keys.forEach((k, i) => {
      const comps = componentsOf(k, left);
      const canons: string[] = [];
      for (let c = 0; c < comps.length; c++) {
        const x = exactCanon(comps[c], left.kinds[c] as Kind, left.symbols[c] ?? null);
        if (x === null) break;
        canons.push(x);
      }
      if (canons.length < comps.length) {
        // Compiled now, so a value np-doctor cannot read fails the rule's compilation, not a walk.
        this.parts[i] = compileParts(k, left);
        this.scanned.push(i);
      } else {
        const key = canons.join('\u0001');
        if (!this.index.has(key)) this.index.set(key, i);
      }
    });
  }

  get size(): number {
    return this.keys.length;
  }

  private partsOf(i: number): Part[] {
    return (this.parts[i] ??= compileParts(this.keys[i], this.left));
  }

  /** The element a key matches, or the elements it may match when some components are unknown. */
  lookup(v: Comp[]): Lookup {
    const known = v.every((c) => c !== null && !(c instanceof OneOf));
    if (known) {
      const hit = this.index.get(v.map((c) => canon(c as number | string | Addr)).join('\u0001'));
      if (hit !== undefined) return { hit };
      for (const i of this.scanned) if (matches(this.partsOf(i), v) === true) return { hit: i };
      return null;
    }
    const maybe: number[] = [];
    for (let i = 0; i < this.keys.length; i++) {
      const r = matches(this.partsOf(i), v);
      if (r === true) return { hit: i };
      if (r === null) maybe.push(i);
    }
    return maybe.length ? { maybe } : null;
  }
}

function matches(parts: Part[], v: Comp[]): boolean | null {
  let sure = true;
  for (let i = 0; i < parts.length; i++) {
    const r = (parts[i] as Part)(v[i] ?? null);
    if (r === false) return false;
    if (r === null) sure = false;
  }
  return sure ? true : null;
}

const named = new WeakMap<NftSet, Map<string, Collection>>();

/** A named set's elements compiled for `left`, cached per set and key shape. */
export function namedCollection(set: NftSet, left: Left): Collection {
  const sig = `${left.kinds.join(',')}|${left.symbols.map((s) => s?.name ?? '').join(',')}`;
  let bySig = named.get(set);
  if (!bySig) named.set(set, (bySig = new Map<string, Collection>()));
  let c = bySig.get(sig);
  if (!c) {
    c = new Collection(set.elements.map((e) => e.key), left);
    bySig.set(sig, c);
  }
  return c;
}

/** The assumption a lookup in a set the packet path changes carries (affinity sets, meters). */
export function dynamicNote(set: NftSet): string {
  return `@${set.name} is a dynamic set (${set.flags.join(',') || 'timeout'}): its entries may have expired or been added since the dump`;
}
