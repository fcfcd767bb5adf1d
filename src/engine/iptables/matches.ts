import { cidrContains, compareAddr, parseAddr, parseCidr, type Addr } from '../address.js';
import type { Branch } from '../packet/branch.js';
import type { MatchResult } from '../packet/match-result.js';
import { protocolNumber } from '../packet/protocols.js';
import { addrType } from '../packet/routing.js';
import type { IpSetLookup, WalkEnv } from '../packet/walk-env.js';
import { physdevOption } from './physdev.js';
import { firstConnectionNote, returningClientNote } from '../packet/affinity.js';
import { affinityList, affinityRest, type RuleAt } from './recent.js';
import { RuleSyntaxError } from './rule.js';
import type { MatchSpec, RuleOption } from './ruleset.js';

export type MatchFn = (b: Branch, env: WalkEnv) => MatchResult;

/**
 * Compiles a match into a function, throwing RuleSyntaxError for values iptables would refuse.
 * `at` (the rule in its dump) lets `-m recent` tell session affinity from other lists (recent.ts).
 */
export function compileMatch(spec: MatchSpec, family: 4 | 6, at?: RuleAt): MatchFn {
  if (spec.unsupportedRevision) {
    const why = `-m ${spec.module} is printed as "[unsupported revision]": the rule was written by a newer iptables than the one that made this dump, so the dump does not say what it matches`;
    return () => ({ unknown: why });
  }
  const compile = spec.module === 'set' ? setMatch(spec) : spec.module === 'recent' ? recentMatch(spec, at) : MODULES[spec.module];
  if (!compile) {
    const why = `-m ${spec.module} is not modelled by np-doctor`;
    return () => ({ unknown: why });
  }
  const parts = spec.options.map((o) => negate(o, compile(o, family, spec.module)));
  return (b, env) => all(parts.map((p) => () => p(b, env)));
}

type OptionCompiler = (o: RuleOption, family: 4 | 6, module: string) => MatchFn;

function negate(o: RuleOption, fn: MatchFn): MatchFn {
  if (!o.negated) return fn;
  return (b, env) => {
    const r = fn(b, env);
    if (typeof r === 'boolean') return !r;
    if ('chance' in r) return { chance: 1 - r.chance, ...(r.why === undefined ? {} : { why: r.why }) };
    if ('assumed' in r) return { assumed: !r.assumed, why: r.why };
    return r;
  };
}

/** AND of results, evaluated left to right like the kernel (a false stops the evaluation). */
export function all(parts: (() => MatchResult)[]): MatchResult {
  let chance = 1;
  const whys: string[] = [];
  const unknowns: string[] = [];
  let perConnection = false;
  const assumed: string[] = [];
  for (const part of parts) {
    const r = part();
    if (r === false) return false;
    if (r === true) continue;
    if ('chance' in r) {
      chance *= r.chance;
      if (r.why) whys.push(r.why);
    } else if ('unknown' in r) {
      unknowns.push(r.unknown);
      perConnection ||= r.perConnection === true;
    }
    else {
      if (!r.assumed) return { assumed: false, why: r.why };
      assumed.push(r.why);
    }
  }
  if (unknowns.length) return { unknown: unknowns.join('; '), ...(perConnection ? { perConnection: true as const } : {}) };
  if (chance !== 1 || whys.length) return { chance, ...(whys.length ? { why: whys.join('; ') } : {}) };
  if (assumed.length) return { assumed: true, why: assumed.join('; ') };
  return true;
}

const one = (o: RuleOption): string => {
  if (o.values.length !== 1) throw new RuleSyntaxError(`${o.name} takes one value, got ${o.values.length}`);
  return o.values[0] as string;
};

const unknownOption = (o: RuleOption, module: string): MatchFn => {
  const why = `${o.name} of ${module ? `-m ${module}` : 'the rule'} is not modelled by np-doctor`;
  return () => ({ unknown: why });
};

function cidrOf(text: string, opt: string, family: 4 | 6) {
  const c = parseCidr(text);
  if (!c) throw new RuleSyntaxError(`${opt} ${text}: not an address or CIDR`);
  if (c.addr.family !== family) throw new RuleSyntaxError(`${opt} ${text}: an IPv${c.addr.family} address in an IPv${family} ruleset`);
  return c;
}

/** Port or `lo:hi` range (either side may be empty), as in `--dport 30000:32767`. */
function portRange(text: string, opt: string): [number, number] {
  const [lo, hi] = text.includes(':') ? text.split(':') : [text, text];
  const p = (s: string | undefined, dflt: number): number => {
    if (s === undefined || s === '') return dflt;
    const n = /^\d+$/.test(s) ? Number(s) : SERVICE_PORTS[s];
    if (n === undefined || n > 65535) throw new RuleSyntaxError(`${opt} ${text}: not a port or port range`);
    return n;
  };
  return [p(lo, 0), p(hi, 65535)];
}

/** Names iptables accepts from /etc/services; dumps print numbers, hand-written files may not. */
const SERVICE_PORTS: Record<string, number> = { ssh: 22, domain: 53, http: 80, https: 443, ntp: 123, snmp: 161 };

const inRange = (p: number | undefined, [lo, hi]: [number, number]): boolean => p !== undefined && p >= lo && p <= hi;

export function ifaceMatch(pattern: string, iface: string): boolean {
  // A trailing `+` matches any interface with that prefix (`eth+`, `cali+`); `+` alone matches all.
  return pattern.endsWith('+') ? iface.startsWith(pattern.slice(0, -1)) : pattern === iface;
}

/** Hooks where the kernel fills in the input / output interface. */
const HAS_IN = new Set(['PREROUTING', 'INPUT', 'FORWARD']);
const HAS_OUT = new Set(['FORWARD', 'OUTPUT', 'POSTROUTING']);

const core: OptionCompiler = (o, family) => {
  switch (o.name) {
    case '-s':
    case '-d': {
      const c = cidrOf(one(o), o.name, family);
      return o.name === '-s' ? (b) => cidrContains(c, b.src) : (b) => cidrContains(c, b.dst);
    }
    case '-p': {
      const n = protocolNumber(one(o));
      if (n === undefined) throw new RuleSyntaxError(`-p ${one(o)}: unknown protocol`);
      return n === 0 ? () => true : (b) => b.protoNum === n;
    }
    case '-i': {
      const pattern = one(o);
      return (b) => {
        if (!HAS_IN.has(b.hook)) return false;
        if (b.inIface === undefined) return { unknown: `the packet's input interface is not known (rule tests -i ${pattern}; pass --in-iface)` };
        return ifaceMatch(pattern, b.inIface);
      };
    }
    case '-o': {
      const pattern = one(o);
      return (b) => {
        if (!HAS_OUT.has(b.hook)) return false;
        if (!b.outIfaceKnown || b.outIface === undefined) return { unknown: `the packet's output interface is not known (rule tests -o ${pattern}; the node's routes are needed)` };
        return ifaceMatch(pattern, b.outIface);
      };
    }
    case '-f':
      // -f matches second and later fragments; the first packet of a connection is not one.
      return () => false;
    default:
      return unknownOption(o, '');
  }
};

const TCP_FLAGS: Record<string, number> = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32, ECE: 64, CWR: 128, ALL: 255, NONE: 0 };

function flagSet(text: string, opt: string): number {
  let v = 0;
  for (const f of text.split(',')) {
    const bit = TCP_FLAGS[f.toUpperCase()];
    if (bit === undefined) throw new RuleSyntaxError(`${opt}: unknown TCP flag ${f}`);
    v |= bit;
  }
  return v;
}

/** The first packet of a TCP connection carries SYN alone. */
const FIRST_PACKET_FLAGS = TCP_FLAGS.SYN as number;

const ports: OptionCompiler = (o, _family, module) => {
  switch (o.name) {
    case '--sport':
    case '--source-port': {
      const r = portRange(one(o), o.name);
      return (b) => inRange(b.sport, r);
    }
    case '--dport':
    case '--destination-port': {
      const r = portRange(one(o), o.name);
      return (b) => inRange(b.dport, r);
    }
    case '--syn':
      return () => module === 'tcp';
    case '--tcp-flags': {
      if (o.values.length !== 2) throw new RuleSyntaxError('--tcp-flags takes a mask and a set of flags');
      const mask = flagSet(o.values[0] as string, o.name);
      const want = flagSet(o.values[1] as string, o.name);
      return () => (FIRST_PACKET_FLAGS & mask) === want;
    }
    default:
      return unknownOption(o, module);
  }
};

function portList(text: string, opt: string): [number, number][] {
  return text.split(',').map((p) => portRange(p, opt));
}

const multiport: OptionCompiler = (o, _f, module) => {
  const name = o.name;
  if (['--dports', '--destination-ports', '--sports', '--source-ports', '--ports'].includes(name)) {
    const list = portList(one(o), name);
    const hit = (p: number | undefined) => list.some((r) => inRange(p, r));
    if (name === '--ports') return (b) => hit(b.sport) || hit(b.dport);
    return name.startsWith('--d') ? (b) => hit(b.dport) : (b) => hit(b.sport);
  }
  return unknownOption(o, module);
};

const ICMP_TYPES: Record<string, [number, number | null]> = {
  any: [-1, null], 'echo-reply': [0, null], pong: [0, null], 'destination-unreachable': [3, null],
  'port-unreachable': [3, 3], 'source-quench': [4, null], redirect: [5, null], 'echo-request': [8, null],
  ping: [8, null], 'time-exceeded': [11, null], 'parameter-problem': [12, null],
  'timestamp-request': [13, null], 'timestamp-reply': [14, null],
};
const ICMP6_TYPES: Record<string, [number, number | null]> = {
  'destination-unreachable': [1, null], 'packet-too-big': [2, null], 'time-exceeded': [3, null],
  'parameter-problem': [4, null], 'echo-request': [128, null], ping: [128, null], 'echo-reply': [129, null],
  pong: [129, null], 'neighbour-solicitation': [135, null], 'neighbour-advertisement': [136, null],
};

const icmp: OptionCompiler = (o, _f, module) => {
  if (o.name !== '--icmp-type' && o.name !== '--icmpv6-type') return unknownOption(o, module);
  const text = one(o);
  const named = (o.name === '--icmp-type' ? ICMP_TYPES : ICMP6_TYPES)[text];
  let type: number;
  let code: number | null;
  if (named) [type, code] = named;
  else {
    const m = /^(\d+)(?:\/(\d+))?$/.exec(text);
    if (!m) throw new RuleSyntaxError(`${o.name} ${text}: unknown ICMP type`);
    type = Number(m[1]);
    code = m[2] === undefined ? null : Number(m[2]);
  }
  return (b) => type === -1 || (b.icmpType === type && (code === null || b.icmpCode === code));
};

const iprange: OptionCompiler = (o, family, module) => {
  if (o.name !== '--src-range' && o.name !== '--dst-range') return unknownOption(o, module);
  const [lo, hi] = one(o).split('-').map((t) => parseAddr(t));
  if (!lo || !hi || lo.family !== family || hi.family !== family) throw new RuleSyntaxError(`${o.name} ${one(o)}: not an address range a-b`);
  const within = (a: Addr) => compareAddr(a, lo) >= 0 && compareAddr(a, hi) <= 0;
  return o.name === '--src-range' ? (b) => within(b.src) : (b) => within(b.dst);
};

const ADDR_TYPES = new Set(['UNSPEC', 'UNICAST', 'LOCAL', 'BROADCAST', 'ANYCAST', 'MULTICAST', 'BLACKHOLE', 'UNREACHABLE', 'PROHIBIT', 'THROW', 'NAT', 'XRESOLVE']);

const addrtype: OptionCompiler = (o, _f, module) => {
  if (o.name === '--limit-iface-in' || o.name === '--limit-iface-out') {
    // Restricts the type lookup to one interface; the walk has no per-interface tables, so it
    // only knows that a node address is LOCAL on the interface that carries it.
    return (b) => {
      const iface = o.name === '--limit-iface-in' ? b.inIface : b.outIface;
      return iface === undefined ? { unknown: `${o.name} needs the packet's interface, which is not known` } : true;
    };
  }
  if (o.name !== '--src-type' && o.name !== '--dst-type') return unknownOption(o, module);
  const types = one(o).split(',').map((t) => t.toUpperCase());
  for (const t of types) if (!ADDR_TYPES.has(t)) throw new RuleSyntaxError(`${o.name}: unknown address type ${t}`);
  return (b, env) => types.includes(addrType(o.name === '--src-type' ? b.src : b.dst, env));
};

const CT_STATES = new Set(['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED', 'SNAT', 'DNAT']);

function ctStateMatch(states: string[]): MatchFn {
  return (b) => {
    if (b.ct.state === 'UNTRACKED') return states.includes('UNTRACKED');
    // The first packet of a connection is NEW (also when the node loops it back through lo).
    return states.includes('NEW') || (states.includes('DNAT') && b.ct.dnat) || (states.includes('SNAT') && b.ct.snat);
  };
}

const conntrack: OptionCompiler = (o, family, module) => {
  switch (o.name) {
    case '--ctstate':
    case '--state': {
      const states = one(o).split(',').map((s) => s.toUpperCase());
      for (const s of states) if (!CT_STATES.has(s)) throw new RuleSyntaxError(`${o.name}: unknown state ${s}`);
      return ctStateMatch(states);
    }
    case '--ctstatus': {
      const status = one(o).split(',').map((s) => s.toUpperCase());
      return (b) => {
        if (b.ct.state === 'UNTRACKED') return false;
        return status.some((s) => s === 'NONE' ? !b.ct.confirmed : s === 'CONFIRMED' ? b.ct.confirmed : false);
      };
    }
    case '--ctproto': {
      const n = protocolNumber(one(o));
      if (n === undefined) throw new RuleSyntaxError(`--ctproto ${one(o)}: unknown protocol`);
      return (b) => b.ct.state !== 'UNTRACKED' && (n === 0 || b.protoNum === n);
    }
    case '--ctorigsrc':
    case '--ctorigdst':
    case '--ctreplsrc':
    case '--ctrepldst': {
      const c = cidrOf(one(o), o.name, family);
      // The reply tuple is the inverse of the packet as NAT has rewritten it so far.
      const pick = { '--ctorigsrc': (b: Branch) => b.ct.origSrc, '--ctorigdst': (b: Branch) => b.ct.origDst, '--ctreplsrc': (b: Branch) => b.dst, '--ctrepldst': (b: Branch) => b.src }[o.name];
      return (b) => b.ct.state !== 'UNTRACKED' && cidrContains(c, pick(b));
    }
    case '--ctorigsrcport':
    case '--ctorigdstport':
    case '--ctreplsrcport':
    case '--ctrepldstport': {
      const r = portRange(one(o), o.name);
      const pick = { '--ctorigsrcport': (b: Branch) => b.ct.origSport, '--ctorigdstport': (b: Branch) => b.ct.origDport, '--ctreplsrcport': (b: Branch) => b.dport, '--ctrepldstport': (b: Branch) => b.sport }[o.name];
      return (b) => b.ct.state !== 'UNTRACKED' && inRange(pick(b), r);
    }
    case '--ctdir': {
      const dir = one(o).toUpperCase();
      return () => dir === 'ORIGINAL';
    }
    default:
      return unknownOption(o, module);
  }
};

/** `0x4000/0x4000` → value and mask; a bare value means mask 0xffffffff. */
export function markMask(text: string, opt: string): [number, number] {
  const [v, m] = text.split('/');
  const num = (s: string | undefined) => {
    if (s === undefined || !/^(0x[0-9a-f]+|\d+)$/i.test(s)) throw new RuleSyntaxError(`${opt} ${text}: not a mark value[/mask]`);
    return Number(s) >>> 0;
  };
  return [num(v), m === undefined ? 0xffffffff : num(m)];
}

const mark: OptionCompiler = (o, _f, module) => {
  if (o.name !== '--mark') return unknownOption(o, module);
  const [v, m] = markMask(one(o), o.name);
  return module === 'connmark'
    ? (b) => ((b.ct.mark & m) >>> 0) === ((v & m) >>> 0)
    : (b) => ((b.mark & m) >>> 0) === ((v & m) >>> 0);
};

const statistic: OptionCompiler = (o, _f, module) => {
  switch (o.name) {
    case '--mode':
      return () => true;
    case '--probability': {
      const p = Number(one(o));
      if (!(p >= 0 && p <= 1)) throw new RuleSyntaxError(`--probability ${one(o)}: not between 0 and 1`);
      return () => ({ chance: p });
    }
    case '--every': {
      const n = Number(one(o));
      if (!Number.isInteger(n) || n < 1) throw new RuleSyntaxError(`--every ${one(o)}: not a positive integer`);
      // The nth counter is shared by every connection through the rule; over many connections
      // one in n takes it, which is all a first-packet walk can say.
      return () => ({ chance: 1 / n, why: `-m statistic --mode nth --every ${n} depends on a packet counter; modelled as 1/${n}` });
    }
    case '--packet':
      return () => true;
    default:
      return unknownOption(o, module);
  }
};

/**
 * `-m recent`: --set adds the source to the list and always matches. A test of kube-proxy's
 * session-affinity list (recent.ts) fails for a new client, the walk's question, and for a
 * returning client picks one of the chain's affinity tests, each equally likely. Any other list
 * may hold the client for reasons the dump does not show: undecided, and apart per connection.
 */
function recentMatch(spec: MatchSpec, at: RuleAt | undefined): OptionCompiler {
  let rest: number | null | undefined;
  // undefined: not computed yet; null: not an affinity list.
  const affinity = (): number | null => {
    if (rest === undefined) rest = at !== undefined && affinityList(spec, at) !== null ? affinityRest(at) : null;
    return rest;
  };
  return (o, family, module) => {
    if (o.name !== '--rcheck' && o.name !== '--update' && o.name !== '--remove') return recentOption(o, family, module);
    const k = affinity();
    if (k === null) return () => ({ unknown: `${o.name} tests the recent list, which holds who connected before; a dump does not show it`, perConnection: true });
    const first = firstConnectionNote('iptables');
    const back = returningClientNote('iptables');
    return (_b, env) => (!env.returningClient ? { assumed: false, why: first } : k <= 1 ? { assumed: true, why: back } : { chance: 1 / k, why: back });
  };
}

const recentOption: OptionCompiler = (o, _f, module) => {
  switch (o.name) {
    case '--set':
    case '--name':
    case '--seconds':
    case '--reap':
    case '--hitcount':
    case '--rttl':
    case '--mask':
    case '--rsource':
    case '--rdest':
      return () => true;
    default:
      return unknownOption(o, module);
  }
};

/** An ipset that can also answer `--return-nomatch` (the ipvs IpSet does). */
interface NomatchAwareSet extends IpSetLookup {
  hasReturningNomatch(b: Branch, dims: ('src' | 'dst')[]): boolean | { unknown: string };
}

const SET_COUNTER_OPTIONS = new Set(['--packets-eq', '--packets-lt', '--packets-gt', '--bytes-eq', '--bytes-lt', '--bytes-gt']);

/**
 * `-m set`: membership of the packet in an ipset, from the node's `ipset list` (env.ipsets). The
 * set decides how the `src`/`dst` flags pick the packet's fields (IpSetLookup.has); `!` is applied
 * by compileMatch. `--return-nomatch` is an option of the same match, so the compiler sees the
 * whole spec.
 */
function setMatch(spec: MatchSpec): OptionCompiler {
  const returnNomatch = spec.options.some((o) => o.name === '--return-nomatch');
  return (o, _f, module) => {
    if (o.name === '--match-set' || o.name === '--set') {
      const setName = o.values[0];
      if (setName === undefined || o.values.length !== 2) throw new RuleSyntaxError('--match-set takes a set name and src/dst flags');
      const flags = (o.values[1] as string).split(',');
      if (flags.length > 6 || flags.some((f) => f !== 'src' && f !== 'dst')) {
        throw new RuleSyntaxError(`--match-set ${setName} ${o.values[1] as string}: flags are 1 to 6 of src/dst, comma-separated`);
      }
      const dims = flags as ('src' | 'dst')[];
      return (b, env) => {
        if (!env.ipsets) return { unknown: `ipset ${setName} is not known, so membership cannot be tested` };
        const found = env.ipsets.get(setName);
        if (!found) return { unknown: `ipset ${setName} is not in the ipset list of this node` };
        if (returnNomatch && 'hasReturningNomatch' in found) return (found as NomatchAwareSet).hasReturningNomatch(b, dims);
        return found.has(b, dims);
      };
    }
    if (o.name === '--return-nomatch') return () => true;
    // Counters only count; comparisons on them depend on traffic the dump does not show. Their `!`
    // (`! --update-counters`: do not count) is no inversion of the match, so it is undone here
    // before compileMatch applies it.
    if (o.name === '--update-counters' || o.name === '--update-subcounters') return () => !o.negated;
    if (SET_COUNTER_OPTIONS.has(o.name)) {
      const why = `${o.name} ${o.values.join(' ')} compares the matching element's packet/byte counters, which depend on past traffic`;
      return () => ({ unknown: why });
    }
    return unknownOption(o, module);
  };
}

const always: OptionCompiler = () => () => true;

const limit: OptionCompiler = (o) =>
  o.name === '--hashlimit-above'
    ? () => ({ assumed: false, why: 'rate limits are assumed not exceeded' })
    : () => ({ assumed: true, why: 'rate limits are assumed not exceeded' });

const pkttype: OptionCompiler = (o, _f, module) => {
  if (o.name !== '--pkt-type') return unknownOption(o, module);
  const want = one(o).toLowerCase();
  return (b, env) => {
    const t = addrType(b.dst, env);
    const is = t === 'MULTICAST' ? 'multicast' : t === 'BROADCAST' ? 'broadcast' : 'unicast';
    return is === want || (want === 'host' && is === 'unicast');
  };
};

const policy: OptionCompiler = (o, _f, module) => {
  if (o.name === '--dir' || o.name === '--strict') return () => true;
  if (o.name === '--pol') {
    const none = one(o) === 'none';
    return () => ({ assumed: none, why: 'packets are assumed not to use IPsec' });
  }
  return unknownOption(o, module);
};

const MODULES: Record<string, OptionCompiler> = {
  '': core,
  tcp: ports,
  udp: ports,
  udplite: ports,
  sctp: ports,
  dccp: ports,
  multiport: multiport,
  icmp: icmp,
  icmp6: icmp,
  iprange: iprange,
  addrtype: addrtype,
  conntrack: conntrack,
  state: conntrack,
  mark: mark,
  connmark: mark,
  statistic: statistic,
  // recent: compiled per spec by recentMatch (whether it is affinity depends on the list's name and the rule).
  // set: compiled per spec by setMatch (it needs --return-nomatch from the same match).
  // comment only annotates; nfacct only counts. Both always match.
  comment: always,
  nfacct: always,
  limit: limit,
  hashlimit: limit,
  pkttype: pkttype,
  policy: policy,
  physdev: (o, _f, module) => physdevOption(o, (x) => unknownOption(x, module)),
};
