/**
 * What an nft expression reads from the first packet of a new connection: `ip daddr`, `meta
 * l4proto`, `ct state`, `fib daddr type`, `numgen random mod 2`, concatenations and bit operations.
 * A read is a distribution of values (one value, or numgen's N equally likely ones), a value the
 * dump cannot tell (unknown), or `absent`: the header or conntrack entry the expression needs is not
 * there, and the kernel breaks out of the rule (NFT_BREAK) whatever the comparison says.
 */
import { sameAddr, type Addr } from '../address.js';
import type { Branch } from '../packet/branch.js';
import { addrType, isLocal, routeLookup } from '../packet/routing.js';
import type { WalkEnv } from '../packet/walk-env.js';
import { printExpr, exprKind } from './print.js';
import type { NftTable } from './ruleset.js';
import {
  CT_DIR, CT_STATE, CT_STATUS, ETHERTYPE, FIB_ADDRTYPE, ICMP_CODE, ICMP_TYPE, ICMPV6_CODE, ICMPV6_TYPE, L4PROTO,
  NFPROTO, PKTTYPE, symbolValue, TCP_FLAGS, type Symbols,
} from './symbols.js';

export type Kind = 'int' | 'addr' | 'str';

/** A value the walk knows to be one of a few (IPv6 `fib … type` without routes: unicast or unreachable). */
export class OneOf {
  constructor(readonly values: readonly (number | string)[]) {}
}

/** One component of a value; null when the dump cannot tell it. */
export type Comp = number | string | Addr | OneOf | null;

export interface Alt {
  /** Components: one for a plain expression, several for a concatenation. */
  v: Comp[];
  p: number;
}

export type Read =
  | { alts: Alt[]; unknown?: string; why?: string }
  | { absent: string };

/** Facts about where the chain runs that change what some expressions read. */
export interface EvalCtx {
  /** The base chain runs before conntrack (priority below -200 at prerouting/output): no ct entry yet. */
  beforeConntrack: boolean;
}

export interface Left {
  kinds: Kind[];
  symbols: (Symbols | null)[];
  /** nft's text of the expression, for messages. */
  text: string;
  /** Set when np-doctor cannot read this expression at all: why (every read is unknown). */
  unsupported?: string;
  read(b: Branch, env: WalkEnv, ec: EvalCtx): Read;
}

/** Thrown for JSON a dump of `nft -j` cannot contain (missing fields, wrong types). */
export class NftRuleError extends Error {}

export interface CompileCtx {
  table: NftTable;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const one = (v: Comp): Read => ({ alts: [{ v: [v], p: 1 }] });
const unknown = (why: string): Read => ({ alts: [{ v: [null], p: 1 }], unknown: why });

function scalar(kind: Kind, symbols: Symbols | null, text: string, read: (b: Branch, env: WalkEnv, ec: EvalCtx) => Read): Left {
  return { kinds: [kind], symbols: [symbols], text, read };
}

function unsupported(text: string, why: string): Left {
  const r = unknown(why);
  return { ...scalar('int', null, text, () => r), unsupported: why };
}

/** Hooks where the kernel fills in the input / output device (otherwise iifname reads ""). */
const HAS_IN = new Set(['PREROUTING', 'INPUT', 'FORWARD']);
const HAS_OUT = new Set(['FORWARD', 'OUTPUT', 'POSTROUTING']);

const PORT_PROTOS = new Set([6, 17, 33, 132, 136]);
const TRANSPORT: Record<string, number> = { tcp: 6, udp: 17, udplite: 136, sctp: 132, dccp: 33 };
/** The first packet of a TCP connection carries SYN alone. */
const SYN = 2;

/** Compiles the left side of a match (or a map key, or a statement's value source). */
export function compileLeft(e: unknown, cc: CompileCtx): Left {
  const k = exprKind(e);
  if (!isObj(e) || k === null) throw new NftRuleError(`expected an expression, got ${JSON.stringify(e)}`);
  const body = e[k];
  const text = printExpr(e);
  switch (k) {
    case 'payload':
      return payload(body, text);
    case 'meta':
      return meta(body, text);
    case 'ct':
      return ct(body, text);
    case 'fib':
      return fib(body, text);
    case 'numgen':
      return numgen(body, text);
    case 'concat':
      return concat(body, text, cc);
    case '&':
    case '|':
    case '^':
    case '<<':
    case '>>':
      return binop(k, body, text, cc);
    case 'jhash':
    case 'symhash':
      return unsupported(text, `${k} hashes packet fields with a per-rule seed the dump does not show, so its result is unknown`);
    default:
      return unsupported(text, `${text} is not modelled by np-doctor`);
  }
}

function field(body: unknown, name: string, text: string): string {
  const v = isObj(body) ? body[name] : undefined;
  if (typeof v !== 'string') throw new NftRuleError(`${text}: expected a "${name}" string`);
  return v;
}

function payload(body: unknown, text: string): Left {
  if (isObj(body) && body.base !== undefined) return unsupported(text, `raw payload ${text} is not modelled by np-doctor`);
  const proto = field(body, 'protocol', text);
  const f = field(body, 'field', text);
  const notThere = (what: string): Read => ({ absent: `the packet has no ${what} header` });
  if (proto === 'ip' || proto === 'ip6') {
    const fam = proto === 'ip' ? 4 : 6;
    const check = (b: Branch) => b.dst.family === fam;
    switch (f) {
      case 'saddr':
        return scalar('addr', null, text, (b) => (check(b) ? one(b.src) : notThere(proto)));
      case 'daddr':
        return scalar('addr', null, text, (b) => (check(b) ? one(b.dst) : notThere(proto)));
      case 'protocol':
      case 'nexthdr':
        // A first packet has no IPv6 extension headers, so nexthdr is the transport protocol.
        return scalar('int', L4PROTO, text, (b) => (check(b) ? one(b.protoNum) : notThere(proto)));
      case 'version':
        return scalar('int', null, text, (b) => (check(b) ? one(fam) : notThere(proto)));
      default:
        return scalar('int', null, text, (b) => (check(b) ? unknown(`${text} is not modelled by np-doctor`) : notThere(proto)));
    }
  }
  const transport = TRANSPORT[proto];
  if (transport !== undefined) {
    const check = (b: Branch) => b.protoNum === transport;
    switch (f) {
      case 'sport':
        return scalar('int', null, text, (b) => (check(b) ? one(b.sport ?? null) : notThere(proto)));
      case 'dport':
        return scalar('int', null, text, (b) => (check(b) ? one(b.dport ?? null) : notThere(proto)));
      case 'flags':
        return scalar('int', TCP_FLAGS, text, (b) => (check(b) ? one(SYN) : notThere(proto)));
      default:
        return scalar('int', null, text, (b) => (check(b) ? unknown(`${text} is not modelled by np-doctor`) : notThere(proto)));
    }
  }
  if (proto === 'th') {
    // The transport header, whatever the protocol: ports for TCP/UDP/SCTP; for ICMP the same bytes
    // hold type/code (sport) and the checksum (dport).
    if (f !== 'sport' && f !== 'dport') return unsupported(text, `${text} is not modelled by np-doctor`);
    return scalar('int', null, text, (b) => {
      if (PORT_PROTOS.has(b.protoNum)) return one((f === 'sport' ? b.sport : b.dport) ?? null);
      if (f === 'sport' && b.icmpType !== undefined) return one(((b.icmpType << 8) | (b.icmpCode ?? 0)) >>> 0);
      return unknown(`${text} of a ${b.proto} packet reads bytes np-doctor does not model`);
    });
  }
  if (proto === 'icmp' || proto === 'icmpv6') {
    const fam = proto === 'icmp' ? 4 : 6;
    const num = proto === 'icmp' ? 1 : 58;
    const check = (b: Branch) => b.dst.family === fam && b.protoNum === num;
    if (f === 'type') return scalar('int', proto === 'icmp' ? ICMP_TYPE : ICMPV6_TYPE, text, (b) => (check(b) ? one(b.icmpType ?? null) : notThere(proto)));
    if (f === 'code') return scalar('int', proto === 'icmp' ? ICMP_CODE : ICMPV6_CODE, text, (b) => (check(b) ? one(b.icmpCode ?? null) : notThere(proto)));
    return scalar('int', null, text, (b) => (check(b) ? unknown(`${text} is not modelled by np-doctor`) : notThere(proto)));
  }
  return unsupported(text, `${text} is not modelled by np-doctor`);
}

function meta(body: unknown, text: string): Left {
  const key = field(body, 'key', text);
  switch (key) {
    case 'l4proto':
      return scalar('int', L4PROTO, text, (b) => one(b.protoNum));
    case 'nfproto':
      return scalar('int', NFPROTO, text, (b) => one(b.dst.family === 4 ? 2 : 10));
    case 'protocol':
      return scalar('int', ETHERTYPE, text, (b) => one(b.dst.family === 4 ? 0x0800 : 0x86dd));
    case 'mark':
      return scalar('int', null, text, (b) => one(b.mark));
    case 'iifname':
    case 'iif':
      return scalar('str', null, text, (b) => {
        // Without an input device (OUTPUT, POSTROUTING) the kernel reads an empty name / index 0.
        if (!HAS_IN.has(b.hook)) return one('');
        if (b.inIface === undefined) return unknown(`the packet's input interface is not known (pass --in-iface)`);
        return one(b.inIface);
      });
    case 'oifname':
    case 'oif':
      return scalar('str', null, text, (b) => {
        if (!HAS_OUT.has(b.hook)) return one('');
        if (!b.outIfaceKnown || b.outIface === undefined) return unknown(`the packet's output interface is not known (the node's routes are needed)`);
        return one(b.outIface);
      });
    case 'pkttype':
      return scalar('int', PKTTYPE, text, (b, env) => {
        const t = addrType(b.dst, env);
        return one(t === 'BROADCAST' ? 1 : t === 'MULTICAST' ? 2 : 0);
      });
    case 'nftrace':
      return scalar('int', null, text, () => one(0));
    default:
      return unsupported(text, `${text} is not modelled by np-doctor`);
  }
}

const CT_ADDR_KEYS = new Set(['saddr', 'daddr', 'ip saddr', 'ip daddr', 'ip6 saddr', 'ip6 daddr']);

function ct(body: unknown, text: string): Left {
  const key = field(body, 'key', text);
  const dir = isObj(body) && typeof body.dir === 'string' ? body.dir : null;
  /** nft_ct_get_eval: no entry (before conntrack, or untracked) breaks every key but `state`. */
  const noEntry = (b: Branch, ec: EvalCtx): string | null => {
    if (b.ct.state === 'UNTRACKED') return 'the connection is untracked (notrack)';
    if (ec.beforeConntrack && !b.ct.confirmed) return 'conntrack has not seen the packet yet at this priority';
    return null;
  };
  const wrap = (kind: Kind, symbols: Symbols | null, f: (b: Branch) => Read): Left =>
    scalar(kind, symbols, text, (b, _env, ec) => {
      const none = noEntry(b, ec);
      return none === null ? f(b) : { absent: none };
    });
  switch (key) {
    case 'state':
      return scalar('int', CT_STATE, text, (b, _env, ec) => {
        if (b.ct.state === 'UNTRACKED') return one(64);
        // Before conntrack ran, the skb carries no entry and nft reads the state as invalid.
        if (ec.beforeConntrack && !b.ct.confirmed) return one(1);
        return one(8);
      });
    case 'status':
      return wrap('int', CT_STATUS, (b) => one((b.ct.confirmed ? 8 : 0) | (b.ct.snat ? 16 : 0) | (b.ct.dnat ? 32 : 0)));
    case 'mark':
      return wrap('int', null, (b) => one(b.ct.mark));
    case 'direction':
      return wrap('int', CT_DIR, () => one(0));
    case 'l3proto':
      return wrap('int', NFPROTO, (b) => one(b.dst.family === 4 ? 2 : 10));
    case 'protocol':
    case 'proto':
      return wrap('int', L4PROTO, (b) => one(b.protoNum));
    case 'zone':
      // Zone 0 unless a `ct zone set` ran, which the walk treats as not modelled.
      return wrap('int', null, () => one(0));
    default:
      break;
  }
  if (CT_ADDR_KEYS.has(key) && dir !== null) {
    const fam = key.startsWith('ip6') ? 6 : key.startsWith('ip') ? 4 : null;
    const src = key.endsWith('saddr');
    return wrap('addr', null, (b) => {
      if (fam !== null && b.dst.family !== fam) return { absent: `the connection is not IPv${fam}` };
      // The reply tuple is the inverse of the packet as NAT has rewritten it so far.
      if (dir === 'original') return one(src ? b.ct.origSrc : b.ct.origDst);
      return one(src ? b.dst : b.src);
    });
  }
  if ((key === 'proto-src' || key === 'proto-dst') && dir !== null) {
    const src = key === 'proto-src';
    return wrap('int', null, (b) => {
      if (dir === 'original') return one((src ? b.ct.origSport : b.ct.origDport) ?? null);
      return one((src ? b.dport : b.sport) ?? null);
    });
  }
  return unsupported(text, `${text} is not modelled by np-doctor`);
}

function fib(body: unknown, text: string): Left {
  if (!isObj(body) || typeof body.result !== 'string') throw new NftRuleError(`${text}: expected a "result"`);
  const flags = (Array.isArray(body.flags) ? body.flags : [body.flags]).map(String);
  const useSaddr = flags.includes('saddr');
  if (useSaddr === flags.includes('daddr')) throw new NftRuleError(`${text}: exactly one of saddr and daddr is needed`);
  const iif = flags.includes('iif');
  const oif = flags.includes('oif');
  const mark = flags.includes('mark');
  const result = body.result;
  if (result === 'type') {
    return scalar('int', FIB_ADDRTYPE, text, (b, env) => {
      const addr = useSaddr ? b.src : b.dst;
      const dev = iif ? b.inIface : oif ? b.outIface : null;
      if ((iif || oif) && dev === undefined) return unknown(`${text} needs the packet's ${iif ? 'input' : 'output'} interface, which is not known`);
      return fibType(addr, dev ?? null, env);
    });
  }
  if (result === 'oif' || result === 'oifname') {
    return scalar('str', null, text, (b, env) => {
      if (mark && b.mark !== 0) return unknown(`${text} looks the route up with mark 0x${b.mark.toString(16)}; policy routing by mark is not modelled`);
      // nft_fib*_eval: a packet that came in on loopback at prerouting is its own route.
      if (useSaddr && b.hook === 'PREROUTING' && b.inIface === 'lo') return one('lo');
      const addr = useSaddr ? b.src : b.dst;
      // A local address answers RTN_LOCAL, which nft's fib oif treats as "no route" (oif missing).
      if (isLocal(addr, env)) return one('');
      if (!env.node.routes) return unknown(`${text} needs the node's routes, which are not known`);
      const r = routeLookup(addr, env);
      const found = r.iface ?? '';
      if (!iif && !oif) return one(found);
      const dev = iif ? b.inIface : b.outIface;
      if (dev === undefined) return unknown(`${text} needs the packet's ${iif ? 'input' : 'output'} interface, which is not known`);
      // With iif/oif the lookup only counts routes through that device (reverse-path filtering).
      return one(found === dev ? dev : '');
    });
  }
  return unsupported(text, `${text} is not modelled by np-doctor`);
}

/**
 * RTN_* of an address as `fib … type` sees it: IPv4 asks the local table (inet_dev_addr_type), so
 * a non-local address is unicast; restricted to a device, a node address on another device is
 * unicast too. IPv6 does a full route lookup: without a route the answer is unreachable.
 */
function fibType(addr: Addr, dev: string | null, env: WalkEnv): Read {
  const t = addrType(addr, env);
  if (t === 'MULTICAST') return one(5);
  if (t === 'BROADCAST' && addr.family === 4) return one(3);
  if (t === 'LOCAL') {
    if (dev === null) return one(2);
    const on = deviceOf(addr, env);
    if (on === undefined) return one(new OneOf([2, 1]));
    return one(on === dev ? 2 : 1);
  }
  if (addr.family === 4) return one(1);
  if (!env.node.routes) return one(new OneOf([1, 7]));
  return one(routeLookup(addr, env).iface === undefined ? 7 : 1);
}

function deviceOf(addr: Addr, env: WalkEnv): string | undefined {
  if (addr.family === 4 ? addr.bytes[0] === 127 : addr.bytes.every((x, i) => x === (i === 15 ? 1 : 0))) return 'lo';
  const map = env.node.interfaceOf;
  if (!map) return undefined;
  const local = env.localAddrs.find((l) => sameAddr(l, addr));
  return local ? map[local.text] : undefined;
}

/**
 * The most values a read follows one by one (numgen's N values, a concatenation's combinations).
 * The dump decides N: `numgen random mod 4294967295` must not become four billion alternatives.
 */
export const MAX_ALTS = 4096;

function numgen(body: unknown, text: string): Left {
  if (!isObj(body) || typeof body.mod !== 'number' || !Number.isInteger(body.mod) || body.mod < 1) throw new NftRuleError(`${text}: expected a positive integer "mod"`);
  const mod = body.mod;
  const offset = typeof body.offset === 'number' ? body.offset : 0;
  const mode = body.mode;
  if (mode !== 'random' && mode !== 'inc') return unsupported(text, `numgen mode ${String(mode)} is not modelled by np-doctor`);
  if (mod > MAX_ALTS) return unsupported(text, `${text} draws one of ${mod} values, more than the ${MAX_ALTS} the walk follows one by one`);
  const alts: Alt[] = [];
  for (let i = 0; i < mod; i++) alts.push({ v: [offset + i], p: 1 / mod });
  // random: each connection draws uniformly, so the shares are exact. inc: a counter shared by all
  // packets through the rule; over many connections each value takes 1/mod of them.
  const r: Read = mode === 'random' ? { alts } : { alts, why: `${text} counts packets across connections; modelled as each value taking 1/${mod}` };
  return scalar('int', null, text, () => r);
}

function concat(body: unknown, text: string, cc: CompileCtx): Left {
  if (!Array.isArray(body) || body.length < 2) throw new NftRuleError(`${text}: a concatenation needs at least two expressions`);
  const parts = body.map((p) => compileLeft(p, cc));
  return {
    kinds: parts.flatMap((p) => p.kinds),
    symbols: parts.flatMap((p) => p.symbols),
    text,
    read(b, env, ec) {
      let alts: Alt[] = [{ v: [], p: 1 }];
      const unknowns: string[] = [];
      const whys: string[] = [];
      for (const p of parts) {
        const r = p.read(b, env, ec);
        if ('absent' in r) return r;
        if (r.unknown) unknowns.push(r.unknown);
        if (r.why) whys.push(r.why);
        if (alts.length * r.alts.length > MAX_ALTS) {
          return { alts: [{ v: parts.flatMap((q) => q.kinds.map(() => null)), p: 1 }], unknown: `${text} takes more than ${MAX_ALTS} combinations of values, which the walk does not follow one by one` };
        }
        const next: Alt[] = [];
        for (const a of alts) for (const x of r.alts) next.push({ v: [...a.v, ...x.v], p: a.p * x.p });
        alts = next;
      }
      return {
        alts,
        ...(unknowns.length ? { unknown: unknowns.join('; ') } : {}),
        ...(whys.length ? { why: whys.join('; ') } : {}),
      };
    },
  };
}

function binop(op: string, body: unknown, text: string, cc: CompileCtx): Left {
  if (!Array.isArray(body) || body.length !== 2) throw new NftRuleError(`${text}: "${op}" takes two operands`);
  const inner = compileLeft(body[0], cc);
  const symbols = inner.symbols[0] ?? null;
  const operand = constantNumber(body[1], symbols);
  if (operand === null || inner.kinds.length !== 1 || inner.kinds[0] !== 'int') return unsupported(text, `${text} is not modelled by np-doctor`);
  const apply = (x: number): number => {
    switch (op) {
      case '&': return (x & operand) >>> 0;
      case '|': return (x | operand) >>> 0;
      case '^': return (x ^ operand) >>> 0;
      case '<<': return (x << operand) >>> 0;
      default: return x >>> operand;
    }
  };
  const map = (c: Comp): Comp => {
    if (typeof c === 'number') return apply(c);
    if (c instanceof OneOf) return new OneOf(c.values.map((v) => (typeof v === 'number' ? apply(v) : v)));
    return null;
  };
  return scalar('int', symbols, text, (b, env, ec) => {
    const r = inner.read(b, env, ec);
    if ('absent' in r) return r;
    return { ...r, alts: r.alts.map((a) => ({ v: a.v.map(map), p: a.p })) };
  });
}

/** A number, a symbol of `symbols` (`syn`), or a list of flags OR-ed (`["fin", "syn"]`); null if not one. */
export function constantNumber(v: unknown, symbols: Symbols | null): number | null {
  if (typeof v === 'number') return Number.isInteger(v) ? v >>> 0 : null;
  if (typeof v === 'string') {
    if (/^0x[0-9a-f]+$/i.test(v) || /^\d+$/.test(v)) return Number(v) >>> 0;
    const n = symbols ? symbolValue(symbols, v) : undefined;
    return n === undefined ? null : n;
  }
  if (Array.isArray(v)) {
    let mask = 0;
    for (const x of v) {
      const n = constantNumber(x, symbols);
      if (n === null) return null;
      mask |= n;
    }
    return mask >>> 0;
  }
  return null;
}
