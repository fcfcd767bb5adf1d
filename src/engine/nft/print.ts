/**
 * Renders libnftables JSON back into the text `nft list ruleset` prints, so hops and evidence quote
 * rules the way the user sees them on the node. Byte-identical for what kube-proxy and firewalld
 * write (checked against nft 1.0.6 in test/engine/nft-print.test.ts); anything exotic is printed
 * in nft's style as far as the JSON tells, and never throws.
 */
import type { NftFamily } from './ruleset.js';

/** How a constant is printed: marks as 0x%08x, interface names quoted, the rest as JSON has it. */
export type Fmt = 'plain' | 'mark' | 'quoted' | Fmt[];

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A JSON scalar as text; anything else as JSON (a dump nft did not write). */
const str = (v: unknown): string => {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return `${v}`;
  return v === undefined ? '' : JSON.stringify(v);
};

/** The single key of a JSON expression object (`{"payload": {…}}` → `payload`). */
export function exprKind(e: unknown): string | null {
  if (!isObj(e)) return null;
  const keys = Object.keys(e);
  return keys.length === 1 ? (keys[0] as string) : null;
}

const BINOPS: Record<string, string> = { '&': '&', '|': '|', '^': '^', '<<': '<<', '>>': '>>' };

// meta_key_is_unqualified() in nft: these print without the `meta` keyword.
const UNQUALIFIED_META = new Set(['iif', 'oif', 'iifname', 'oifname', 'iifgroup', 'oifgroup']);
const QUOTED_META = new Set(['iifname', 'oifname', 'iif', 'oif', 'ibrname', 'obrname', 'iifkind', 'oifkind', 'sdifname']);

/** Bitmask types: nft prints `==` before a single value of these (`tcp flags == syn`). */
export function isBitmask(e: unknown): boolean {
  const k = exprKind(e);
  if (!isObj(e) || k === null) return false;
  const body = e[k];
  if (!isObj(body)) return false;
  if (k === 'ct') return body.key === 'state' || body.key === 'status' || body.key === 'event';
  if (k === 'payload') return body.protocol === 'tcp' && body.field === 'flags';
  return false;
}

/** The format of constants compared with (or assigned to) expression `e`. */
export function fmtOf(e: unknown): Fmt {
  const k = exprKind(e);
  if (!isObj(e) || k === null) return 'plain';
  const body = e[k];
  if (k === 'concat' && Array.isArray(body)) return body.map(fmtOf);
  if (k in BINOPS && Array.isArray(body)) return fmtOf(body[0]);
  if (!isObj(body)) return 'plain';
  if (k === 'meta') return body.key === 'mark' ? 'mark' : QUOTED_META.has(str(body.key)) ? 'quoted' : 'plain';
  if (k === 'ct') return body.key === 'mark' ? 'mark' : body.key === 'helper' ? 'quoted' : 'plain';
  if (k === 'fib') return body.result === 'oifname' || body.result === 'oif' ? 'quoted' : 'plain';
  if (k === 'osf') return 'quoted';
  return 'plain';
}

/** The format of a set's keys or a map's values from its declared type (`mark`, `ifname . inet_service`). */
export function fmtOfType(type: unknown): Fmt {
  const one = (t: string): Fmt => (t === 'mark' ? 'mark' : t === 'ifname' ? 'quoted' : 'plain');
  if (Array.isArray(type)) return type.map((t) => one(str(t)));
  if (typeof type === 'string' && type.includes(' . ')) return type.split(' . ').map(one);
  return typeof type === 'string' ? one(type) : 'plain';
}

const part = (fmt: Fmt, i: number): Fmt => (Array.isArray(fmt) ? fmt[i] ?? 'plain' : fmt);

/** nft's duration style: `3h`, `2h59m59s`, `30s` (JSON gives seconds). */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return '0s';
  let s = Math.floor(seconds);
  const ms = Math.round((seconds - s) * 1000);
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${d ? `${d}d` : ''}${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s ? `${s}s` : ''}${ms ? `${ms}ms` : ''}`;
}

function constant(v: unknown, fmt: Fmt): string {
  if (typeof v === 'number') {
    if (fmt === 'mark') return `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
    return str(v);
  }
  if (typeof v === 'string') {
    // `@name` refers to a named set, whatever the type of its elements.
    if (fmt === 'quoted' && !v.startsWith('@')) return `"${v}"`;
    return v;
  }
  if (typeof v === 'boolean') return v ? 'exists' : 'missing';
  return JSON.stringify(v);
}

/** Prints an expression or a constant (`fmt` says how constants print). */
export function printExpr(e: unknown, fmt: Fmt = 'plain'): string {
  if (e === null || typeof e !== 'object') return constant(e, fmt);
  // A list of flags: `ct state established,related`.
  if (Array.isArray(e)) return e.map((x) => printExpr(x, fmt)).join(',');
  const k = exprKind(e);
  if (k === null) return JSON.stringify(e);
  const body = (e as Obj)[k];
  const b = isObj(body) ? body : {};
  switch (k) {
    case 'payload':
      if (typeof b.protocol === 'string') return `${b.protocol} ${str(b.field)}`;
      return `@${str(b.base)},${str(b.offset)},${str(b.len)}`;
    case 'meta': {
      const key = str(b.key);
      return UNQUALIFIED_META.has(key) ? key : `meta ${key}`;
    }
    case 'ct':
      return ['ct', b.dir, b.key].filter((x) => x !== undefined).map(String).join(' ');
    case 'fib':
      return `fib ${(Array.isArray(b.flags) ? b.flags : [b.flags]).map(String).join(' . ')} ${str(b.result)}`;
    case 'numgen':
      return `numgen ${str(b.mode)} mod ${str(b.mod)}${b.offset ? ` offset ${str(b.offset)}` : ''}`;
    case 'jhash':
      return `jhash ${printExpr(b.expr)} mod ${str(b.mod)}${b.seed !== undefined ? ` seed 0x${Number(b.seed).toString(16)}` : ''}${b.offset ? ` offset ${str(b.offset)}` : ''}`;
    case 'symhash':
      return `symhash mod ${str(b.mod)}${b.offset ? ` offset ${str(b.offset)}` : ''}`;
    case 'rt':
      return ['rt', b.family, b.key].filter((x) => x !== undefined).map(String).join(' ');
    case 'socket':
      return `socket ${str(b.key)}`;
    case 'osf':
      return `osf${b.ttl ? ` ttl ${str(b.ttl)}` : ''} ${str(b.key)}`;
    case 'ipsec':
      return ['ipsec', b.dir, b.spnum !== undefined ? `spnum ${str(b.spnum)}` : undefined, b.family, b.key].filter((x) => x !== undefined).map(String).join(' ');
    case 'exthdr':
      return [b.name, b.field].filter((x) => x !== undefined).map(String).join(' ');
    case 'tcp option':
      return ['tcp option', b.name, b.field].filter((x) => x !== undefined).map(String).join(' ');
    case 'sctp chunk':
      return ['sctp chunk', b.name, b.field].filter((x) => x !== undefined).map(String).join(' ');
    case 'prefix':
      return `${printExpr(b.addr, fmt)}/${str(b.len)}`;
    case 'range':
      return Array.isArray(body) ? `${printExpr(body[0], fmt)}-${printExpr(body[1], fmt)}` : JSON.stringify(e);
    case 'concat':
      return Array.isArray(body) ? body.map((x, i) => printExpr(x, part(fmt, i))).join(' . ') : JSON.stringify(e);
    case 'set':
      return setLiteral(body, fmt, 'plain');
    case 'elem':
      return elem(b, fmt);
    case 'map':
      // `fmt` is the format of the map's values here (`meta mark set ip saddr map { … : 0x00000020 }`).
      return `${printExpr(b.key)} map ${mapData(b.data, fmtOf(b.key), fmt)}`;
    case 'accept':
    case 'drop':
    case 'continue':
    case 'return':
      return k;
    case 'jump':
    case 'goto':
      return `${k} ${str(b.target)}`;
    default:
      if (k in BINOPS && Array.isArray(body)) return binop(k, body, fmt);
      return `${k} ${JSON.stringify(body)}`;
  }
}

function binop(op: string, args: unknown[], fmt: Fmt): string {
  const [l, r] = args;
  // nft prints a flag mask in parentheses: `tcp flags & (fin | syn | rst | ack)`.
  const right = Array.isArray(r) ? `(${r.map((x) => printExpr(x)).join(' | ')})` : printExpr(r, fmtOf(l) === 'plain' ? fmt : fmtOf(l));
  return `${printExpr(l, fmt)} ${op} ${right}`;
}

function elem(b: Obj, fmt: Fmt): string {
  let s = printExpr(b.val, fmt);
  if (typeof b.timeout === 'number') s += ` timeout ${duration(b.timeout)}`;
  if (typeof b.expires === 'number') s += ` expires ${duration(b.expires)}`;
  if (typeof b.comment === 'string') s += ` comment "${b.comment}"`;
  return s;
}

/** `{ a, b }` for sets; `{ k : v, … }` for maps (elements are `[key, value]` pairs). */
function setLiteral(items: unknown, keyFmt: Fmt, valueFmt: Fmt): string {
  const list = Array.isArray(items) ? items : [items];
  const shown = list.map((x) => {
    if (Array.isArray(x) && x.length === 2) return `${printExpr(x[0], keyFmt)} : ${printExpr(x[1], valueFmt)}`;
    return printExpr(x, keyFmt);
  });
  return `{ ${shown.join(', ')} }`;
}

function mapData(data: unknown, keyFmt: Fmt, valueFmt: Fmt): string {
  if (typeof data === 'string') return data;
  const k = exprKind(data);
  if (isObj(data) && k === 'set') return setLiteral(data.set, keyFmt, valueFmt);
  return printExpr(data, valueFmt);
}

/** A set element's key (or a map element's value) as nft prints it inside `elements = { … }`. */
export function printElement(key: unknown, fmt: Fmt): string {
  return printExpr(key, fmt);
}

function printMatch(m: Obj): string {
  const left = m.left;
  const right = m.right;
  const op = str(m.op);
  const lk = exprKind(left);
  if (op === '==' && lk === '&' && isObj(left) && Array.isArray(left['&']) && isBitmask(left['&'][0]) && !isObj(right)) {
    // `tcp flags & (fin|syn|rst|ack) == syn` prints as `tcp flags syn / fin,syn,rst,ack`.
    const [l, mask] = left['&'] as unknown[];
    return `${printExpr(l)} ${printExpr(right)} / ${Array.isArray(mask) ? mask.map((x) => printExpr(x)).join(',') : printExpr(mask, fmtOf(l))}`;
  }
  const l = printExpr(left);
  const r = printExpr(right, fmtOf(left));
  if (op === 'in') return `${l} ${r}`;
  if (op === '==') {
    // must_print_eq_op() in nft: a binop on the left, or one value of a bitmask type.
    const explicit = (lk !== null && lk in BINOPS) || (isBitmask(left) && (typeof right === 'string' || typeof right === 'number'));
    return explicit ? `${l} == ${r}` : `${l} ${r}`;
  }
  return `${l} ${op} ${r}`;
}

const NAT_FLAG_ORDER = ['random', 'fully-random', 'persistent', 'netmap'];

function natFlags(flags: unknown): string {
  const list = Array.isArray(flags) ? flags.map(String) : typeof flags === 'string' ? [flags] : [];
  const sorted = [...list].sort((a, b) => NAT_FLAG_ORDER.indexOf(a) - NAT_FLAG_ORDER.indexOf(b));
  return sorted.length ? ` ${sorted.join(',')}` : '';
}

const isIpv6Text = (v: unknown): boolean => typeof v === 'string' && v.includes(':');

function nat(kind: string, b: Obj): string {
  let s = kind;
  const hasAddr = b.addr !== undefined;
  const hasPort = b.port !== undefined;
  if (hasAddr || hasPort) {
    if (typeof b.family === 'string') s += ` ${b.family}`;
    const tf = Array.isArray(b.type_flags) ? b.type_flags.map(String) : [];
    if (tf.includes('prefix')) s += ' prefix';
    s += ' to';
  }
  if (hasAddr) {
    let a = printExpr(b.addr);
    // An IPv6 address followed by a port is bracketed: `dnat to [fd00::2]:8080`.
    if (hasPort && isIpv6Text(b.addr)) a = `[${a}]`;
    else if (hasPort && exprKind(b.addr) === 'range' && isObj(b.addr) && Array.isArray(b.addr.range) && isIpv6Text(b.addr.range[0])) {
      const [x, y] = b.addr.range as unknown[];
      a = `[${printExpr(x)}]-[${printExpr(y)}]`;
    }
    s += ` ${a}`;
  }
  if (hasPort) s += `${hasAddr ? ':' : ' :'}${printExpr(b.port)}`;
  return s + natFlags(b.flags);
}

const ICMP_PORT_UNREACH = 'port-unreachable';

/**
 * nft prints a reject without `with …` when it is the family's default (port-unreachable in an ip
 * or ip6 table, icmpx port-unreachable anywhere); in inet tables an icmp/icmpv6 code is spelled out.
 */
function reject(b: Obj, family: NftFamily): string {
  const type = b.type;
  const code = typeof b.expr === 'string' ? b.expr : undefined;
  if (type === 'tcp reset') return 'reject with tcp reset';
  if (type === undefined) return 'reject';
  if (type === 'icmpx') return code === ICMP_PORT_UNREACH || code === undefined ? 'reject' : `reject with icmpx ${code}`;
  if ((type === 'icmp' && family === 'ip') || (type === 'icmpv6' && family === 'ip6')) {
    if (code === ICMP_PORT_UNREACH || code === undefined) return 'reject';
  }
  return `reject with ${str(type)} ${code ?? ICMP_PORT_UNREACH}`;
}

function log(b: Obj): string {
  let s = 'log';
  if (typeof b.prefix === 'string') s += ` prefix "${b.prefix}"`;
  if (b.group !== undefined) s += ` group ${str(b.group)}`;
  if (b.snaplen !== undefined) s += ` snaplen ${str(b.snaplen)}`;
  if (b['queue-threshold'] !== undefined) s += ` queue-threshold ${str(b['queue-threshold'])}`;
  if (typeof b.level === 'string' && b.level !== 'warn') s += ` level ${b.level}`;
  if (b.flags !== undefined) {
    const flags = Array.isArray(b.flags) ? b.flags.map(String) : [str(b.flags)];
    s += flags.includes('all') ? ' flags all' : ` flags ${flags.join(',')}`;
  }
  return s;
}

function limit(b: Obj): string {
  const bytes = typeof b.rate_unit === 'string' && b.rate_unit !== 'packets';
  let s = `limit rate ${b.inv ? 'over ' : ''}${str(b.rate)}${bytes ? ` ${str(b.rate_unit)}` : ''}/${str(b.per)}`;
  const burst = typeof b.burst === 'number' ? b.burst : 0;
  if (bytes ? burst !== 0 : burst !== 0 && burst !== 5) s += ` burst ${burst} ${bytes ? str(b.burst_unit ?? 'bytes') : 'packets'}`;
  return s;
}

/** Prints one statement (or match) of a rule. `family` is the table's. */
export function printStmt(s: unknown, family: NftFamily): string {
  const k = exprKind(s);
  if (!isObj(s) || k === null) return JSON.stringify(s);
  const body = s[k];
  const b = isObj(body) ? body : {};
  switch (k) {
    case 'match':
      return printMatch(b);
    case 'counter':
      if (typeof body === 'string') return `counter name "${body}"`;
      return body === null ? 'counter' : `counter packets ${str(b.packets ?? 0)} bytes ${str(b.bytes ?? 0)}`;
    case 'quota':
      if (typeof body === 'string') return `quota name "${body}"`;
      return `quota ${b.inv ? 'over ' : ''}${str(b.val)} ${str(b.val_unit ?? 'bytes')}${b.used ? ` used ${str(b.used)} ${str(b.used_unit ?? 'bytes')}` : ''}`;
    case 'limit':
      return typeof body === 'string' ? `limit name "${body}"` : limit(b);
    case 'log':
      return body === null ? 'log' : log(b);
    case 'mangle':
      return `${printExpr(b.key)} set ${printExpr(b.value, fmtOf(b.key))}`;
    case 'notrack':
      return 'notrack';
    case 'set':
      return `${str(b.op)} ${str(b.set)} { ${printExpr(b.elem)} }`;
    case 'map':
      return `${str(b.op)} ${str(b.map)} { ${printExpr(b.elem)} : ${printExpr(b.data)} }`;
    case 'reject':
      return reject(b, family);
    case 'dnat':
    case 'snat':
    case 'masquerade':
    case 'redirect':
      return nat(k, b);
    case 'vmap':
      return `${printExpr(b.key)} vmap ${mapData(b.data, fmtOf(b.key), 'plain')}`;
    case 'queue': {
      const flags = Array.isArray(b.flags) ? b.flags.map(String) : typeof b.flags === 'string' ? [b.flags] : [];
      return `queue${flags.length ? ` flags ${flags.join(',')}` : ''}${b.num !== undefined ? ` to ${printExpr(b.num)}` : ''}`;
    }
    case 'xt':
      return `xt ${str(b.type)} ${str(b.name)}`;
    case 'ct helper':
    case 'ct timeout':
    case 'ct expectation':
      return `${k} set "${str(body)}"`;
    case 'ct count':
      return `ct count ${b.inv ? 'over ' : ''}${str(b.val)}`;
    case 'tproxy':
      return `tproxy${typeof b.family === 'string' ? ` ${b.family}` : ''} to${b.addr !== undefined ? ` ${printExpr(b.addr)}` : ''}${b.port !== undefined ? `:${printExpr(b.port)}` : ''}`;
    case 'dup':
      return `dup to ${printExpr(b.addr)}${b.dev !== undefined ? ` device ${printExpr(b.dev, 'quoted')}` : ''}`;
    case 'fwd':
      return `fwd to ${printExpr(b.dev, 'quoted')}`;
    case 'flow':
      return `flow ${str(b.op)} ${str(b.flowtable)}`;
    default:
      return printExpr(s);
  }
}

/** Text printed on first use: compiling a rule only needs it for messages that are rarely shown. */
export type Text = () => string;

export function lazyText(print: () => string): Text {
  let t: string | undefined;
  return () => (t ??= print());
}

/** The rule's statements joined as nft prints them, with its comment last. */
export function printRule(expr: unknown[], comment: string | null, family: NftFamily): string {
  const text = expr.map((s) => printStmt(s, family)).join(' ');
  return comment === null ? text : `${text} comment "${comment}"`;
}
