/**
 * IPv6 trace capture. xtables-monitor 1.8.9 cannot print an IPv6 rule that has `-p tcp`: it says
 * "unsupported layer 4 protocol value" and stops (research report Q9). `nft -a monitor trace`
 * sees the same nf_tables trace events and works, but prints rules in nft syntax. Each event
 * carries the rule's handle (`# handle 7`), so the handle is mapped to the rule's position in its
 * chain (`nft -a list ruleset ip6`), and that position to the same chain's N-th `-A` line of the
 * ip6tables-save dump: both list a chain's rules in kernel order.
 *
 *   trace id 2b659a54 ip6 nat OUTPUT packet: oif "lo" ip6 saddr ::1 ip6 daddr ::1 ... tcp sport 32988 tcp dport 30080 tcp flags == syn ...
 *   trace id 2b659a54 ip6 nat X rule tcp dport 30080 counter packets 0 bytes 0 return # handle 7 (verdict return)
 *   trace id 2b659a54 ip6 nat POSTROUTING policy accept
 */
import { run } from './exec.js';
import { canonicalRule, type MonitorLine, type TraceEvent } from './trace.js';

/** (table, chain, handle) → 0-based index of the rule in its chain, from `nft -a list ruleset`. */
export function handlePositions(listing: string, family: string): Map<string, number> {
  const out = new Map<string, number>();
  let table: string | null = null;
  let chain: string | null = null;
  let idx = 0;
  for (const raw of listing.split('\n')) {
    const line = raw.trim();
    const t = /^table (\S+) (\S+) \{/.exec(line);
    if (t !== null) {
      table = t[1] === family ? t[2]! : null;
      chain = null;
      continue;
    }
    const c = /^chain (\S+) \{/.exec(line);
    if (c !== null) {
      chain = c[1]!;
      idx = 0;
      continue;
    }
    if (line === '}') {
      if (chain !== null) chain = null;
      else table = null;
      continue;
    }
    const h = /# handle (\d+)$/.exec(line);
    if (table !== null && chain !== null && h !== null && !line.startsWith('type ')) {
      out.set(`${table}/${chain}/${h[1]}`, idx++);
    }
  }
  return out;
}

/** (table, chain) → the chain's `-A` lines in order, from an iptables-save dump. */
export function saveLines(dump: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let table = '';
  for (const line of dump.split('\n')) {
    if (line.startsWith('*')) table = line.slice(1).trim();
    const m = /^-A (\S+) /.exec(line);
    if (m === null) continue;
    const key = `${table}/${m[1]}`;
    if (!out.has(key)) out.set(key, []);
    out.get(key)!.push(canonicalRule(line));
  }
  return out;
}

const LINE_RE = /^trace id ([0-9a-f]+) (\S+) (\S+) (\S+) (packet:|rule|policy|return) ?(.*)$/;

export function parseNftMonitor(text: string, positions: Map<string, number>, rules: Map<string, string[]>): MonitorLine[] {
  const out: MonitorLine[] = [];
  for (const line of text.split('\n')) {
    const m = LINE_RE.exec(line.trim());
    if (m === null) continue;
    const [, id, , table, chain, kind, rest] = m as unknown as string[];
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
      out.push({ kind: 'packet', id: id!, fields, flags: [] });
      continue;
    }
    const ev: TraceEvent = { kind: 'trace', id: id!, table: table!, chain: chain!, type: kind as TraceEvent['type'], verdict: '', rule: null };
    if (kind === 'rule') {
      const v = /\(verdict (\S+)(?: (\S+))?\)\s*$/.exec(rest!);
      ev.verdict = (v?.[1] ?? '').toUpperCase();
      if (v?.[2] !== undefined) ev.target = v[2];
      const h = /# handle (\d+)/.exec(rest!);
      const pos = h === null ? undefined : positions.get(`${table}/${chain}/${h[1]}`);
      const text = pos === undefined ? undefined : rules.get(`${table}/${chain}`)?.[pos];
      ev.rule = text ?? `<nft handle ${h?.[1] ?? '?'}: ${rest}>`;
    } else {
      ev.verdict = rest!.trim().toUpperCase();
    }
    out.push(ev);
  }
  return out;
}

export async function listHandles(ns: string, family: 'ip' | 'ip6'): Promise<Map<string, number>> {
  const { stdout } = await run('nft', ['-a', 'list', 'ruleset', family], { ns });
  return handlePositions(stdout, family);
}
