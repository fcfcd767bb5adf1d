/**
 * `nft -j list ruleset` as nft 1.0.6 prints it: every table in creation order, table handles
 * counted across the netns. Native nftables tables (nft-model.ts) load at boot (a firewalld with
 * the nftables backend) or after kubelet's iptables tables (kube-proxy in nftables mode).
 *
 * The tables iptables-nft holds (ip6tables' in family ip6, after the IPv4 ones): one table object per table, base chains (only those that exist:
 * iptables-nft creates them lazily) and user chains in creation order, then each chain's rules.
 * Rule expressions follow iptables-nft v1.8.9's translation: interfaces, protocol, addresses,
 * tcp/udp ports, marks and limits become native expressions (a port match absorbs the protocol
 * match unless an xt match is between), every other match and target stays an `xt` expression,
 * then the counter and the verdict.
 * The kernel round trip (kernel.ts) asks the real nft instead.
 */
import { BUILTIN_CHAINS, parseRule, type Ruleset, type Table } from './iptables-text.js';
import { nftTableJson, type NftTableSpec } from './nft-model.js';
import type { TableName } from './spec.js';

export const NFT_METAINFO = { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 };

const HOOKS: Record<TableName, { type: string; prio: number }> = {
  raw: { type: 'filter', prio: -300 },
  mangle: { type: 'filter', prio: -150 },
  nat: { type: 'nat', prio: -100 },
  filter: { type: 'filter', prio: 0 },
  security: { type: 'filter', prio: 50 },
};

/** An iptables-nft built-in chain's base-chain fields as nft prints them (nat INPUT and POSTROUTING hook at 100, mangle OUTPUT is a route chain). */
export function baseChain(table: TableName, chain: string): { type: string; hook: string; prio: number } {
  let { type, prio } = HOOKS[table];
  if (table === 'nat' && (chain === 'INPUT' || chain === 'POSTROUTING')) prio = 100;
  if (table === 'mangle' && chain === 'OUTPUT') type = 'route';
  return { type, hook: chain.toLowerCase(), prio };
}

/** The nft JSON document: boot-time native tables, the nft backend's iptables then ip6tables tables, later native tables. */
export function nftRulesetJson(rs: Ruleset, native: { boot?: NftTableSpec[]; late?: NftTableSpec[] } = {}, rs6?: Ruleset): string {
  const items: unknown[] = [{ metainfo: NFT_METAINFO }];
  let tableHandle = 0;
  const addNative = (tables: NftTableSpec[]): void => {
    for (const t of tables) {
      const r = nftTableJson(t, tableHandle);
      items.push(...r.items);
      tableHandle = r.tableHandle;
    }
  };
  addNative(native.boot ?? []);
  for (const set of [rs, ...(rs6 === undefined ? [] : [rs6])]) {
    const family = set.family === 6 ? 'ip6' : 'ip';
    for (const table of set.tables.values()) {
      items.push({ table: { family, name: table.name, handle: ++tableHandle } });
      let handle = 0;
      const chains = [...table.chains.entries()].filter(([c, rules]) => !table.isBuiltin(c) || rules.length > 0 || table.policies.has(c));
      for (const [chain] of chains) {
        const base = table.isBuiltin(chain) ? { ...baseChain(table.name, chain), policy: (table.policies.get(chain) ?? 'ACCEPT').toLowerCase() } : {};
        items.push({ chain: { family, table: table.name, name: chain, handle: ++handle, ...base } });
      }
      for (const [chain, rules] of chains) {
        for (const rule of rules) items.push({ rule: { family, table: table.name, chain, handle: ++handle, expr: expressions(table, rule, family) } });
      }
    }
  }
  addNative(native.late ?? []);
  return `${janssonJson({ nftables: items })}\n`;
}

const match = (op: boolean, left: unknown, right: unknown): unknown => ({ match: { op: op ? '!=' : '==', left, right } });
const payload = (protocol: string, field: string): unknown => ({ payload: { protocol, field } });
const address = (cidr: string): unknown => {
  const [addr = '', len] = cidr.split('/');
  return len === undefined || len === (addr.includes(':') ? '128' : '32') ? addr : { prefix: { addr, len: Number(len) } };
};
const port = (v: string): unknown => (v.includes(':') ? { range: v.split(':').map(Number) } : Number(v));
const LIMIT_UNITS: Record<string, string> = { sec: 'second', second: 'second', min: 'minute', minute: 'minute', hour: 'hour', day: 'day' };

function expressions(table: Table, rule: string, family: 'ip' | 'ip6'): unknown[] {
  const r = parseRule(rule);
  const expr: unknown[] = [];
  const l4proto = r.protocol === undefined ? undefined : match(r.protocol.negated, { meta: { key: 'l4proto' } }, r.protocol.value);
  if (r.inIface) expr.push(match(r.inIface.negated, { meta: { key: 'iifname' } }, r.inIface.value.replace(/\+$/, '*')));
  if (r.outIface) expr.push(match(r.outIface.negated, { meta: { key: 'oifname' } }, r.outIface.value.replace(/\+$/, '*')));
  if (l4proto !== undefined) expr.push(l4proto);
  if (r.source) expr.push(match(r.source.negated, payload(family, 'saddr'), address(r.source.value)));
  if (r.destination) expr.push(match(r.destination.negated, payload(family, 'daddr'), address(r.destination.value)));
  for (const m of r.modules) {
    const opt = (name: string) => m.options.find((o) => o.name === name);
    if ((m.name === 'tcp' || m.name === 'udp') && m.options.every((o) => o.name === '--sport' || o.name === '--dport')) {
      const ports = [['sport', opt('--sport')], ['dport', opt('--dport')]] as const;
      if (ports.some(([, o]) => o !== undefined)) {
        // The port match implies the protocol: iptables-nft drops the protocol match unless an
        // xt match came in between.
        const at = l4proto === undefined || r.protocol?.negated !== false ? -1 : expr.indexOf(l4proto);
        if (at >= 0 && expr.slice(at + 1).every((e) => !(typeof e === 'object' && e !== null && 'xt' in e))) expr.splice(at, 1);
        for (const [field, o] of ports) if (o !== undefined) expr.push(match(o.negated, payload(m.name, field), port(o.values[0] ?? '')));
        continue;
      }
    }
    if (m.name === 'mark' && m.options.length === 1) {
      const o = m.options[0]!;
      const [value = '0', mask] = (o.values[0] ?? '0').split('/');
      const full = mask === undefined || Number(mask) === 0xffffffff;
      expr.push(match(o.negated, full ? { meta: { key: 'mark' } } : { '&': [{ meta: { key: 'mark' } }, Number(mask)] }, Number(value)));
      continue;
    }
    if (m.name === 'limit') {
      const [rate = '3', unit = 'hour'] = (opt('--limit')?.values[0] ?? '3/hour').split('/');
      expr.push({ limit: { rate: Number(rate), burst: Number(opt('--limit-burst')?.values[0] ?? 5), per: LIMIT_UNITS[unit] ?? unit } });
      continue;
    }
    // iptables ≥ 1.8 loads `-m state` as the conntrack match (libxt_state's real_name).
    expr.push({ xt: { type: 'match', name: m.name === 'state' ? 'conntrack' : m.name } });
  }
  expr.push({ counter: { packets: 0, bytes: 0 } });
  const t = r.target;
  if (t !== undefined) {
    const verdict = { ACCEPT: { accept: null }, DROP: { drop: null }, RETURN: { return: null } }[t.name];
    if (verdict !== undefined) expr.push(verdict);
    else if (table.chains.has(t.name) && !BUILTIN_CHAINS[table.name].includes(t.name)) expr.push({ [t.goto ? 'goto' : 'jump']: { target: t.name } });
    else expr.push({ xt: { type: 'target', name: t.name } });
  }
  return expr;
}

/** JSON as jansson prints it by default (nft's output): `{"a": [1, 2]}`. */
function janssonJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(janssonJson).join(', ')}]`;
  if (v !== null && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${janssonJson(x)}`).join(', ')}}`;
  return JSON.stringify(v);
}
