import { parseAddr, type Addr } from '../address.js';
import { ParseError } from '../errors.js';
import type { Branch } from '../packet/branch.js';
import type { IpSetLookup } from '../packet/walk-env.js';

/**
 * ipsets as `ipset list` (or `ipset save`) prints them, and membership tested the way the kernel's
 * set types test a packet for `-m set --match-set NAME FLAGS`.
 *
 * Kernel facts encoded here (measured with ipset 7.17 and iptables 1.8.9 on kernel 6.18, raw
 * packets through `-m set` rules in a network namespace; fixtures in test/engine/fixtures/ipvs):
 * - The flags pick, in order, where each dimension of the set is read from (`dst,dst,src`: the
 *   destination address, the destination port, the source address). Fewer flags than the set has
 *   dimensions never match; extra flags are ignored (ip_set_test: `opt->dim < dimension`).
 * - hash:ip,port and friends store the protocol with the port (`10.96.0.1,tcp:443`): a UDP packet
 *   to 10.96.0.1:443 is not a member. ICMP elements hold type/code (`icmp:echo-request`); the packet's
 *   own type/code is compared, whatever the flag says.
 * - bitmap:port stores bare ports and matches TCP and UDP packets only, whatever the protocol:
 *   SCTP and ICMP packets never match (that is why kube-proxy keeps SCTP NodePorts in
 *   hash:ip,port sets, KUBE-NODE-PORT-SCTP-HASH).
 * - Types with a net dimension look for the most specific prefix that holds the packet (among
 *   elements equal in the other dimensions); if that element is `nomatch` the packet is not a
 *   member. With `--return-nomatch` such types answer the other way round: a `nomatch` element
 *   matches and an ordinary element does not (ip_set_enomatch); other types ignore the flag.
 * - A set of the other address family never matches (bitmap:port and list:set have none).
 * - A `!` in front of --match-set inverts the answer, also for packets the set cannot test
 *   (an SCTP packet against a bitmap:port set matches `! --match-set`).
 *
 * Elements with a timeout were present when the listing was taken; they are treated as present
 * (the listing cannot tell whether one has expired since). `ipset list -t` prints no members:
 * such a set's membership is unknown.
 */
export class IpSet implements IpSetLookup {
  /** Every set of the same listing, for list:set. */
  registry: ReadonlyMap<string, IpSet> = new Map();
  /** Why this set's contents cannot be tested (unsupported type, no member list), or null. */
  readonly unsupported: string | null;
  private readonly dims: Dim[];
  private readonly exact = new Map<string, Member>();
  /** Net types: elements by prefix length, most specific first, then by key. */
  private readonly byPrefix: { bits: number; keys: Map<string, Member> }[] = [];
  /** Port range of a bitmap:port set. */
  private readonly range: [number, number];
  /** hash:ip netmask N: addresses are masked before lookup. */
  private readonly netmask: number | null;

  constructor(
    readonly name: string,
    readonly type: string,
    /** `family inet` / `inet6` from the header; null for types without one (bitmap:port, list:set). */
    readonly family: 4 | 6 | null,
    readonly header: string,
    /** null when the listing printed no members at all (`ipset list -t`). */
    readonly members: Member[] | null,
    readonly line: number,
    opts: { range?: [number, number]; netmask?: number | null; unsupported?: string | null },
  ) {
    const dims = TYPES[type];
    this.dims = dims ?? [];
    this.range = opts.range ?? [0, 65535];
    this.netmask = opts.netmask ?? null;
    this.unsupported = opts.unsupported
      ?? (dims ? (members === null ? `the listing shows no members of ipset ${name} (was it made with ipset list -t?)` : null)
        : `ipset ${name} is of type ${type}, which np-doctor does not model`);
    if (this.unsupported || !members) return;
    const netAt = this.dims.indexOf('net');
    for (const m of members) {
      if (netAt < 0) {
        this.exact.set(m.key, m);
        continue;
      }
      const bits = m.bits;
      let slot = this.byPrefix.find((p) => p.bits === bits);
      if (!slot) {
        slot = { bits, keys: new Map() };
        this.byPrefix.push(slot);
      }
      slot.keys.set(m.key, m);
    }
    this.byPrefix.sort((a, b) => b.bits - a.bits);
  }

  has(b: Branch, dims: ('src' | 'dst')[]): boolean | { unknown: string } {
    const r = this.lookup(b, dims);
    return typeof r === 'string' ? r === 'match' : r;
  }

  /** `-m set --match-set NAME FLAGS --return-nomatch`: see the class comment. */
  hasReturningNomatch(b: Branch, dims: ('src' | 'dst')[]): boolean | { unknown: string } {
    if (!this.dims.includes('net')) return this.has(b, dims);
    const r = this.lookup(b, dims);
    return typeof r === 'string' ? r === 'nomatch' : r;
  }

  /** Which element the packet hits: an ordinary one, a `nomatch` one, or none. */
  lookup(b: Branch, flags: ('src' | 'dst')[]): 'match' | 'nomatch' | 'none' | { unknown: string } {
    if (this.unsupported) return { unknown: this.unsupported };
    if (this.type === 'list:set') return this.listLookup(b, flags);
    if (flags.length < this.dims.length) return 'none';
    const family = b.dst.family;
    if (this.family !== null && this.family !== family) return 'none';
    const parts: string[] = [];
    let netAddr: Addr | null = null;
    for (let i = 0; i < this.dims.length; i++) {
      const dim = this.dims[i] as Dim;
      const from = flags[i] as 'src' | 'dst';
      if (dim === 'ip' || dim === 'net') {
        const a = from === 'src' ? b.src : b.dst;
        if (dim === 'net') {
          netAddr = a;
          parts.push('');
        } else parts.push(addrKey(a.bytes, this.netmask ?? a.bytes.length * 8));
      } else if (dim === 'port') {
        const k = packetPort(b, from);
        if (typeof k !== 'string') return k;
        parts.push(k);
      } else {
        // bitmap:port: TCP and UDP only (the kernel's ip_set_get_ip_port in ip_set_bitmap_port.c).
        if (b.proto !== 'tcp' && b.proto !== 'udp') return 'none';
        const port = from === 'src' ? b.sport : b.dport;
        if (port === undefined) return { unknown: `the packet's ${from === 'src' ? 'source' : 'destination'} port is not known` };
        if (port < this.range[0] || port > this.range[1]) return 'none';
        parts.push(String(port));
      }
    }
    if (netAddr === null) return this.exact.has(parts.join(',')) ? 'match' : 'none';
    const at = this.dims.indexOf('net');
    for (const { bits, keys } of this.byPrefix) {
      parts[at] = addrKey(netAddr.bytes, bits);
      const m = keys.get(parts.join(','));
      if (m) return m.nomatch ? 'nomatch' : 'match';
    }
    return 'none';
  }

  private listLookup(b: Branch, flags: ('src' | 'dst')[]): 'match' | 'none' | { unknown: string } {
    // list:set tests its member sets in order; the first that holds the packet decides.
    const unknowns: string[] = [];
    for (const m of this.members ?? []) {
      const set = this.registry.get(m.key);
      if (!set) {
        unknowns.push(`ipset ${m.key} (a member of list:set ${this.name}) is not in the listing`);
        continue;
      }
      const r = set.lookup(b, flags);
      if (r === 'match') return 'match';
      if (typeof r !== 'string') unknowns.push(r.unknown);
    }
    return unknowns.length ? { unknown: unknowns.join('; ') } : 'none';
  }
}

type Dim = 'ip' | 'net' | 'port' | 'bport' | 'set';

/** The dimensions of each set type np-doctor models; other types are unknown. */
const TYPES: Record<string, Dim[]> = {
  'hash:ip': ['ip'],
  'hash:net': ['net'],
  'hash:ip,port': ['ip', 'port'],
  'hash:ip,port,ip': ['ip', 'port', 'ip'],
  'hash:ip,port,net': ['ip', 'port', 'net'],
  'hash:net,port': ['net', 'port'],
  'bitmap:port': ['bport'],
  'bitmap:ip': ['ip'],
  'list:set': ['set'],
};

export interface Member {
  /** The element as printed. */
  text: string;
  /** Lookup key: the element's dimensions in canonical form, the net dimension masked. */
  key: string;
  /** Prefix length of the net dimension (types with one), else 0. */
  bits: number;
  nomatch: boolean;
  /** Seconds left when listed; null without a timeout. 0 means "never expires". */
  timeout: number | null;
  comment: string | null;
  line: number;
}

function addrKey(bytes: number[], bits: number): string {
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const keep = Math.max(0, Math.min(8, bits - i * 8));
    out.push((bytes[i] ?? 0) & ((0xff << (8 - keep)) & 0xff));
  }
  return `${out.join('.')}/${bits}`;
}

/** The port dimension of the packet as hash:*,port keys it: `tcp:443`, `icmp:2048` (type << 8 | code). */
function packetPort(b: Branch, from: 'src' | 'dst'): string | { unknown: string } {
  if (b.proto === 'icmp') {
    if (b.icmpType === undefined) return { unknown: 'the packet\'s ICMP type is not known' };
    return `${b.dst.family === 6 ? 'ipv6-icmp' : 'icmp'}:${(b.icmpType << 8) | (b.icmpCode ?? 0)}`;
  }
  const port = from === 'src' ? b.sport : b.dport;
  if (port === undefined) return { unknown: `the packet's ${from === 'src' ? 'source' : 'destination'} port is not known` };
  return `${b.proto}:${port}`;
}

/** ICMP names ipset prints (libipset's table, read back from ipset 7.17), as type/code. */
const ICMP_NAMES: Record<string, [number, number]> = {
  'echo-reply': [0, 0], 'network-unreachable': [3, 0], 'host-unreachable': [3, 1], 'protocol-unreachable': [3, 2],
  'port-unreachable': [3, 3], 'fragmentation-needed': [3, 4], 'source-route-failed': [3, 5], 'network-unknown': [3, 6],
  'host-unknown': [3, 7], 'network-prohibited': [3, 9], 'host-prohibited': [3, 10], 'TOS-network-unreachable': [3, 11],
  'TOS-host-unreachable': [3, 12], 'communication-prohibited': [3, 13], 'host-precedence-violation': [3, 14],
  'precedence-cutoff': [3, 15], 'source-quench': [4, 0], 'network-redirect': [5, 0], 'host-redirect': [5, 1],
  'TOS-network-redirect': [5, 2], 'TOS-host-redirect': [5, 3], 'echo-request': [8, 0], 'router-advertisement': [9, 0],
  'router-solicitation': [10, 0], 'ttl-zero-during-transit': [11, 0], 'ttl-zero-during-reassembly': [11, 1],
  'ip-header-bad': [12, 0], 'required-option-missing': [12, 1], 'timestamp-request': [13, 0], 'timestamp-reply': [14, 0],
  'address-mask-request': [17, 0], 'address-mask-reply': [18, 0],
};
const ICMP6_NAMES: Record<string, [number, number]> = {
  'no-route': [1, 0], 'communication-prohibited': [1, 1], 'address-unreachable': [1, 3], 'port-unreachable': [1, 4],
  'packet-too-big': [2, 0], 'ttl-zero-during-transit': [3, 0], 'ttl-zero-during-reassembly': [3, 1], 'bad-header': [4, 0],
  'unknown-header-type': [4, 1], 'unknown-option': [4, 2], 'echo-request': [128, 0], 'echo-reply': [129, 0],
  'router-solicitation': [133, 0], 'router-advertisement': [134, 0], 'neighbour-solicitation': [135, 0],
  'neighbour-advertisement': [136, 0], redirect: [137, 0],
};

/**
 * Parses `ipset list` (blocks of `Name:`/`Type:`/`Header:`/…/`Members:`) or `ipset save`
 * (`create NAME TYPE …` / `add NAME ELEMENT …`) into sets by name. Empty input is no sets.
 */
export function parseIpsetList(text: string, opts: { source: string }): Map<string, IpSet> {
  const lines = text.split(/\r?\n/);
  const first = lines.find((l) => l.trim() !== '')?.trim() ?? '';
  const parsed = /^(create|add) /.test(first) ? parseSave(lines, opts.source) : parseList(lines, opts.source);
  const sets = new Map<string, IpSet>();
  for (const s of parsed) sets.set(s.name, s);
  for (const s of sets.values()) s.registry = sets;
  return sets;
}

interface Block {
  name: string;
  nameLine: number;
  type: string | null;
  header: string | null;
  headerLine: number;
  members: { text: string; line: number }[] | null;
}

function parseList(lines: string[], source: string): IpSet[] {
  const blocks: Block[] = [];
  let cur: Block | null = null;
  let inMembers = false;
  lines.forEach((raw, i) => {
    const line = i + 1;
    const fail = (problem: string): never => {
      throw new ParseError(source, line, problem, raw);
    };
    if (raw.trim() === '') {
      inMembers = false;
      return;
    }
    const field = /^([A-Z][A-Za-z ]*):(?: (.*))?$/.exec(raw);
    if (field?.[1] === 'Name') {
      const name = (field[2] ?? '').trim();
      if (!/^\S{1,31}$/.test(name)) fail(`ipset name ${JSON.stringify(name)}: 1 to 31 characters without spaces`);
      if (blocks.some((b) => b.name === name)) fail(`ipset ${name} is listed twice`);
      cur = { name, nameLine: line, type: null, header: null, headerLine: line, members: null };
      blocks.push(cur);
      inMembers = false;
      return;
    }
    if (!cur) return fail('expected "Name: SET" to start an ipset block');
    const block: Block = cur;
    if (inMembers) {
      (block.members as { text: string; line: number }[]).push({ text: raw.trim(), line });
      return;
    }
    if (!field) return fail(`unexpected line in the header of ipset ${block.name} (members come after "Members:")`);
    const value = (field[2] ?? '').trim();
    switch (field[1]) {
      case 'Type':
        block.type = value;
        break;
      case 'Header':
        block.header = value;
        block.headerLine = line;
        break;
      case 'Members':
        block.members = [];
        inMembers = true;
        break;
      case 'Revision':
      case 'Size in memory':
      case 'References':
      case 'Number of entries':
        if (!/^\d+$/.test(value)) fail(`${field[1]}: ${value} is not a number`);
        break;
      default:
        fail(`unknown field "${field[1]}:" in ipset ${block.name}`);
    }
  });
  return blocks.map((b) => {
    if (b.type === null) throw new ParseError(source, b.nameLine, `ipset ${b.name} has no "Type:" line`);
    return buildSet(b.name, b.type, b.header ?? '', b.headerLine, b.members, b.nameLine, source, lines);
  });
}

function parseSave(lines: string[], source: string): IpSet[] {
  const blocks = new Map<string, Block>();
  lines.forEach((raw, i) => {
    const line = i + 1;
    const t = raw.trim();
    if (t === '' || t.startsWith('#')) return;
    const fail = (problem: string): never => {
      throw new ParseError(source, line, problem, raw);
    };
    const m = /^(create|add)\s+(\S+)(?:\s+(.*))?$/.exec(t);
    if (!m) return fail('expected "create NAME TYPE …" or "add NAME ELEMENT …"');
    const [, verb, name, rest = ''] = m as unknown as [string, string, string, string?];
    if (verb === 'create') {
      if (blocks.has(name)) fail(`ipset ${name} is created twice`);
      const sp = rest.indexOf(' ');
      const type = sp < 0 ? rest : rest.slice(0, sp);
      if (type === '') fail(`create ${name} needs a type`);
      blocks.set(name, { name, nameLine: line, type, header: sp < 0 ? '' : rest.slice(sp + 1), headerLine: line, members: [] });
      return;
    }
    const b = blocks.get(name);
    if (!b) return fail(`add to ipset ${name}, which no earlier create line makes`);
    if (rest === '') fail(`add ${name} needs an element`);
    (b.members as { text: string; line: number }[]).push({ text: rest, line });
  });
  return [...blocks.values()].map((b) => buildSet(b.name, b.type ?? '', b.header ?? '', b.headerLine, b.members, b.nameLine, source, lines));
}

function buildSet(
  name: string, type: string, header: string, headerLine: number, raw: { text: string; line: number }[] | null,
  line: number, source: string, lines: string[],
): IpSet {
  const failAt = (at: number, problem: string): never => {
    throw new ParseError(source, at, problem, lines[at - 1]);
  };
  const h = parseHeader(header, (p) => failAt(headerLine, `ipset ${name}: ${p}`));
  const dims = TYPES[type];
  let family: 4 | 6 | null = null;
  if (dims && type.startsWith('hash:')) family = h.family ?? 4;
  if (type === 'bitmap:ip') family = 4;
  let range: [number, number] | undefined;
  if (type === 'bitmap:port') {
    const m = /^(\d+)-(\d+)$/.exec(h.range ?? '');
    if (!m) return failAt(headerLine, `ipset ${name}: a bitmap:port set needs "range FROM-TO" in its header`);
    range = [Number(m[1]), Number(m[2])];
  }
  if (!dims || raw === null) return new IpSet(name, type, family, header, null, line, { range, netmask: h.netmask });
  const members = raw.map((r) => parseMember(r.text, dims, family ?? 4, h.netmask, (p) => failAt(r.line, `ipset ${name} (${type}): ${p}`), r.line));
  return new IpSet(name, type, family, header, members, line, { range, netmask: h.netmask });
}

interface Header {
  family: 4 | 6 | null;
  range: string | null;
  netmask: number | null;
}

/** Header words: `family inet hashsize 1024 maxelem 65536 …`, `range 0-65535`, `netmask 24`, flags. */
function parseHeader(text: string, fail: (problem: string) => never): Header {
  const w = text.split(/\s+/).filter((x) => x !== '');
  const h: Header = { family: null, range: null, netmask: null };
  for (let i = 0; i < w.length; i++) {
    const k = w[i] as string;
    const v = w[i + 1];
    switch (k) {
      case 'family':
        if (v !== 'inet' && v !== 'inet6') fail(`family ${v ?? ''}: inet or inet6`);
        h.family = v === 'inet6' ? 6 : 4;
        i++;
        break;
      case 'range':
        h.range = v ?? '';
        i++;
        break;
      case 'netmask':
        if (v === undefined || !/^\d+$/.test(v)) fail(`netmask ${v ?? ''}: not a prefix length`);
        h.netmask = Number(v);
        i++;
        break;
      // Words with a value that membership does not depend on.
      case 'hashsize':
      case 'maxelem':
      case 'timeout':
      case 'bucketsize':
      case 'initval':
      case 'size':
      case 'markmask':
      case 'bitmask':
        i++;
        break;
      // Flags: counters, comment, skbinfo, forceadd… (and any a newer ipset prints).
      default:
        break;
    }
  }
  return h;
}

/** One element with its extensions: `10.0.0.1,tcp:80 timeout 59 packets 5 bytes 300 comment "x" nomatch`. */
function parseMember(text: string, dims: Dim[], family: 4 | 6, netmask: number | null, fail: (problem: string) => never, line: number): Member {
  const sp = text.indexOf(' ');
  const elem = sp < 0 ? text : text.slice(0, sp);
  const m: Member = { text, key: '', bits: 0, nomatch: false, timeout: null, comment: null, line };
  const ext = sp < 0 ? '' : text.slice(sp + 1);
  const re = /\s*(?:(timeout|packets|bytes|skbmark|skbprio|skbqueue)\s+(\S+)|comment\s+"([^"]*)"|(nomatch))/y;
  let at = 0;
  while (at < ext.length) {
    re.lastIndex = at;
    const x = re.exec(ext);
    if (!x) return fail(`unexpected ${JSON.stringify(ext.slice(at).trim())} after the element`);
    if (x[1] === 'timeout') {
      if (!/^\d+$/.test(x[2] ?? '')) fail(`timeout ${x[2] ?? ''}: not a number of seconds`);
      m.timeout = Number(x[2]);
    } else if (x[3] !== undefined) m.comment = x[3];
    else if (x[4]) m.nomatch = true;
    at = re.lastIndex;
    if (/^\s*$/.test(ext.slice(at))) break;
  }
  if (dims[0] === 'set') {
    m.key = elem;
    return m;
  }
  const parts = elem.split(',');
  if (parts.length !== dims.length) fail(`element ${elem} has ${parts.length} part(s); this type has ${dims.length}`);
  if (m.nomatch && !dims.includes('net')) fail(`nomatch is only for types with a net dimension (element ${elem})`);
  const keys = parts.map((p, i) => {
    const dim = dims[i] as Dim;
    if (dim === 'ip' || dim === 'net') {
      const slash = p.indexOf('/');
      const a = parseAddr(slash < 0 ? p : p.slice(0, slash));
      if (!a) return fail(`${p} is not an IP address`);
      if (a.family !== family) return fail(`${p} is not an IPv${family} address (the set is family ${family === 6 ? 'inet6' : 'inet'})`);
      const max = family === 4 ? 32 : 128;
      let bits = max;
      if (slash >= 0) {
        const t = p.slice(slash + 1);
        if (!/^\d+$/.test(t) || Number(t) > max || Number(t) < 1) return fail(`${p}: the prefix length must be 1 to ${max}`);
        bits = Number(t);
      }
      if (dim === 'ip') {
        const want = netmask ?? max;
        if (slash >= 0 && bits !== want) return fail(`${p}: an ip dimension holds single addresses`);
        return addrKey(a.bytes, want);
      }
      m.bits = bits;
      return '';
    }
    if (dim === 'bport') {
      if (!/^\d+$/.test(p) || Number(p) > 65535) return fail(`${p} is not a port number`);
      return String(Number(p));
    }
    return portKey(p, family, fail);
  });
  const netAt = dims.indexOf('net');
  if (netAt >= 0) {
    const p = parts[netAt] as string;
    const slash = p.indexOf('/');
    keys[netAt] = addrKey((parseAddr(slash < 0 ? p : p.slice(0, slash)) as Addr).bytes, m.bits);
  }
  m.key = keys.join(',');
  return m;
}

/** `tcp:443` → `tcp:443`; `80` (ipset's default protocol) → `tcp:80`; `icmp:echo-request` → `icmp:2048`. */
function portKey(p: string, family: 4 | 6, fail: (problem: string) => never): string {
  const colon = p.lastIndexOf(':');
  const proto = colon < 0 ? 'tcp' : p.slice(0, colon).toLowerCase();
  const value = colon < 0 ? p : p.slice(colon + 1);
  if (proto === 'icmp' || proto === 'ipv6-icmp' || proto === 'icmpv6') {
    const v6 = proto !== 'icmp';
    if (v6 !== (family === 6)) return fail(`${p}: ${proto} in an IPv${family} set`);
    const named = (v6 ? ICMP6_NAMES : ICMP_NAMES)[value];
    const num = /^(\d+)\/(\d+)$/.exec(value);
    const tc = named ?? (num ? [Number(num[1]), Number(num[2])] : null);
    if (!tc || tc[0] > 255 || tc[1] > 255) return fail(`${p}: not an ICMP type name or TYPE/CODE`);
    return `${v6 ? 'ipv6-icmp' : 'icmp'}:${(tc[0] << 8) | tc[1]}`;
  }
  if (!/^[a-z][a-z0-9-]*$|^\d+$/.test(proto)) return fail(`${p}: ${proto} is not a protocol`);
  if (!/^\d+$/.test(value) || Number(value) > 65535) return fail(`${p}: not PROTO:PORT (ranges are listed one element per port)`);
  return `${proto}:${Number(value)}`;
}
