/**
 * nft statements compiled to steps of a rule: verdicts (accept, drop, jump, goto, return,
 * continue, queue), verdict maps, reject, NAT, marks, notrack, set updates, and the statements that
 * only count, log or rate-limit. Each step tells the rule what to do next for every branch it leaves:
 * go on to the next expression, break out of the rule (NFT_BREAK: the chain goes on with the next
 * rule), or end the rule with a verdict.
 */
import { hostPort, parseAddr, type Addr } from '../address.js';
import type { MatchResult } from '../iptables/matches.js';
import { setDestination, setSource } from '../netfilter/nat.js';
import { natSource, redirectTarget } from '../netfilter/routing.js';
import { assume, fork, undecided, type Branch, type WalkEnv } from '../netfilter/state.js';
import type { Hop } from '../netfilter/types.js';
import { rightCollection } from './expr.js';
import { exprKind, fmtOf, lazyText, printExpr, printStmt, type Text } from './print.js';
import { compileLeft, NftRuleError, OneOf, type Comp, type CompileCtx, type EvalCtx, type Left, type Read } from './read.js';
import type { NftChain } from './ruleset.js';
import { Unsupported, type Collection } from './sets.js';

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

export type Step =
  | { b: Branch; go: 'next'; act?: string }
  | { b: Branch; go: 'break'; act?: string }
  | { b: Branch; go: 'end'; end: End };

export interface RunCtx extends EvalCtx {
  /** The rule in messages: `handle 12 in inet firewalld filter_INPUT`. */
  where: string;
}

export type Op = (b: Branch, env: WalkEnv, rc: RunCtx) => Step[];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A MatchResult (a match, or a rate limit treated as one) as rule steps, forking where it must. */
export function resultSteps(b: Branch, r: MatchResult, rc: RunCtx): Step[] {
  if (r === true) return [{ b, go: 'next' }];
  if (r === false) return [{ b, go: 'break' }];
  if ('chance' in r) {
    if (r.chance >= 1) return [{ b, go: 'next' }];
    if (r.chance <= 0) return [{ b, go: 'break' }];
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
    const y = fork(b);
    undecided(y, `${rc.where} may match (${r.unknown}); this branch assumes it does`);
    undecided(b, `${rc.where} may match (${r.unknown}); this branch assumes it does not`);
    return [{ b: y, go: 'next' }, { b, go: 'break' }];
  }
  assume(b, r.why);
  return [{ b, go: r.assumed ? 'next' : 'break' }];
}

/** A statement np-doctor does not model: one branch assumes it lets the packet on, one stops. */
function unknownStep(b: Branch, text: string, why: string, rc: RunCtx): Step[] {
  const stops = fork(b);
  const reason = `${rc.where}: ${why}`;
  undecided(b, `${reason}; this branch assumes it lets the packet continue`);
  return [
    { b, go: 'next', act: text },
    { b: stops, go: 'end', end: { end: 'stop', action: text, why: `${reason}; it may decide the packet's fate here` } },
  ];
}

const unknownOp = (text: string, why: string): Op => (b, _env, rc) => unknownStep(b, text, why, rc);

/** A verdict as JSON (`{"goto": {"target": "x"}}`, `{"drop": null}`) → its end. */
export function verdictEnd(v: unknown, cc: CompileCtx): End {
  const k = exprKind(v);
  switch (k) {
    case 'accept':
      return { end: 'accept', action: 'ACCEPT' };
    case 'drop':
      return { end: 'drop', action: 'DROP' };
    case 'return':
      return { end: 'return', action: 'RETURN' };
    case 'continue':
      return { end: 'continue', action: 'CONTINUE' };
    case 'jump':
    case 'goto': {
      const body = isObj(v) ? v[k] : undefined;
      const target = isObj(body) ? body.target : undefined;
      if (typeof target !== 'string') throw new NftRuleError(`${k} without a "target" chain`);
      const chain = cc.table.chains.get(target);
      if (!chain) throw new NftRuleError(`${k} ${target}: table ${cc.table.family} ${cc.table.name} declares no such chain`);
      return { end: k, action: `${k.toUpperCase()} ${target}`, chain };
    }
    default:
      throw new NftRuleError(`${JSON.stringify(v)} is not a verdict`);
  }
}

interface Entry {
  value: unknown;
  keyText: string;
  comment?: string;
}

/** A map or verdict-map lookup: the key expression, the elements, and their values. */
interface MapLookup {
  left: Left;
  coll: Collection;
  dynamic: string | null;
  name: string;
  entries: Entry[];
}

function mapLookup(key: unknown, data: unknown, cc: CompileCtx, text: Text): MapLookup {
  const left = compileLeft(key, cc);
  const { coll, dynamic, name } = rightCollection(data, left, cc, text);
  let entries: Entry[];
  if (typeof data === 'string') {
    const set = cc.table.sets.get(data.slice(1));
    if (!set || set.kind !== 'map') throw new NftRuleError(`${text()}: ${data} is not a map of table ${cc.table.family} ${cc.table.name}`);
    entries = set.elements.map((e) => ({ value: e.value, keyText: e.keyText, ...(e.comment === undefined ? {} : { comment: e.comment }) }));
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

/** Where one map lookup may go: an element (index) or nowhere (-1), with its share and doubt. */
interface Outcome {
  idx: number;
  p: number;
  maybe: boolean;
}

function outcomes(r: Read, coll: Collection): Outcome[] {
  if ('absent' in r) return [{ idx: -1, p: 1, maybe: false }];
  const byIdx = new Map<number, Outcome>();
  const add = (idx: number, p: number, maybe: boolean) => {
    const o = byIdx.get(idx);
    if (o) {
      o.p += maybe ? 0 : p;
      o.maybe ||= maybe;
    } else byIdx.set(idx, { idx, p, maybe });
  };
  for (const a of r.alts) {
    const l = coll.lookup(a.v);
    if (l === null) add(-1, a.p, false);
    else if ('hit' in l) add(l.hit, a.p, false);
    else {
      // Unknown components: each candidate, and no element at all, stay possible.
      for (const i of l.maybe) add(i, a.p, true);
      add(-1, a.p, true);
    }
  }
  return [...byIdx.values()];
}

/** Forks a branch over a lookup's outcomes; exact shares multiply, doubtful ones are marked undecided. */
function forkOver<T>(b: Branch, os: Outcome[], r: Read, m: MapLookup, text: Text, rc: RunCtx, each: (x: Branch, o: Outcome) => T[]): T[] {
  const out: T[] = [];
  const unknownWhy = 'absent' in r ? '' : r.unknown ?? 'the key is not known';
  const why = 'absent' in r ? undefined : r.why;
  for (const o of os) {
    const x = os.length === 1 ? b : fork(b);
    if (os.length > 1) {
      if (!o.maybe) x.probability *= o.p;
      if (why) assume(x, why);
      if (o.maybe) {
        const what = o.idx < 0 ? 'find no element' : `pick ${m.entries[o.idx]?.keyText ?? '?'}`;
        undecided(x, `${rc.where}: ${text()} may ${what} (${unknownWhy}); this branch assumes it does`);
      }
    }
    if (m.dynamic && !('absent' in r)) assume(x, m.dynamic);
    out.push(...each(x, o));
  }
  return out;
}

const elementOf = (m: MapLookup, idx: number): HopElement => {
  const e = m.entries[idx] as Entry;
  return { set: m.name, key: e.keyText, ...(e.comment === undefined ? {} : { comment: e.comment }) };
};

function vmapOp(s: Obj, cc: CompileCtx): Op {
  const text = lazyText(() => printStmt({ vmap: s }, cc.table.family));
  if (!('key' in s) || !('data' in s)) throw new NftRuleError(`vmap needs "key" and "data"`);
  let m: MapLookup;
  try {
    m = mapLookup(s.key, s.data, cc, text);
  } catch (e) {
    if (e instanceof Unsupported) return unknownOp(text(), `${text()}: ${e.message}`);
    throw e;
  }
  const ends = new Map<number, End>();
  const endOf = (idx: number): End => {
    let e = ends.get(idx);
    if (!e) {
      e = { ...verdictEnd(m.entries[idx]?.value, cc), element: elementOf(m, idx) };
      ends.set(idx, e);
    }
    return e;
  };
  return (b, env, rc) => {
    const r = m.left.read(b, env, rc);
    const os = outcomes(r, m.coll);
    return forkOver(b, os, r, m, text, rc, (x, o): Step[] => (o.idx < 0 ? [{ b: x, go: 'break' }] : [{ b: x, go: 'end', end: endOf(o.idx) }]));
  };
}

/** A NAT or mark value: one (or a few, through a map) values, or a miss. */
interface Val {
  p: number;
  comps: Comp[];
  range: boolean;
  element?: HopElement;
}
type ValueFn = (b: Branch, env: WalkEnv, rc: RunCtx) => { b: Branch; v: Val | null }[];

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

function compileValue(e: unknown, cc: CompileCtx, text: Text): ValueFn {
  const c = constValue(e);
  if (c) return (b) => [{ b, v: { p: 1, ...c } }];
  const k = exprKind(e);
  if (k === 'map' && isObj(e) && isObj(e.map)) {
    const m = mapLookup(e.map.key, e.map.data, cc, text);
    return (b, env, rc) => {
      const r = m.left.read(b, env, rc);
      const os = outcomes(r, m.coll);
      return forkOver(b, os, r, m, text, rc, (x, o): { b: Branch; v: Val | null }[] => {
        if (o.idx < 0) return [{ b: x, v: null }];
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

const famOf = (f: unknown): 4 | 6 | null => (f === 'ip' ? 4 : f === 'ip6' ? 6 : null);
const asAddr = (c: Comp | undefined): Addr | null => (typeof c === 'object' && c !== null && !(c instanceof OneOf) ? c : null);
const asPort = (c: Comp | undefined): number | null => (typeof c === 'number' ? c : null);

function natOp(kind: 'dnat' | 'snat' | 'masquerade' | 'redirect', s: Obj, cc: CompileCtx): Op {
  const text = lazyText(() => printStmt({ [kind]: s }, cc.table.family));
  const family = famOf(s.family);
  let addr: ValueFn | null = null;
  let port: ValueFn | null = null;
  try {
    if (s.addr !== undefined) addr = compileValue(s.addr, cc, text);
    if (s.port !== undefined) port = compileValue(s.port, cc, text);
    if (Array.isArray(s.type_flags) && s.type_flags.includes('prefix')) throw new Unsupported('prefix NAT (NETMAP) is not modelled by np-doctor');
  } catch (e) {
    if (e instanceof Unsupported) return unknownOp(text(), `${text()}: ${e.message}`);
    throw e;
  }
  return (b0, env, rc) => {
    // nft_nat_inet_eval: a NAT of the other address family does nothing and the rule goes on.
    if (family !== null && family !== b0.dst.family) return [{ b: b0, go: 'next' }];
    const steps: Step[] = [];
    try {
      for (const a of addr ? addr(b0, env, rc) : [{ b: b0, v: { p: 1, comps: [], range: false } as Val }]) {
        // A map without the key breaks out of the rule: no translation.
        if (!a.v) {
          steps.push({ b: a.b, go: 'break' });
          continue;
        }
        for (const pt of port ? port(a.b, env, rc) : [{ b: a.b, v: null }]) {
          if (port && !pt.v) {
            steps.push({ b: pt.b, go: 'break' });
            continue;
          }
          steps.push(...bind(kind, pt.b, a.v, pt.v, env, rc, text));
        }
      }
    } catch (e) {
      if (e instanceof Unsupported) return unknownStep(b0, text(), `${text()}: ${e.message}`, rc);
      throw e;
    }
    return steps;
  };
}

/** Binds the NAT (conntrack records it) and ends the chain: nft_nat_eval returns NF_ACCEPT. */
function bind(kind: 'dnat' | 'snat' | 'masquerade' | 'redirect', b: Branch, av: Val, pv: Val | null, env: WalkEnv, rc: RunCtx, text: Text): Step[] {
  const ip = asAddr(av.comps[0]);
  const port = asPort(av.comps[1]) ?? asPort(pv?.comps[0]);
  const range = av.range || !!pv?.range;
  const element = av.element ?? pv?.element;
  const done = (action: string): Step[] => [{ b, go: 'end', end: { end: 'accept', action, ...(element ? { element } : {}) } }];
  if (range) undecided(b, `${rc.where} ${kind === 'snat' || kind === 'masquerade' ? 'SNATs' : 'DNATs'} to a range; the kernel picks one member, shown here is the first`);
  switch (kind) {
    case 'dnat': {
      if (av.comps.length && !ip) return unknownStep(b, text(), `${text()}: the address is not one np-doctor can read`, rc);
      const to = ip?.text ?? b.dst.text;
      const p = port ?? b.dport ?? null;
      setDestination(b, to, p);
      return done(`DNAT ${hostPort(to, p)}`);
    }
    case 'snat': {
      const to = ip?.text ?? b.src.text;
      setSource(b, 'SNAT', to, port);
      return done(`SNAT ${hostPort(to, port)}`);
    }
    case 'masquerade':
      setSource(b, 'MASQUERADE', natSource(b, env), port);
      return done('MASQUERADE');
    case 'redirect': {
      const to = redirectTarget(b, env);
      const p = port ?? b.dport ?? null;
      if (to === null) undecided(b, `${rc.where} REDIRECTs to the input interface's address, which is not known`);
      else setDestination(b, to, p);
      return done(`REDIRECT ${hostPort(to ?? '?', p)}`);
    }
  }
}

/** What the client sees, in iptables' --reject-with words (path.ts reads them). */
function rejectWith(type: unknown, code: unknown, family: 4 | 6): string {
  if (type === 'tcp reset') return 'tcp-reset';
  const c = typeof code === 'string' ? code : 'port-unreachable';
  if (type === 'icmpx') {
    const v4: Record<string, string> = { 'port-unreachable': 'icmp-port-unreachable', 'admin-prohibited': 'icmp-admin-prohibited', 'no-route': 'icmp-net-unreachable', 'host-unreachable': 'icmp-host-unreachable' };
    const v6: Record<string, string> = { 'port-unreachable': 'icmp6-port-unreachable', 'admin-prohibited': 'icmp6-adm-prohibited', 'no-route': 'icmp6-no-route', 'host-unreachable': 'icmp6-addr-unreachable' };
    return (family === 4 ? v4 : v6)[c] ?? `icmpx-${c}`;
  }
  if (type === 'icmpv6') return c === 'admin-prohibited' ? 'icmp6-adm-prohibited' : `icmp6-${c}`;
  return c === 'prot-unreachable' ? 'icmp-proto-unreachable' : `icmp-${c}`;
}

function rejectOp(s: unknown, cc: CompileCtx): Op {
  const b = isObj(s) ? s : {};
  const type = b.type;
  // Hidden dependencies nft adds and lists without: `with tcp reset` only for TCP, and in inet
  // tables `with icmp …` only for IPv4, `with icmpv6 …` only for IPv6.
  const needProto = type === 'tcp reset' ? 6 : null;
  const multi = cc.table.family !== 'ip' && cc.table.family !== 'ip6';
  const needFamily = multi && type === 'icmp' ? 4 : multi && type === 'icmpv6' ? 6 : null;
  return (x) => {
    if ((needProto !== null && x.protoNum !== needProto) || (needFamily !== null && x.dst.family !== needFamily)) return [{ b: x, go: 'break' }];
    return [{ b: x, go: 'end', end: { end: 'reject', action: 'REJECT', with: rejectWith(type, b.expr, x.dst.family) } }];
  };
}

const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

function mangleOp(s: Obj, cc: CompileCtx): Op {
  const text = lazyText(() => printStmt({ mangle: s }, cc.table.family));
  const key = s.key;
  const kk = exprKind(key);
  const keyBody = isObj(key) && kk ? key[kk] : undefined;
  const keyName = isObj(keyBody) ? keyBody.key : undefined;
  const target = kk === 'meta' && keyName === 'mark' ? 'mark' : kk === 'ct' && keyName === 'mark' ? 'ctmark' : kk === 'meta' && keyName === 'nftrace' ? 'trace' : null;
  if (target === 'trace') return (b) => [{ b, go: 'next', act: 'TRACE' }];
  if (target === null) {
    // Rewriting addresses or ports (stateless NAT) changes where the packet goes: not guessed.
    const field = isObj(keyBody) ? keyBody.field : undefined;
    if (kk === 'payload' && ['saddr', 'daddr', 'sport', 'dport'].includes(String(field))) return unknownOp(text(), `${text()} rewrites the packet, which np-doctor does not model`);
    return (b) => [{ b, go: 'next', act: text() }];
  }
  let value: ValueFn;
  try {
    value = compileValue(s.value, cc, text);
  } catch (e) {
    if (e instanceof Unsupported) return unknownOp(text(), `${text()}: ${e.message}`);
    throw e;
  }
  return (b0, env, rc) => {
    let results: { b: Branch; v: Val | null }[];
    try {
      results = value(b0, env, rc);
    } catch (e) {
      if (e instanceof Unsupported) return unknownStep(b0, text(), `${text()}: ${e.message}`, rc);
      throw e;
    }
    return results.flatMap(({ b, v }): Step[] => {
      if (!v) return [{ b, go: 'break' }];
      const n = v.comps[0];
      if (typeof n !== 'number') return unknownStep(b, text(), `${text()}: the value is not known`, rc);
      if (target === 'mark') {
        b.mark = n >>> 0;
        return [{ b, go: 'next', act: `MARK ${hex(b.mark)}` }];
      }
      // nft_ct_set_eval: without a conntrack entry (untracked, or before conntrack) nothing happens.
      if (b.ct.state === 'UNTRACKED' || (rc.beforeConntrack && !b.ct.confirmed)) return [{ b, go: 'next' }];
      b.ct.mark = n >>> 0;
      return [{ b, go: 'next', act: `CTMARK ${hex(b.ct.mark)}` }];
    });
  };
}

const LIMIT_WHY = 'rate limits are assumed not exceeded';

/** Compiles one statement (anything but a match) of a rule. */
export function compileStmt(s: unknown, cc: CompileCtx): Op {
  const k = exprKind(s);
  if (!isObj(s) || k === null) throw new NftRuleError(`${JSON.stringify(s)} is not a statement`);
  const body = s[k];
  const o = isObj(body) ? body : {};
  const text = lazyText(() => printStmt(s, cc.table.family));
  switch (k) {
    case 'accept':
    case 'drop':
    case 'return':
    case 'continue':
    case 'jump':
    case 'goto': {
      const end = verdictEnd(s, cc);
      return (b) => [{ b, go: 'end', end }];
    }
    case 'queue':
      return (b, _env, rc) => [{ b, go: 'end', end: { end: 'stop', action: 'QUEUE', why: `${rc.where} hands the packet to a userspace program (${text()}); its verdict is unknown` } }];
    case 'vmap':
      return vmapOp(o, cc);
    case 'reject':
      return rejectOp(body, cc);
    case 'dnat':
    case 'snat':
    case 'masquerade':
    case 'redirect':
      return natOp(k, o, cc);
    case 'mangle':
      return mangleOp(o, cc);
    case 'notrack':
      return (b, _env, rc) => {
        // nft_notrack_eval: only a packet conntrack has not seen yet can be untracked.
        if (!rc.beforeConntrack || b.ct.confirmed || b.ct.state === 'UNTRACKED') return [{ b, go: 'next', act: 'NOTRACK (no effect: conntrack already tracks the packet here)' }];
        b.ct.state = 'UNTRACKED';
        return [{ b, go: 'next', act: 'NOTRACK' }];
      };
    case 'set':
    case 'map':
      return (b) => [{ b, go: 'next', act: `SET ${String(o.op)} ${String(k === 'set' ? o.set : o.map)}` }];
    case 'counter':
    case 'log':
    case 'flow':
    case 'dup':
    case 'secmark':
    case 'last':
    case 'ct helper':
    case 'ct timeout':
    case 'ct expectation':
      // Count, log, offload later packets, copy, label: the packet itself goes on unchanged.
      return (b) => [{ b, go: 'next' }];
    case 'limit': {
      const r: MatchResult = { assumed: !o.inv, why: LIMIT_WHY };
      return (b, _env, rc) => resultSteps(b, r, rc);
    }
    case 'quota': {
      const r: MatchResult = { assumed: !o.inv, why: 'quotas are assumed not used up' };
      return (b, _env, rc) => resultSteps(b, r, rc);
    }
    case 'ct count': {
      const r: MatchResult = { assumed: !o.inv, why: 'connection counts are assumed under their limit' };
      return (b, _env, rc) => resultSteps(b, r, rc);
    }
    case 'meter': {
      const inner = o.stmt;
      if (exprKind(inner) === 'limit' && isObj(inner) && isObj(inner.limit)) {
        const r: MatchResult = { assumed: !inner.limit.inv, why: LIMIT_WHY };
        return (b, _env, rc) => resultSteps(b, r, rc);
      }
      return unknownOp(text(), `${text()} is not modelled by np-doctor`);
    }
    case 'xt': {
      const why = `${text()}: an iptables-nft ${String(o.type)} whose options nft's JSON does not show`;
      if (o.type === 'match') return (b, _env, rc) => resultSteps(b, { unknown: why }, rc);
      return unknownOp(text(), why);
    }
    default:
      return unknownOp(text(), `${text()} is not modelled by np-doctor`);
  }
}

