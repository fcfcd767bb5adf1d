/**
 * `nft -a monitor trace`: the nf_tables trace events of every table in the namespace, native
 * nftables tables and iptables-nft's alike, printed in nft syntax with each rule's handle.
 *
 *   trace id 2e7c2ca2 inet npd-trace prerouting packet: iif "eth0" … ip saddr 203.0.113.7 ip daddr 192.168.49.2 … ip id 58639 … tcp sport 20001 tcp dport 30080 …
 *   trace id 2e7c2ca2 ip kube-proxy services rule fib daddr type local ip daddr != 127.0.0.0/8 meta l4proto . th dport vmap @service-nodeports # handle 20 (verdict goto external-X)
 *   trace id 2e7c2ca2 ip kube-proxy mark-for-masquerade rule meta mark set meta mark | 0x00004000 # handle 9 (verdict continue)
 *   trace id 2e7c2ca2 ip kube-proxy nat-output policy accept meta mark 0x00004000
 *   trace id 2b659a54 ip6 nat X rule tcp dport 30080 counter packets 0 bytes 0 return # handle 7 (verdict return)
 *
 * A `packet:` line starts each base chain's events (the kernel dumps the packet once per base
 * chain invocation). Events in the two kinds of table become different hops:
 *   - iptables-nft's tables (family ip/ip6, a table the family's iptables-save dump has): the
 *     handle is mapped to the rule's position in its chain (`nft -j list ruleset`) and that position
 *     to the same chain's N-th `-A` line of the dump: both list a chain's rules in kernel order. So
 *     these hops read like xtables-monitor's and compare with the iptables walk's rule text.
 *     (Used for IPv6 iptables scenarios too: xtables-monitor 1.8.9 aborts on IPv6 `-p tcp` rules.)
 *   - native tables: kept as (family, table, chain, handle) with the kernel's verdict (`goto X`,
 *     `jump X`, `accept`, `drop`, `continue`, `return`); a policy is `POLICY ACCEPT|DROP`.
 * Events of the lab's own trace table (lab/rules.ts traceTable) are flagged `tracer`: they mark
 * where a traversal starts and are never hops (the table is not in the dump the walk gets).
 */
import { run } from './exec.js';
import { canonicalRule, type MonitorLine, type TraceEvent } from './trace.js';

/** `family table/chain/handle` → 0-based index of the rule in its chain, from `nft -j list ruleset`. */
export function handlePositions(json: string): Map<string, number> {
  const out = new Map<string, number>();
  const count = new Map<string, number>();
  const doc = JSON.parse(json) as { nftables?: { rule?: { family: string; table: string; chain: string; handle: number } }[] };
  for (const item of doc.nftables ?? []) {
    const r = item.rule;
    if (r === undefined) continue;
    const chainKey = `${r.family} ${r.table}/${r.chain}`;
    const idx = count.get(chainKey) ?? 0;
    count.set(chainKey, idx + 1);
    out.set(`${chainKey}/${r.handle}`, idx);
  }
  return out;
}

/** What an iptables-save dump (nf_tables backend) says: its tables, and each chain's `-A` lines in order. */
export interface IptablesView {
  tables: Set<string>;
  /** `table/chain` → canonical `-A CHAIN …` lines. */
  lines: Map<string, string[]>;
}

export function iptablesView(dump: string): IptablesView {
  const tables = new Set<string>();
  const lines = new Map<string, string[]>();
  let table = '';
  for (const line of dump.split('\n')) {
    if (line.startsWith('*')) {
      table = line.slice(1).trim();
      tables.add(table);
    }
    const m = /^-A (\S+) /.exec(line);
    if (m === null) continue;
    const key = `${table}/${m[1]}`;
    if (!lines.has(key)) lines.set(key, []);
    lines.get(key)!.push(canonicalRule(line));
  }
  return { tables, lines };
}

export interface NftTraceContext {
  /** From handlePositions(). */
  positions: Map<string, number>;
  /** iptables-nft's dumps by nft family: `ip` ← iptables-save, `ip6` ← ip6tables-save. */
  iptables: Partial<Record<'ip' | 'ip6', IptablesView>>;
  /** The lab's trace table, if one is loaded. */
  traceTable?: string;
}

const LINE_RE = /^trace id ([0-9a-f]+) (\S+) (\S+) (\S+) (packet:|rule|policy|return) ?(.*)$/;

/** `… # handle 9 (verdict goto X)` → the rule text, handle, verdict and target. */
function ruleParts(rest: string): { text: string; handle: number | null; verdict: string; target?: string } {
  const vAt = rest.lastIndexOf('(verdict ');
  const vm = vAt < 0 ? null : /^\(verdict (\S+?)(?: (\S+?))?\)/.exec(rest.slice(vAt));
  const before = vAt < 0 ? rest : rest.slice(0, vAt);
  const h = /\s*# handle (\d+)\s*$/.exec(before);
  const text = (h === null ? before : before.slice(0, h.index)).trim();
  return {
    text,
    handle: h === null ? null : Number(h[1]),
    verdict: vm?.[1] ?? '',
    ...(vm?.[2] !== undefined ? { target: vm[2] } : {}),
  };
}

export function parseNftMonitor(text: string, ctx: NftTraceContext): MonitorLine[] {
  const out: MonitorLine[] = [];
  for (const raw of text.split('\n')) {
    const m = LINE_RE.exec(raw.trim());
    if (m === null) continue;
    const [, id, family, table, chain, kind, rest] = m as unknown as string[];
    if (kind === 'packet:') {
      const fields: Record<string, string> = {};
      const grab = (re: RegExp, key: string) => {
        const g = re.exec(rest!);
        if (g !== null) fields[key] = g[1]!;
      };
      grab(/ip6? saddr (\S+)/, 'SRC');
      grab(/ip6? daddr (\S+)/, 'DST');
      grab(/(?:tcp|udp) sport (\d+)/, 'SPORT');
      grab(/(?:tcp|udp) dport (\d+)/, 'DPORT');
      grab(/\bip id (\d+)/, 'ID');
      out.push({ kind: 'packet', id: id!, fields, flags: [] });
      continue;
    }
    const ev: TraceEvent = { kind: 'trace', id: id!, table: table!, chain: chain!, type: kind as TraceEvent['type'], verdict: '', rule: null };
    const ipt = family === 'ip' || family === 'ip6' ? ctx.iptables[family] : undefined;
    const iptablesNft = ipt?.tables.has(table!) === true;
    if (ctx.traceTable !== undefined && table === ctx.traceTable) ev.tracer = true;
    if (!iptablesNft) ev.family = family!;
    if (kind === 'rule') {
      const r = ruleParts(rest!);
      if (r.handle !== null) ev.handle = r.handle;
      if (iptablesNft) {
        // Same vocabulary as xtables-monitor: upper-case verdict, the rule as its -A line.
        ev.verdict = r.verdict.toUpperCase();
        if (r.target !== undefined) ev.target = r.target;
        const pos = r.handle === null ? undefined : ctx.positions.get(`${family} ${table}/${chain}/${r.handle}`);
        const line = pos === undefined ? undefined : ipt.lines.get(`${table}/${chain}`)?.[pos];
        ev.rule = line ?? `<nft handle ${r.handle ?? '?'}: ${r.text}>`;
      } else {
        // Native: the kernel's verdict as nft prints it, `goto X` / `jump X` with the target.
        ev.verdict = r.target !== undefined ? `${r.verdict} ${r.target}` : r.verdict;
        if (r.target !== undefined) ev.target = r.target;
        ev.rule = r.text;
      }
    } else {
      // `policy accept` may be followed by the packet's changed meta (`meta mark 0x00004000`).
      ev.verdict = (rest!.trim().split(/\s+/)[0] ?? '').toUpperCase();
    }
    out.push(ev);
  }
  return out;
}

/** The positions of every rule in the namespace (read while the monitor's events are parsed). */
export async function listPositions(ns: string): Promise<Map<string, number>> {
  const { stdout } = await run('nft', ['-j', 'list', 'ruleset'], { ns });
  return handlePositions(stdout);
}
