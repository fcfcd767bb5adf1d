/**
 * `nft -j list ruleset` of a node whose only tables are iptables-nft's, from its `iptables-nft-save`
 * text: what the scale snapshots store beside the dump. The shape follows iptables-nft v1.8.9's
 * translation as test/support/scenario-kit/nft-json.ts prints it (a table object per table, base
 * chains with type, hook, prio and policy, user chains, one rule object per rule: addresses,
 * protocol, tcp/udp ports and marks native, every other match and target an `xt` expression, a
 * counter, then the verdict), printed with jansson's spacing like nft. It is built for speed: one
 * rule's expressions are printed once per writer and reused on every node whose dump holds the
 * same rule (most rules are the same on every node; only their order differs).
 */
import { parseRule } from '../test/support/scenario-kit/iptables-text.js';
import { baseChain as kitBaseChain } from '../test/support/scenario-kit/nft-json.js';
import type { TableName } from '../test/support/scenario-kit/spec.js';

const METAINFO = '{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}';

const VERDICTS: Record<string, string> = { ACCEPT: '{"accept": null}', DROP: '{"drop": null}', RETURN: '{"return": null}' };

interface SavedTable {
  name: string;
  /** Base chains with their policy, then user chains, in the dump's order. */
  chains: { name: string; policy: string | null }[];
  rules: { chain: string; body: string }[];
}

export class NftJsonWriter {
  /** `table \0 rule body` → the rule's printed expression list. */
  private readonly exprs = new Map<string, string>();

  /** The whole `nft -j list ruleset` document for one node's `iptables-nft-save` text. */
  render(saveText: string): string {
    const items = [METAINFO];
    let tableHandle = 0;
    for (const table of savedTables(saveText)) {
      const head = `"family": "ip", "table": ${JSON.stringify(table.name)}`;
      items.push(`{"table": {"family": "ip", "name": ${JSON.stringify(table.name)}, "handle": ${++tableHandle}}}`);
      const userChains = new Set(table.chains.filter((c) => c.policy === null).map((c) => c.name));
      let handle = 0;
      for (const chain of table.chains) items.push(`{"chain": {${head}, "name": ${JSON.stringify(chain.name)}, "handle": ${++handle}${baseChain(table.name, chain)}}}`);
      for (const rule of table.rules) {
        const key = `${table.name}\0${rule.body}`;
        let expr = this.exprs.get(key);
        if (expr === undefined) {
          expr = expressions(rule.body, userChains);
          this.exprs.set(key, expr);
        }
        items.push(`{"rule": {${head}, "chain": ${JSON.stringify(rule.chain)}, "handle": ${++handle}, "expr": ${expr}}}`);
      }
    }
    return `{"nftables": [${items.join(', ')}]}\n`;
  }
}

function baseChain(table: string, chain: { name: string; policy: string | null }): string {
  if (chain.policy === null) return '';
  const { type, hook, prio } = kitBaseChain(table as TableName, chain.name);
  return `, "type": "${type}", "hook": "${hook}", "prio": ${prio}, "policy": "${chain.policy.toLowerCase()}"`;
}

function savedTables(text: string): SavedTable[] {
  const tables: SavedTable[] = [];
  let table: SavedTable | null = null;
  for (let at = 0; at < text.length;) {
    let end = text.indexOf('\n', at);
    if (end < 0) end = text.length;
    const line = text.slice(at, end);
    at = end + 1;
    if (line.startsWith('*')) {
      table = { name: line.slice(1), chains: [], rules: [] };
      tables.push(table);
    } else if (table !== null && line.startsWith(':')) {
      const [name = '', policy = '-'] = line.slice(1).split(' ');
      table.chains.push({ name, policy: policy === '-' ? null : policy });
    } else if (table !== null && line.startsWith('-A ')) {
      const space = line.indexOf(' ', 3);
      table.rules.push({ chain: line.slice(3, space), body: line.slice(space + 1) });
    }
  }
  return tables;
}

const match = (negated: boolean, left: string, right: string): string => `{"match": {"op": "${negated ? '!=' : '=='}", "left": ${left}, "right": ${right}}}`;
const payload = (protocol: string, field: string): string => `{"payload": {"protocol": "${protocol}", "field": "${field}"}}`;
const xt = (type: 'match' | 'target', name: string): string => `{"xt": {"type": "${type}", "name": ${JSON.stringify(name)}}}`;

function address(cidr: string): string {
  const [addr = '', len] = cidr.split('/');
  return len === undefined || len === '32' ? JSON.stringify(addr) : `{"prefix": {"addr": ${JSON.stringify(addr)}, "len": ${Number(len)}}}`;
}

/** One rule's expressions, the way iptables-nft translates them (see the file comment). */
function expressions(body: string, userChains: Set<string>): string {
  const r = parseRule(body);
  const expr: string[] = [];
  let l4proto = -1;
  if (r.protocol !== undefined) l4proto = expr.push(match(r.protocol.negated, '{"meta": {"key": "l4proto"}}', JSON.stringify(r.protocol.value))) - 1;
  if (r.source) expr.push(match(r.source.negated, payload('ip', 'saddr'), address(r.source.value)));
  if (r.destination) expr.push(match(r.destination.negated, payload('ip', 'daddr'), address(r.destination.value)));
  let xtSinceProto = false;
  for (const m of r.modules) {
    const ports = m.options.filter((o) => o.name === '--sport' || o.name === '--dport');
    if ((m.name === 'tcp' || m.name === 'udp') && ports.length > 0 && ports.length === m.options.length) {
      // The port match implies the protocol: iptables-nft drops the protocol match unless an xt match came between.
      if (l4proto >= 0 && r.protocol?.negated === false && !xtSinceProto) expr.splice(l4proto, 1, '');
      for (const o of ports) expr.push(match(o.negated, payload(m.name, o.name.slice(2)), String(Number(o.values[0]))));
      continue;
    }
    if (m.name === 'mark' && m.options.length === 1) {
      const o = m.options[0];
      const [value = '0', mask] = (o?.values[0] ?? '0').split('/');
      const full = mask === undefined || Number(mask) === 0xffffffff;
      expr.push(match(o?.negated === true, full ? '{"meta": {"key": "mark"}}' : `{"&": [{"meta": {"key": "mark"}}, ${Number(mask)}]}`, String(Number(value))));
      continue;
    }
    expr.push(xt('match', m.name));
    xtSinceProto = true;
  }
  expr.push('{"counter": {"packets": 0, "bytes": 0}}');
  const target = r.target;
  if (target !== undefined) {
    const verdict = VERDICTS[target.name];
    if (verdict !== undefined) expr.push(verdict);
    else if (userChains.has(target.name)) expr.push(`{"${target.goto ? 'goto' : 'jump'}": {"target": ${JSON.stringify(target.name)}}}`);
    else expr.push(xt('target', target.name));
  }
  return `[${expr.filter((e) => e !== '').join(', ')}]`;
}
