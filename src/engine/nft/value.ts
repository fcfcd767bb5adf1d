/**
 * Values a statement sets or translates to: constants (`10.244.1.2`, `8080`, a range's first member,
 * `addr . port`), expressions (`meta mark | 0x4000`) and map lookups (`ip daddr map @backends`).
 */
import { parseAddr } from '../address.js';
import type { Branch } from '../packet/branch.js';
import type { WalkEnv } from '../packet/walk-env.js';
import { elementOf, forkOver, mapLookup, MANY, MAX_CANDIDATES, MISS, outcomes } from './lookup.js';
import { exprKind, type Text } from './print.js';
import { compileLeft, type Comp, type CompileCtx } from './read.js';
import { Unsupported } from './sets.js';
import type { HopElement, RunCtx } from './steps.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A NAT or mark value: one (or a few, through a map) values, or a miss. */
export interface Val {
  p: number;
  comps: Comp[];
  range: boolean;
  element?: HopElement;
}
export type ValueFn = (b: Branch, env: WalkEnv, rc: RunCtx) => { b: Branch; v: Val | null }[];

/** A constant value: address, number, `{"range": …}` (first member), `{"concat": […]}`. */
function constValue(v: unknown): { comps: Comp[]; range: boolean } | null {
  if (typeof v === 'number') return { comps: [v], range: false };
  if (typeof v === 'string') {
    const a = parseAddr(v);
    return a ? { comps: [a], range: false } : null;
  }
  const k = exprKind(v);
  if (k === 'range' && isObj(v) && Array.isArray(v.range)) {
    const first = constValue(v.range[0]);
    return first ? { comps: first.comps, range: JSON.stringify(v.range[0]) !== JSON.stringify(v.range[1]) } : null;
  }
  if (k === 'concat' && isObj(v) && Array.isArray(v.concat)) {
    const parts = v.concat.map(constValue);
    if (parts.some((p) => p === null)) return null;
    return { comps: parts.flatMap((p) => (p as { comps: Comp[] }).comps), range: parts.some((p) => p?.range) };
  }
  return null;
}

export function compileValue(e: unknown, cc: CompileCtx, text: Text): ValueFn {
  const c = constValue(e);
  if (c) return (b) => [{ b, v: { p: 1, ...c } }];
  const k = exprKind(e);
  if (k === 'map' && isObj(e) && isObj(e.map)) {
    const m = mapLookup(e.map.key, e.map.data, cc, text);
    return (b, env, rc) => {
      const r = m.left.read(b, env, rc);
      const os = outcomes(r, m.coll);
      return forkOver(b, os, r, m, text, rc, (x, o): { b: Branch; v: Val | null }[] => {
        if (o.idx === MISS) return [{ b: x, v: null }];
        if (o.idx === MANY) throw new Unsupported(`the key ${m.left.text} is not known and more than ${MAX_CANDIDATES} elements of ${m.name} may match it`);
        const v = constValue(m.entries[o.idx]?.value);
        if (!v) throw new Unsupported(`the value of element ${m.entries[o.idx]?.keyText ?? '?'} is not an address or port`);
        return [{ b: x, v: { p: 1, ...v, element: elementOf(m, o.idx) } }];
      });
    };
  }
  if (k === null) throw new Unsupported(`${JSON.stringify(e)} is not a value np-doctor reads`);
  const left = compileLeft(e, cc);
  return (b, env, rc) => {
    const r = left.read(b, env, rc);
    if ('absent' in r) return [{ b, v: null }];
    if (r.alts.length !== 1 || r.unknown) throw new Unsupported(`${left.text} does not give one known value`);
    return [{ b, v: { p: 1, comps: (r.alts[0] as { v: Comp[] }).v, range: false } }];
  };
}
