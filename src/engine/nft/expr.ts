/**
 * nft matches (`{"match": {"op", "left", "right"}}`) compiled to functions of a branch. Results use
 * the iptables engine's MatchResult: true/false, a chance (numgen), unknown (the dump cannot tell;
 * the walk forks), or assumed (dynamic sets, rate limits).
 */
import type { Branch } from '../packet/branch.js';
import type { MatchResult } from '../packet/match-result.js';
import type { WalkEnv } from '../packet/walk-env.js';
import { exprKind, lazyText, printStmt, type Text } from './print.js';
import { compileLeft, constantNumber, NftRuleError, OneOf, type Comp, type CompileCtx, type EvalCtx, type Left, type Read } from './read.js';
import { affinityLookup, affinityMatch } from './affinity.js';
import { Collection, compareConst, dynamicNote, namedCollection, Unsupported, type Lookup } from './sets.js';

export type NftMatchFn = (b: Branch, env: WalkEnv, ec: EvalCtx) => MatchResult;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const OPS = new Set(['==', '!=', '<', '>', '<=', '>=', 'in']);
const EPS = 1e-12;

/** The right side of `==`/`!=`/`in` (or a map's data) as a collection, with the dynamic-set note if any. */
export function rightCollection(right: unknown, left: Left, cc: CompileCtx, text: Text): { coll: Collection; dynamic: string | null; name: string } {
  if (typeof right === 'string' && right.startsWith('@')) {
    const set = cc.table.sets.get(right.slice(1));
    if (!set) throw new NftRuleError(`${text()}: the table declares no set or map ${right}`);
    return { coll: namedCollection(set, left), dynamic: set.dynamic ? dynamicNote(set) : null, name: right };
  }
  if (isObj(right) && exprKind(right) === 'set') {
    const items: unknown[] = Array.isArray(right.set) ? right.set : [right.set];
    // Elements of an anonymous map are [key, value] pairs; the lookup needs the keys.
    const keys = items.map((x): unknown => (Array.isArray(x) ? (x as unknown[])[0] : x));
    return { coll: new Collection(keys, left), dynamic: null, name: 'anonymous' };
  }
  return { coll: new Collection([right], left), dynamic: null, name: 'anonymous' };
}

const found = (l: Lookup): boolean | null => (l === null ? false : 'hit' in l ? true : null);

export function compileMatch(m: unknown, cc: CompileCtx): NftMatchFn {
  if (!isObj(m) || typeof m.op !== 'string' || !OPS.has(m.op) || !('left' in m) || !('right' in m)) {
    throw new NftRuleError(`match ${JSON.stringify(m)} needs "op" (==, !=, <, >, <=, >=, in), "left" and "right"`);
  }
  const text = lazyText(() => printStmt({ match: m }, cc.table.family));
  const op = m.op;
  const left = compileLeft(m.left, cc);
  if (left.unsupported !== undefined) {
    const why = `${text()}: ${left.unsupported}`;
    return () => ({ unknown: why });
  }
  let test: (v: Comp[]) => boolean | null;
  let dynamic: string | null = null;
  try {
    const bitmask = op === 'in' && !(typeof m.right === 'string' && m.right.startsWith('@')) && !(isObj(m.right) && exprKind(m.right) === 'set');
    if (bitmask) {
      // `ct state established,related`: any of the flags (nft's implicit op on bitmask types).
      const mask = constantNumber(m.right, left.symbols[0] ?? null);
      if (mask === null || left.kinds.length !== 1 || left.kinds[0] !== 'int') throw new Unsupported(`${JSON.stringify(m.right)} is not a set of flags np-doctor knows`);
      test = ([c]) => anyBit(c ?? null, mask);
    } else if (op === '==' || op === '!=' || op === 'in') {
      const r = rightCollection(m.right, left, cc, text);
      dynamic = r.dynamic;
      const neg = op === '!=';
      test = (v) => {
        const f = found(r.coll.lookup(v));
        return f === null ? null : f !== neg;
      };
    } else {
      if (left.kinds.length !== 1) throw new Unsupported(`${op} on a concatenation`);
      const cmp = compareConst(m.right, left.kinds[0] as 'int' | 'addr' | 'str', left.symbols[0] ?? null);
      test = ([c]) => cmp(c ?? null, op);
    }
  } catch (e) {
    if (e instanceof Unsupported) {
      const why = `${text()}: ${e.message}`;
      return () => ({ unknown: why });
    }
    throw e;
  }
  const generic: NftMatchFn = (b, env, ec) => decide(left.read(b, env, ec), test, text, dynamic);
  const affinity = dynamic !== null ? affinityLookup(cc.table, m) : undefined;
  return affinity !== undefined ? affinityMatch(affinity, left, generic) : generic;
}

function anyBit(c: Comp, mask: number): boolean | null {
  if (typeof c === 'number') return (c & mask) !== 0;
  if (c instanceof OneOf) {
    const rs = c.values.map((x) => typeof x === 'number' && (x & mask) !== 0);
    return rs.every(Boolean) ? true : rs.some(Boolean) ? null : false;
  }
  return null;
}

/** Folds a read's alternatives through a test into one MatchResult. */
export function decide(r: Read, test: (v: Comp[]) => boolean | null, text: Text, dynamic: string | null): MatchResult {
  // The expression's header or conntrack entry is missing: the kernel breaks out of the rule.
  if ('absent' in r) return false;
  let yes = 0;
  let maybe = false;
  for (const a of r.alts) {
    const t = test(a.v);
    if (t === null) maybe = true;
    else if (t) yes += a.p;
  }
  if (maybe) return { unknown: `${text()}: ${r.unknown ?? 'the value is not known'}` };
  const whys = [r.why, dynamic].filter((x): x is string => !!x);
  if (r.alts.length === 1 || yes <= EPS || yes >= 1 - EPS) {
    // Every alternative agrees: no chance involved, whatever numgen drew.
    const v = yes >= 0.5;
    return dynamic ? { assumed: v, why: dynamic } : v;
  }
  return { chance: yes, ...(whys.length ? { why: whys.join('; ') } : {}) };
}
