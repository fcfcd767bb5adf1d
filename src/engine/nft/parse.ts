import { ParseError } from '../errors.js';
import { priorityValue, WALKED_HOOKS } from './base.js';
import { fmtOfType, printElement, printRule } from './print.js';
import type { NftChain, NftFamily, NftRule, NftRuleset, NftSet, NftSetElement, NftTable } from './ruleset.js';

export type { NftRuleset } from './ruleset.js';

const FAMILIES = new Set<NftFamily>(['ip', 'ip6', 'inet', 'arp', 'bridge', 'netdev']);
/** The tables and built-in chains iptables-nft makes in families ip and ip6. */
export const IPTABLES_TABLES: ReadonlySet<string> = new Set(['filter', 'nat', 'mangle', 'raw', 'security']);
export const IPTABLES_BUILTINS: ReadonlySet<string> = new Set(['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING']);
const CHAIN_TYPES = new Set(['filter', 'nat', 'route']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A rule whose text is printed the first time someone reads it: most rules of a big dump never are. */
class Rule implements NftRule {
  private printed: string | undefined;
  constructor(
    readonly handle: number,
    readonly comment: string | null,
    readonly expr: unknown[],
    readonly object: number,
    private readonly family: NftFamily,
  ) {}

  get text(): string {
    return (this.printed ??= printRule(this.expr, this.comment, this.family));
  }
}

/**
 * Reads what `nft -j list ruleset` prints (libnftables JSON, schema version 1) into tables,
 * chains, rules and sets. Objects the walk does not use (counters, quotas, flowtables, ct helpers,
 * limits, …) are skipped. Structure errors throw ParseError whose `line` is the 1-based index of the
 * offending object in the `nftables` array (0 for the document as a whole); rule expressions are
 * only checked when a walk first compiles the rule.
 */
export function parseNftJson(text: string, opts: { source: string }): NftRuleset {
  const source = opts.source;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ParseError(source, 0, `not JSON (${e instanceof Error ? e.message : String(e)}); expected the output of \`nft -j list ruleset\``);
  }
  if (!isObj(doc) || !Array.isArray(doc.nftables)) {
    throw new ParseError(source, 0, 'expected {"nftables": [...]}, the output of `nft -j list ruleset`');
  }
  const items = doc.nftables as unknown[];
  const rs: NftRuleset = { source, tables: [] };
  const tables = new Map<string, NftTable>();
  const fail = (i: number, problem: string): never => {
    throw new ParseError(source, i + 1, `object ${i + 1}: ${problem}`);
  };

  const str = (i: number, o: Obj, field: string, what: string): string => {
    const v = o[field];
    if (typeof v !== 'string' || v === '') fail(i, `${what} has no "${field}" string`);
    return v as string;
  };
  const int = (i: number, o: Obj, field: string, what: string): number => {
    const v = o[field];
    if (typeof v !== 'number' || !Number.isInteger(v)) fail(i, `${what} has no integer "${field}"`);
    return v as number;
  };
  const familyOf = (i: number, o: Obj, what: string): NftFamily => {
    const f = o.family;
    if (typeof f !== 'string' || !FAMILIES.has(f as NftFamily)) fail(i, `${what} has family ${JSON.stringify(f)}, not one of ip, ip6, inet, arp, bridge, netdev`);
    return f as NftFamily;
  };
  const tableOf = (i: number, o: Obj, what: string): NftTable => {
    const family = familyOf(i, o, what);
    const name = str(i, o, 'table', what);
    const t = tables.get(`${family} ${name}`);
    if (!t) fail(i, `${what} belongs to table ${family} ${name}, which the dump does not declare`);
    return t as NftTable;
  };

  // Pass 1: tables, chains and sets; rules and elements refer to them, so they come in pass 2.
  const later: number[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (!isObj(item)) fail(i, `expected an object such as {"table": {...}}, got ${JSON.stringify(item)}`);
    const keys = Object.keys(item as Obj);
    if (keys.length !== 1) fail(i, `expected one key ("table", "chain", "rule", …), got ${keys.length ? keys.join(', ') : 'none'}`);
    const kind = keys[0] as string;
    const body = (item as Obj)[kind];
    switch (kind) {
      case 'metainfo': {
        const v = isObj(body) ? body.json_schema_version : undefined;
        if (v !== undefined && v !== 1) fail(i, `json_schema_version ${JSON.stringify(v)} is not supported (np-doctor reads version 1)`);
        break;
      }
      case 'table': {
        if (!isObj(body)) fail(i, 'table is not an object');
        const o = body as Obj;
        const family = familyOf(i, o, 'table');
        const name = str(i, o, 'name', `table ${family}`);
        const key = `${family} ${name}`;
        if (tables.has(key)) fail(i, `table ${key} is declared twice`);
        const t: NftTable = { family, name, handle: int(i, o, 'handle', `table ${key}`), chains: new Map(), sets: new Map(), iptablesNft: false };
        tables.set(key, t);
        rs.tables.push(t);
        break;
      }
      case 'chain': {
        if (!isObj(body)) fail(i, 'chain is not an object');
        const c = chainOf(i, body as Obj);
        if (c.table.chains.has(c.chain.name)) fail(i, `chain ${c.chain.name} of table ${c.table.family} ${c.table.name} is declared twice`);
        c.table.chains.set(c.chain.name, c.chain);
        break;
      }
      case 'set':
      case 'map': {
        if (!isObj(body)) fail(i, `${kind} is not an object`);
        const o = body as Obj;
        const t = tableOf(i, o, kind);
        const name = str(i, o, 'name', `${kind} of table ${t.family} ${t.name}`);
        const where = `${kind} ${name} of table ${t.family} ${t.name}`;
        if (t.sets.has(name)) fail(i, `${where} is declared twice`);
        t.sets.set(name, setOf(i, o, kind, name, where));
        break;
      }
      case 'rule':
      case 'element':
        later.push(i);
        break;
      default:
        // counter, quota, limit, flowtable, ct helper/timeout/expectation, secmark, synproxy, tunnel…:
        // named objects a rule may reference, none of which decides a first packet's path.
        break;
    }
  }

  for (const i of later) {
    const item = items[i] as Obj;
    if ('rule' in item) {
      if (!isObj(item.rule)) fail(i, 'rule is not an object');
      const o = item.rule as Obj;
      const t = tableOf(i, o, 'rule');
      const chainName = str(i, o, 'chain', `rule of table ${t.family} ${t.name}`);
      const chain = t.chains.get(chainName);
      const where = `rule in chain ${t.family} ${t.name} ${chainName}`;
      if (!chain) fail(i, `${where}: the dump declares no such chain`);
      const handle = int(i, o, 'handle', where);
      if (!Array.isArray(o.expr)) fail(i, `${where}, handle ${handle}: "expr" is not a list`);
      const expr = o.expr as unknown[];
      expr.forEach((e, k) => {
        if (!isObj(e) || Object.keys(e).length !== 1) fail(i, `${where}, handle ${handle}: expression ${k + 1} is not an object with one key (${JSON.stringify(e)})`);
      });
      const comment = typeof o.comment === 'string' ? o.comment : null;
      (chain as NftChain).rules.push(new Rule(handle, comment, expr, i + 1, t.family));
    } else {
      const o = item.element;
      if (!isObj(o)) fail(i, 'element is not an object');
      const t = tableOf(i, o as Obj, 'element');
      const name = str(i, o as Obj, 'name', `element of table ${t.family} ${t.name}`);
      const set = t.sets.get(name);
      if (!set) fail(i, `element of ${name} in table ${t.family} ${t.name}: the dump declares no such set or map`);
      const s = set as NftSet;
      s.elements.push(...elementsOf(i, (o as Obj).elem, s, `elements of ${s.kind} ${name} of table ${t.family} ${t.name}`));
    }
  }

  for (const t of rs.tables) t.iptablesNft = isIptablesNft(t);
  return rs;

  function chainOf(i: number, o: Obj): { table: NftTable; chain: NftChain } {
    const t = tableOf(i, o, 'chain');
    const name = str(i, o, 'name', `chain of table ${t.family} ${t.name}`);
    const where = `chain ${t.family} ${t.name} ${name}`;
    const chain: NftChain = { family: t.family, table: t.name, name, handle: int(i, o, 'handle', where), base: null, otherHook: null, rules: [] };
    if (o.hook === undefined) return { table: t, chain };
    const hook = str(i, o, 'hook', where);
    const type = str(i, o, 'type', where);
    const priority = priorityValue(o.prio, t.family);
    if (priority === null) fail(i, `${where}: priority ${JSON.stringify(o.prio)} is neither a number nor a standard priority name (raw, mangle, dstnat, filter, security, srcnat, optionally ± N)`);
    const policy = o.policy ?? 'accept';
    if (policy !== 'accept' && policy !== 'drop') fail(i, `${where}: policy ${JSON.stringify(o.policy)} is neither accept nor drop`);
    const walked = WALKED_HOOKS[hook];
    if (walked && (t.family === 'ip' || t.family === 'ip6' || t.family === 'inet')) {
      if (!CHAIN_TYPES.has(type)) fail(i, `${where}: chain type ${JSON.stringify(type)} is not filter, nat or route`);
      chain.base = { type: type as 'filter' | 'nat' | 'route', hook: walked, priority: priority as number, policy: policy as 'accept' | 'drop' };
    } else {
      const devs = o.dev ?? o.devs;
      const devices = Array.isArray(devs) ? devs.map(String) : typeof devs === 'string' ? [devs] : [];
      chain.otherHook = { hook, type, priority: priority as number, policy: policy as 'accept' | 'drop', devices };
    }
    return { table: t, chain };
  }

  function setOf(i: number, o: Obj, kind: 'set' | 'map', name: string, where: string): NftSet {
    const type = o.type;
    const typeOk = typeof type === 'string' || (Array.isArray(type) && type.length > 0 && type.every((x) => typeof x === 'string'));
    if (!typeOk) fail(i, `${where} has no "type" (a string or a list of strings)`);
    if (kind === 'map' && typeof o.map !== 'string' && !Array.isArray(o.map)) fail(i, `${where} has no "map" value type`);
    const flags = Array.isArray(o.flags) ? o.flags.map(String) : typeof o.flags === 'string' ? [o.flags] : [];
    const set: NftSet = {
      name, kind, type: type as string | string[], flags, elements: [], dynamic: false, object: i + 1,
      ...(kind === 'map' ? { map: o.map as string | string[] } : {}),
    };
    set.elements = elementsOf(i, o.elem, set, where);
    set.dynamic = flags.includes('dynamic') || flags.includes('timeout') || o.timeout !== undefined || set.elements.some((e) => e.expires !== undefined);
    return set;
  }

  function elementsOf(i: number, elem: unknown, set: NftSet, where: string): NftSetElement[] {
    if (elem === undefined) return [];
    if (!Array.isArray(elem)) fail(i, `${where}: "elem" is not a list`);
    const keyFmt = fmtOfType(set.type);
    const out: NftSetElement[] = [];
    for (const [k, raw] of (elem as unknown[]).entries()) {
      let key: unknown = raw;
      let value: unknown;
      if (set.kind === 'map') {
        if (!Array.isArray(raw) || raw.length !== 2) fail(i, `${where}: element ${k + 1} is not a [key, value] pair`);
        [key, value] = raw as unknown[];
      }
      const e: NftSetElement = { key, keyText: '' };
      // `{"elem": {"val": …, "comment": …, "expires": …}}` wraps a key that carries element options.
      if (isObj(key) && isObj(key.elem)) {
        const w = key.elem;
        if (w.val === undefined) fail(i, `${where}: element ${k + 1} has "elem" without "val"`);
        e.key = w.val;
        if (typeof w.comment === 'string') e.comment = w.comment;
        if (typeof w.expires === 'number') e.expires = w.expires;
      }
      if (e.key === null || e.key === undefined) fail(i, `${where}: element ${k + 1} has no key`);
      e.keyText = printElement(e.key, keyFmt);
      if (set.kind === 'map') e.value = value;
      out.push(e);
    }
    return out;
  }
}

/**
 * iptables-nft keeps iptables' table names in family ip/ip6 and either translates matches to
 * native expressions or embeds them as `xt`; its chains are iptables' (INPUT, KUBE-SERVICES, …).
 * nft itself calls such tables "managed by iptables-nft". A native table of the same name and
 * family with neither sign is not one.
 */
function isIptablesNft(t: NftTable): boolean {
  if ((t.family !== 'ip' && t.family !== 'ip6') || !IPTABLES_TABLES.has(t.name)) return false;
  for (const c of t.chains.values()) {
    if (IPTABLES_BUILTINS.has(c.name)) return true;
    for (const r of c.rules) if (r.expr.some((e) => isObj(e) && 'xt' in e)) return true;
  }
  return false;
}
