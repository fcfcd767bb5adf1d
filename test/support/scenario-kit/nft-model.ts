/**
 * Native nftables tables (kube-proxy's `table ip kube-proxy`, firewalld's `table inet firewalld`)
 * as the transaction their writer sends: the commands in order, each statement of a rule in two
 * words at once, its `nft -f` text and what `nft -j` prints for it. From the commands come the
 * `nft -f` input (nftText) and, by replaying them the way the kernel does, the table as
 * `nft -j list ruleset` prints it (nftTableJson): handles counted per table in creation order (a
 * chain or set added and deleted again still uses one, an anonymous set takes one just before its
 * rule), sets and maps first, then chains, then every chain's rules, set elements in nft 1.0.6's
 * listing order. Facts measured with nft 1.0.6 on kernel 6.x; the kernel round trip
 * (test/kernel/scenario-kit-roundtrip.test.ts) checks them.
 */
import { ip6Bytes, ip6ToBigInt, isIPv6, joinHostPort } from './net.js';

export type NftFamily = 'ip' | 'ip6' | 'inet';
/** The address payload of a family's rules: `ip daddr` or `ip6 daddr`. */
export type NftAddrProto = 'ip' | 'ip6';

/** One statement (or match) of a rule: its `nft` words and the JSON expression `nft -j` prints for it. */
export interface NftStmt {
  text: string;
  json: unknown;
  /** It holds an anonymous set or map, which the kernel creates, and numbers, just before the rule. */
  anonymousSet?: boolean;
}

/** A base chain's hook: `prioText` is how the writer spells the priority (`-110`, `filter + 10`). */
export interface NftBaseChain {
  type: 'filter' | 'nat' | 'route';
  hook: 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';
  prio: number;
  prioText: string;
  /** Written out only when given; the kernel's default is accept either way. */
  policy?: 'accept' | 'drop';
}

/** One field of a set element's key. */
export interface NftKeyPart {
  text: string;
  json: string | number;
  /** The field's bytes as nft exports them (network order), for nft's listing order. */
  bytes: number[];
}

export type NftCommand =
  | { verb: 'add' | 'delete'; object: 'table'; comment?: string }
  | { verb: 'add'; object: 'chain'; name: string; base?: NftBaseChain; comment?: string }
  | { verb: 'flush' | 'delete'; object: 'chain'; name: string }
  | { verb: 'add'; object: 'set' | 'map'; name: string; type: string[]; flags?: string[]; timeout?: number; comment?: string }
  | { verb: 'flush' | 'delete'; object: 'set' | 'map'; name: string }
  | { verb: 'add'; object: 'rule'; chain: string; stmts: NftStmt[]; comment?: string }
  | { verb: 'add'; object: 'element'; set: string; key: NftKeyPart[]; value?: NftStmt; comment?: string }
  /** A named counter (kube-proxy v1.37 adds and deletes its localhost-NodePort ones again when unused). */
  | { verb: 'add' | 'delete'; object: 'counter'; name: string };

/** One table and the commands that made it, in order (plain data: specs carry it). */
export interface NftTableSpec {
  family: NftFamily;
  name: string;
  commands: NftCommand[];
}

/** Collects a writer's commands for one table. */
export class NftTransaction {
  readonly spec: NftTableSpec;

  constructor(family: NftFamily, name: string) {
    this.spec = { family, name, commands: [] };
  }

  private push(c: NftCommand): this {
    this.spec.commands.push(c);
    return this;
  }

  addTable(comment?: string): this {
    return this.push({ verb: 'add', object: 'table', ...(comment !== undefined ? { comment } : {}) });
  }

  deleteTable(): this {
    return this.push({ verb: 'delete', object: 'table' });
  }

  addChain(name: string, o: { base?: NftBaseChain; comment?: string } = {}): this {
    return this.push({ verb: 'add', object: 'chain', name, ...o });
  }

  flushChain(name: string): this {
    return this.push({ verb: 'flush', object: 'chain', name });
  }

  deleteChain(name: string): this {
    return this.push({ verb: 'delete', object: 'chain', name });
  }

  /** A set (no `map`) or a verdict map (`map: true`); `type` lists the key's fields. */
  addSet(name: string, o: { type: string[]; map?: boolean; flags?: string[]; timeout?: number; comment?: string }): this {
    const { map, ...rest } = o;
    return this.push({ verb: 'add', object: map === true ? 'map' : 'set', name, ...rest });
  }

  flushSet(name: string, map = false): this {
    return this.push({ verb: 'flush', object: map ? 'map' : 'set', name });
  }

  deleteSet(name: string, map = false): this {
    return this.push({ verb: 'delete', object: map ? 'map' : 'set', name });
  }

  addRule(chain: string, stmts: (NftStmt | NftStmt[])[], comment?: string): this {
    return this.push({ verb: 'add', object: 'rule', chain, stmts: stmts.flat(), ...(comment !== undefined ? { comment } : {}) });
  }

  addCounter(name: string): this {
    return this.push({ verb: 'add', object: 'counter', name });
  }

  deleteCounter(name: string): this {
    return this.push({ verb: 'delete', object: 'counter', name });
  }

  /** An element of a set, or of a verdict map with its `value`. */
  addElement(set: string, key: NftKeyPart[], o: { value?: NftStmt; comment?: string } = {}): this {
    return this.push({ verb: 'add', object: 'element', set, key, ...o });
  }
}

// ---------------------------------------------------------------------------------------------
// `nft -f` input

const q = (s: string): string => `"${s}"`;

/** The table's commands as `nft -f` input (one command per line). */
export function nftText(table: NftTableSpec): string {
  const at = `${table.family} ${table.name}`;
  const lines = table.commands.map((c): string => {
    switch (c.object) {
      case 'table':
        return c.verb === 'add' && c.comment !== undefined ? `add table ${at} { comment ${q(c.comment)} ; }` : `${c.verb} table ${at}`;
      case 'chain': {
        if (c.verb !== 'add') return `${c.verb} chain ${at} ${c.name}`;
        const parts: string[] = [];
        if (c.base !== undefined) parts.push(`type ${c.base.type} hook ${c.base.hook} priority ${c.base.prioText} ;${c.base.policy !== undefined ? ` policy ${c.base.policy} ;` : ''}`);
        if (c.comment !== undefined) parts.push(`comment ${q(c.comment)} ;`);
        return `add chain ${at} ${c.name}${parts.length > 0 ? ` { ${parts.join(' ')} }` : ''}`;
      }
      case 'set':
      case 'map': {
        if (c.verb !== 'add') return `${c.verb} ${c.object} ${at} ${c.name}`;
        const parts = [`type ${c.type.join(' . ')}${c.object === 'map' ? ' : verdict' : ''} ;`];
        if (c.flags !== undefined) parts.push(`flags ${c.flags.join(',')} ;`);
        if (c.timeout !== undefined) parts.push(`timeout ${c.timeout}s ;`);
        if (c.comment !== undefined) parts.push(`comment ${q(c.comment)} ;`);
        return `add ${c.object} ${at} ${c.name} { ${parts.join(' ')} }`;
      }
      case 'counter':
        return `${c.verb} counter ${at} ${c.name}`;
      case 'rule':
        return `add rule ${at} ${c.chain} ${c.stmts.map((s) => s.text).join(' ')}${c.comment !== undefined ? ` comment ${q(c.comment)}` : ''}`;
      case 'element': {
        const key = c.key.map((k) => k.text).join(' . ');
        return `add element ${at} ${c.set} { ${key}${c.comment !== undefined ? ` comment ${q(c.comment)}` : ''}${c.value !== undefined ? ` : ${c.value.text}` : ''} }`;
      }
    }
  });
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// The table as `nft -j list ruleset` prints it

interface LiveChain {
  name: string;
  handle: number;
  base?: NftBaseChain;
  rules: { handle: number; stmts: NftStmt[]; comment?: string }[];
}

interface LiveSet {
  name: string;
  handle: number;
  map: boolean;
  type: string[];
  flags?: string[];
  timeout?: number;
  comment?: string;
  elements: Map<string, { key: NftKeyPart[]; value?: NftStmt; comment?: string }>;
}

/**
 * Replays the table's commands as the kernel applies them and prints what `nft -j list ruleset`
 * shows for it. `tableHandle` is the netns-wide table counter before this table's commands; the
 * counter after them comes back with the JSON objects.
 */
export function nftTableJson(table: NftTableSpec, tableHandle: number): { items: unknown[]; tableHandle: number } {
  let handle = tableHandle;
  let exists = false;
  let tableNumber = 0;
  let next = 0;
  let chains = new Map<string, LiveChain>();
  let sets = new Map<string, LiveSet>();
  let counters = new Set<string>();
  const missing = (what: string): Error => new Error(`nft: ${what} does not exist in table ${table.family} ${table.name}`);
  for (const c of table.commands) {
    if (c.object === 'table') {
      if (c.verb === 'add' && !exists) {
        exists = true;
        tableNumber = ++handle;
        next = 0;
        chains = new Map();
        sets = new Map();
        counters = new Set();
      } else if (c.verb === 'delete') {
        if (!exists) throw missing('the table');
        exists = false;
      }
      continue;
    }
    if (!exists) throw missing('the table');
    switch (c.object) {
      case 'chain': {
        const chain = chains.get(c.name);
        if (c.verb === 'add') {
          if (chain === undefined) chains.set(c.name, { name: c.name, handle: ++next, ...(c.base !== undefined ? { base: c.base } : {}), rules: [] });
        } else if (chain === undefined) {
          throw missing(`chain ${c.name}`);
        } else if (c.verb === 'flush') {
          chain.rules = [];
        } else {
          chains.delete(c.name);
        }
        break;
      }
      case 'set':
      case 'map': {
        const set = sets.get(c.name);
        if (c.verb === 'add') {
          if (set === undefined) {
            const { verb: _verb, object, ...props } = c;
            sets.set(c.name, { ...props, handle: ++next, map: object === 'map', elements: new Map() });
          }
        } else if (set === undefined) {
          throw missing(`${c.object} ${c.name}`);
        } else if (c.verb === 'flush') {
          set.elements.clear();
        } else {
          sets.delete(c.name);
        }
        break;
      }
      case 'counter': {
        // A named object takes a handle from the table's counter like a chain or a set.
        if (c.verb === 'add' && !counters.has(c.name)) {
          counters.add(c.name);
          ++next;
        } else if (c.verb === 'delete') {
          if (!counters.delete(c.name)) throw missing(`counter ${c.name}`);
        }
        break;
      }
      case 'rule': {
        const chain = chains.get(c.chain);
        if (chain === undefined) throw missing(`chain ${c.chain}`);
        for (const s of c.stmts) if (s.anonymousSet === true) ++next;
        chain.rules.push({ handle: ++next, stmts: c.stmts, ...(c.comment !== undefined ? { comment: c.comment } : {}) });
        break;
      }
      case 'element': {
        const set = sets.get(c.set);
        if (set === undefined) throw missing(`set ${c.set}`);
        const id = c.key.map((k) => k.text).join(' . ');
        if (!set.elements.has(id)) set.elements.set(id, { key: c.key, ...(c.value !== undefined ? { value: c.value } : {}), ...(c.comment !== undefined ? { comment: c.comment } : {}) });
        break;
      }
    }
  }
  if (!exists) return { items: [], tableHandle: handle };
  if (counters.size > 0) throw new Error(`nft listing of named counters is not modelled (table ${table.family} ${table.name}: ${[...counters].join(', ')})`);
  const { family, name } = table;
  const items: unknown[] = [{ table: { family, name, handle: tableNumber } }];
  for (const set of sets.values()) items.push({ [set.map ? 'map' : 'set']: setJson(table, set) });
  for (const chain of chains.values()) {
    const base = chain.base === undefined ? {} : { type: chain.base.type, hook: chain.base.hook, prio: chain.base.prio, policy: chain.base.policy ?? 'accept' };
    items.push({ chain: { family, table: name, name: chain.name, handle: chain.handle, ...base } });
  }
  for (const chain of chains.values()) {
    for (const r of chain.rules) {
      items.push({ rule: { family, table: name, chain: chain.name, handle: r.handle, ...(r.comment !== undefined ? { comment: r.comment } : {}), expr: r.stmts.map((s) => s.json) } });
    }
  }
  return { items, tableHandle: handle };
}

/** nft 1.0.6's json set_print_json: `dynamic` is not among the flags it prints; a dynamic set reports size 65535. */
function setJson(table: NftTableSpec, set: LiveSet): Record<string, unknown> {
  const flags = (set.flags ?? []).filter((f) => f === 'constant' || f === 'interval' || f === 'timeout');
  const elements = [...set.elements.values()].sort((a, b) => compareKeys(a.key, b.key));
  const elem = elements.map((e) => {
    const key = e.key.length === 1 ? e.key[0]?.json : { concat: e.key.map((k) => k.json) };
    const keyed = e.comment !== undefined ? { elem: { val: key, comment: e.comment } } : key;
    return set.map ? [keyed, e.value?.json] : keyed;
  });
  return {
    family: table.family,
    name: set.name,
    table: table.name,
    type: set.type.length === 1 ? set.type[0] : set.type,
    handle: set.handle,
    ...(set.comment !== undefined ? { comment: set.comment } : {}),
    ...(set.map ? { map: 'verdict' } : {}),
    ...(set.flags?.includes('dynamic') === true ? { size: 65535 } : {}),
    ...(flags.length > 0 ? { flags } : {}),
    ...(set.timeout !== undefined ? { timeout: set.timeout } : {}),
    ...(elem.length > 0 ? { elem } : {}),
  };
}

/**
 * nft lists set elements sorted (src/mergesort.c): a one-field key by its value; a concatenation
 * by its fields' bytes, concatenated and read as one host-endian (little-endian) number, so the
 * last byte weighs most (`tcp . 31000` sorts by the port's low byte first).
 */
function compareKeys(a: NftKeyPart[], b: NftKeyPart[]): number {
  const value = (key: NftKeyPart[]): bigint => {
    const bytes = key.length === 1 ? key[0]?.bytes ?? [] : key.flatMap((k) => k.bytes).reverse();
    return bytes.reduce((acc, x) => (acc << 8n) | BigInt(x), 0n);
  };
  const va = value(a);
  const vb = value(b);
  return va < vb ? -1 : va > vb ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Element keys

const ipv4Bytes = (ip: string): number[] => ip.split('.').map(Number);

export const key = {
  ipv4: (ip: string): NftKeyPart => ({ text: ip, json: ip, bytes: ipv4Bytes(ip) }),
  ipv6: (ip: string): NftKeyPart => ({ text: ip, json: ip, bytes: ip6Bytes(ip) }),
  /** An address of either family. */
  addr: (ip: string): NftKeyPart => (isIPv6(ip) ? key.ipv6(ip) : key.ipv4(ip)),
  proto: (p: string): NftKeyPart => ({ text: p, json: p, bytes: [L4PROTO[p] ?? 0] }),
  port: (n: number): NftKeyPart => ({ text: String(n), json: n, bytes: [(n >> 8) & 0xff, n & 0xff] }),
};

// ---------------------------------------------------------------------------------------------
// Statements

const L4PROTO: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, sctp: 132, 'ipv6-icmp': 58 };
const CT_STATE: Record<string, number> = { invalid: 1, established: 2, related: 4, new: 8, untracked: 64 };
const ICMPV6_TYPE: Record<string, number> = {
  'nd-router-solicit': 133, 'nd-router-advert': 134, 'nd-neighbor-solicit': 135, 'nd-neighbor-advert': 136, 'nd-redirect': 137,
};

const match = (op: string, left: unknown, right: unknown): unknown => ({ match: { op, left, right } });
const payload = (protocol: string, field: string): unknown => ({ payload: { protocol, field } });
const meta = (k: string): unknown => ({ meta: { key: k } });
const stmt = (text: string, json: unknown, anonymousSet = false): NftStmt => (anonymousSet ? { text, json, anonymousSet } : { text, json });

/** An IPv4 address or CIDR as nft prints it: a /32 is the bare address. */
function ipv4Json(cidr: string): unknown {
  const [addr = '', len] = cidr.split('/');
  return len === undefined || len === '32' ? addr : { prefix: { addr, len: Number(len) } };
}

function ipv4Value(cidr: string): number {
  return ipv4Bytes(cidr.split('/')[0] ?? '').reduce((acc, x) => acc * 256 + x, 0);
}

/** An address or CIDR of either family as nft prints it. */
const addrJson = (cidr: string): unknown => (isIPv6(cidr) ? ipv6Json(cidr) : ipv4Json(cidr));
/** Sort weight of an address (set literals are printed in value order). */
const addrValue = (cidr: string): number => (isIPv6(cidr) ? Number(ip6ToBigInt(cidr.split('/')[0] ?? '') >> 76n) : ipv4Value(cidr));

/** An IPv6 CIDR as nft prints it (the writer gives it in nft's canonical form). */
function ipv6Json(cidr: string): unknown {
  const [addr = '', len] = cidr.split('/');
  return len === undefined || len === '128' ? addr : { prefix: { addr, len: Number(len) } };
}

/**
 * A set literal in a rule: one element is folded into a plain comparison (no set is created),
 * several make an anonymous set, printed in value order.
 */
function literal<T>(values: T[], json: (v: T) => unknown, order: (v: T) => number, op: string, left: unknown, text: string, singleOp = op): NftStmt {
  if (values.length === 1) return stmt(text, match(singleOp, left, json(values[0] as T)));
  const sorted = [...values].sort((a, b) => order(a) - order(b));
  return stmt(text, match(op, left, { set: sorted.map(json) }), true);
}

export const nft = {
  /** `ct state new` (a single state is a bit test: op `in`). */
  ctState(...states: string[]): NftStmt {
    const text = states.length === 1 ? `ct state ${states[0]}` : `ct state { ${states.join(', ')} }`;
    return literal(states, (s) => s, (s) => CT_STATE[s] ?? 0, '==', { ct: { key: 'state' } }, text, 'in');
  },
  /** `ct state { invalid }` written as a set, as firewalld writes it; folded like any one-element set. */
  ctStateSet(...states: string[]): NftStmt {
    return literal(states, (s) => s, (s) => CT_STATE[s] ?? 0, '==', { ct: { key: 'state' } }, `ct state { ${states.join(', ')} }`, 'in');
  },
  ctStatus: (status: string): NftStmt => stmt(`ct status ${status}`, match('in', { ct: { key: 'status' } }, status)),
  ifname: (dir: 'iifname' | 'oifname', name: string, negate = false): NftStmt =>
    stmt(`${dir} ${negate ? '!= ' : ''}"${name}"`, match(negate ? '!=' : '==', meta(dir), name)),
  nfproto: (family: 'ipv4' | 'ipv6'): NftStmt => stmt(`meta nfproto ${family}`, match('==', meta('nfproto'), family)),
  l4proto: (...protos: string[]): NftStmt =>
    literal(protos, (p) => p, (p) => L4PROTO[p] ?? 0, '==', meta('l4proto'), protos.length === 1 ? `meta l4proto ${protos[0]}` : `meta l4proto { ${protos.join(', ')} }`),
  /** `ip saddr 10.0.0.0/8`, `ip daddr != 127.0.0.0/8`, `ip daddr @cluster-ips`; `ip6 daddr != ::1` with `proto` ip6. */
  ip(field: 'saddr' | 'daddr', value: string, negate = false, proto: NftAddrProto = 'ip'): NftStmt {
    const right = value.startsWith('@') ? value : addrJson(value);
    return stmt(`${proto} ${field} ${negate ? '!= ' : ''}${value}`, match(negate ? '!=' : '==', payload(proto, field), right));
  },
  /** `ip daddr { 10.96.0.0/12 }`, `ip saddr != { a , b }`: kube-proxy's set literals (a comma is its own word). */
  ipSet(field: 'saddr' | 'daddr', values: string[], negate = false, proto: NftAddrProto = 'ip'): NftStmt {
    const text = `${proto} ${field} ${negate ? '!= ' : ''}{ ${values.join(' , ')} }`;
    return literal(values, addrJson, addrValue, negate ? '!=' : '==', payload(proto, field), text);
  },
  /** `ip6 daddr fe80::/64`, `ip6 daddr { … }`; the writer lists a set in nft's order. */
  ip6(field: 'saddr' | 'daddr', values: string[]): NftStmt {
    const text = values.length === 1 ? `ip6 ${field} ${values[0]}` : `ip6 ${field} { ${values.join(', ')} }`;
    return literal(values, ipv6Json, () => 0, '==', payload('ip6', field), text);
  },
  /** `tcp dport 80`, `tcp dport 30000-32767`. */
  dport(proto: string, port: number | [number, number]): NftStmt {
    const [lo, hi] = typeof port === 'number' ? [port, port] : port;
    return stmt(`${proto} dport ${lo === hi ? lo : `${lo}-${hi}`}`, match('==', payload(proto, 'dport'), lo === hi ? lo : { range: [lo, hi] }));
  },
  icmpv6Type: (...types: string[]): NftStmt =>
    literal(types, (t) => t, (t) => ICMPV6_TYPE[t] ?? 0, '==', payload('icmpv6', 'type'), types.length === 1 ? `icmpv6 type ${types[0]}` : `icmpv6 type { ${types.join(', ')} }`),
  /** `fib daddr type local`, `fib saddr type local`. */
  fibTypeLocal: (field: 'saddr' | 'daddr'): NftStmt => stmt(`fib ${field} type local`, match('==', { fib: { result: 'type', flags: [field] } }, 'local')),
  /** firewalld's IPv6 rpfilter: `fib saddr . mark . iif oif missing`. */
  fibRpfilterMissing: (): NftStmt => stmt('fib saddr . mark . iif oif missing', match('==', { fib: { result: 'oif', flags: ['saddr', 'mark', 'iif'] } }, false)),
  /** `ip daddr . meta l4proto . th dport vmap @service-ips`; `meta l4proto . th dport vmap @service-nodeports`. */
  vmapDispatch(withDaddr: boolean, map: string, proto: NftAddrProto = 'ip'): NftStmt {
    const fields = [...(withDaddr ? [payload(proto, 'daddr')] : []), meta('l4proto'), payload('th', 'dport')];
    return stmt(`${withDaddr ? `${proto} daddr . ` : ''}meta l4proto . th dport vmap @${map}`, { vmap: { key: { concat: fields }, data: `@${map}` } });
  },
  /** `numgen random mod N vmap { 0 : goto A , 1 : goto B }`: an anonymous map, even with one element. */
  numgenVmap(chains: string[]): NftStmt {
    const text = `numgen random mod ${chains.length} vmap { ${chains.map((c, i) => `${i} : goto ${c}`).join(' , ')} }`;
    const data = { set: chains.map((c, i) => [i, { goto: { target: c } }]) };
    return stmt(text, { vmap: { key: { numgen: { mode: 'random', mod: chains.length, offset: 0 } }, data } }, true);
  },
  markSet: (op: 'or' | 'xor', mark: string): NftStmt =>
    stmt(`mark set mark ${op} ${mark}`, { mangle: { key: meta('mark'), value: { [op === 'or' ? '|' : '^']: [meta('mark'), Number(mark)] } } }),
  /** `mark and 0x004000 == 0`. */
  markAndIsZero: (mark: string): NftStmt => stmt(`mark and ${mark} == 0`, match('==', { '&': [meta('mark'), Number(mark)] }, 0)),
  /** `mark and 0x004000 != 0`. */
  markAndIsNotZero: (mark: string): NftStmt => stmt(`mark and ${mark} != 0`, match('!=', { '&': [meta('mark'), Number(mark)] }, 0)),
  /** `ip saddr . ip daddr . meta l4proto . th dport @set`: the connection's addresses, protocol and port in a set. */
  connectionInSet: (set: string, proto: NftAddrProto = 'ip'): NftStmt => stmt(
    `${proto} saddr . ${proto} daddr . meta l4proto . th dport @${set}`,
    match('==', { concat: [payload(proto, 'saddr'), payload(proto, 'daddr'), meta('l4proto'), payload('th', 'dport')] }, `@${set}`),
  ),
  /**
   * `meta l4proto tcp dnat ip addr . port to numgen random mod N map { 0 : IP . PORT , … }`: an
   * anonymous map, even with one element.
   */
  dnatNumgenMap: (proto: string, endpoints: { ip: string; port: number }[], family: NftAddrProto = 'ip'): NftStmt[] => [
    stmt(`meta l4proto ${proto}`, match('==', meta('l4proto'), proto)),
    stmt(
      `dnat ${family} addr . port to numgen random mod ${endpoints.length} map { ${endpoints.map((e, i) => `${i} : ${e.ip} . ${e.port}`).join(' , ')} }`,
      { dnat: { family, addr: { map: { key: { numgen: { mode: 'random', mod: endpoints.length, offset: 0 } }, data: { set: endpoints.map((e, i) => [i, { concat: [e.ip, e.port] }]) } } } } },
      true,
    ),
  ],
  /** `update @set { ip saddr }`. */
  updateSaddr: (set: string, proto: NftAddrProto = 'ip'): NftStmt => stmt(`update @${set} { ${proto} saddr }`, { set: { op: 'update', elem: payload(proto, 'saddr'), set: `@${set}` } }),
  /** `meta l4proto tcp dnat to 10.244.1.5:8080` (`[fd00::5]:8080` for IPv6). */
  dnat: (proto: string, ip: string, port: number): NftStmt[] =>
    [stmt(`meta l4proto ${proto}`, match('==', meta('l4proto'), proto)), stmt(`dnat to ${joinHostPort(ip, port)}`, { dnat: { addr: ip, port } })],
  masquerade: (fullyRandom = false): NftStmt => stmt(fullyRandom ? 'masquerade fully-random' : 'masquerade', { masquerade: fullyRandom ? { flags: 'fully-random' } : null }),
  jump: (chain: string): NftStmt => stmt(`jump ${chain}`, { jump: { target: chain } }),
  goto: (chain: string): NftStmt => stmt(`goto ${chain}`, { goto: { target: chain } }),
  accept: (): NftStmt => stmt('accept', { accept: null }),
  drop: (): NftStmt => stmt('drop', { drop: null }),
  return: (): NftStmt => stmt('return', { return: null }),
  /** Plain `reject` in an ip table: ICMP port unreachable (ICMPv6 in an ip6 table). */
  reject: (proto: NftAddrProto = 'ip'): NftStmt => stmt('reject', { reject: { type: proto === 'ip6' ? 'icmpv6' : 'icmp', expr: 'port-unreachable' } }),
  rejectWith: (type: 'icmpx' | 'icmpv6' | 'icmp', code: string): NftStmt => stmt(`reject with ${type} ${code}`, { reject: { type, expr: code } }),
};
