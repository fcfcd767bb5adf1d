/**
 * nft statements compiled to rule steps: verdicts (accept, drop, jump, goto, return, continue,
 * queue), verdict maps, reject, NAT (nat.ts), marks, notrack, set updates, and the statements that
 * only count, log or rate-limit.
 */
import type { Branch } from '../packet/branch.js';
import type { MatchResult } from '../packet/match-result.js';
import { elementOf, forkOver, mapLookup, MANY, MAX_CANDIDATES, MISS, outcomes, type MapLookup } from './lookup.js';
import { natOp } from './nat.js';
import { exprKind, lazyText, printStmt } from './print.js';
import { NftRuleError, type CompileCtx } from './read.js';
import { Unsupported } from './sets.js';
import { resultSteps, unknownOp, unknownStep, type End, type Op, type Step } from './steps.js';
import { compileValue, type Val, type ValueFn } from './value.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

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
    return forkOver(b, os, r, m, text, rc, (x, o): Step[] => {
      if (o.idx === MISS) return [{ b: x, go: 'break' }];
      if (o.idx === MANY) return [{ b: x, go: 'end', end: { end: 'stop', action: text(), why: `${rc.where}: the key ${m.left.text} is not known and more than ${MAX_CANDIDATES} elements of ${m.name} may match it; their verdicts are not followed one by one` } }];
      return [{ b: x, go: 'end', end: endOf(o.idx) }];
    });
  };
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
