import { hostPort } from '../engine/address.js';
import type { Hop, Outcome, WalkResult } from '../engine/netfilter/types.js';
import type { Dataplane } from '../engine/netfilter/walk.js';

export interface TextOptions {
  color: boolean;
}

const VERDICT_COLOR: Record<string, string> = { ACCEPT: '32', DROP: '31', REJECT: '31', INDETERMINATE: '33' };

/** The human rendering of `np-doctor trace`: a header, then each branch with its numbered path. */
export function renderTraceText(result: WalkResult, plane: Dataplane, opts: TextOptions): string {
  const paint = (code: string, s: string) => (opts.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const p = result.packet;
  const lines: string[] = [];
  const from = hostPort(p.src ?? '?', p.sport);
  const via = p.localProcess ? 'from a process on the node' : p.inIface ? `arriving on ${p.inIface}` : 'arriving on an unnamed interface';
  lines.push(`Packet   ${p.proto} ${from} → ${hostPort(p.dst, p.dport)}, ${via}`);
  for (const rs of plane.iptables) {
    const what = [rs.family ? `ip${rs.family === 6 ? '6' : ''}tables` : 'iptables', rs.version ? `v${rs.version}` : null, rs.backend !== 'unknown' ? `${rs.backend} backend` : null]
      .filter(Boolean).join(' ');
    lines.push(`Rules    ${rs.source} (${what})`);
    for (const w of rs.warnings) lines.push(`         ${paint('33', `note: ${w}`)}`);
  }
  for (const rs of plane.nft ?? []) {
    const own = rs.tables.filter((t) => !t.iptablesNft).map((t) => `${t.family} ${t.name}`);
    lines.push(`Rules    ${rs.source} (nftables: ${own.length ? own.join(', ') : 'no tables besides iptables-nft\'s'})`);
  }
  if (plane.ipvs) lines.push(`Rules    ${plane.ipvs.source} (IPVS: ${plane.ipvs.services.length} virtual services)`);
  if (plane.ipsets) lines.push(`Rules    ipset list (${plane.ipsets.size} sets)`);
  const n = result.outcomes.length;
  lines.push('', `${n} ${n === 1 ? 'outcome' : 'outcomes'}${summary(result.outcomes)}`);
  result.outcomes.forEach((o, i) => {
    lines.push('', ...renderOutcome(o, i + 1, n, paint));
  });
  return `${lines.join('\n')}\n`;
}

function summary(outcomes: Outcome[]): string {
  const by = new Map<string, number>();
  for (const o of outcomes) by.set(o.verdict, (by.get(o.verdict) ?? 0) + o.probability);
  if (outcomes.some((o) => o.indeterminate)) return ' (some depend on state the dump does not show)';
  return by.size ? `: ${[...by].map(([v, p]) => `${v} ${pct(p)}`).join(', ')}` : '';
}

const pct = (p: number) => `${Number((p * 100).toFixed(2))}%`;

function renderOutcome(o: Outcome, i: number, n: number, paint: (c: string, s: string) => string): string[] {
  const where = o.delivery === 'local' ? 'delivered to a local socket' : o.delivery === 'forward' ? `forwarded${o.outIface ? ` out ${o.outIface}` : ''}` : o.delivery === 'output' ? `sent${o.outIface ? ` out ${o.outIface}` : ''}` : '';
  const verdict = paint(VERDICT_COLOR[o.verdict] ?? '0', o.verdict === 'REJECT' && o.rejectWith ? `REJECT (${o.rejectWith})` : o.verdict);
  const out = [`Branch ${i} of ${n} · probability ${o.probability} · ${verdict}${where ? ` · ${where}` : ''}`];
  if (o.dnat) out.push(`  DNAT      → ${hostPort(o.dnat.ip, o.dnat.port)}`);
  if (o.snat) out.push(`  SNAT      ${o.snat.type}${o.snat.ip ? ` → ${o.snat.ip}` : ' (to the output interface\'s address)'}`);
  out.push(`  mark      ${o.mark}`);
  if (o.reason) out.push(`  why       ${o.reason}`);
  if (o.indeterminate) out.push(`  ${paint('33', 'uncertain')} ${o.indeterminate}`);
  for (const a of o.assumptions ?? []) out.push(`  assumes   ${a}`);
  out.push('  path');
  const width = String(o.hops.length).length;
  o.hops.forEach((h, k) => {
    const where = `${h.family ? `${h.family} ` : ''}${h.table} ${h.chain}`;
    const src = h.source ? ` ${h.source}` : '';
    out.push(`  ${String(k + 1).padStart(width)}. ${where.padEnd(34)} ${`${src} ${position(h)}`.padEnd(10)}  ${h.action}${element(h)}`);
    if (h.rule) out.push(`  ${' '.repeat(width)}  ${paint('2', h.rule)}`);
  });
  return out;
}

/** iptables rules are found by dump line, nftables rules by handle (`nft -a list ruleset`). */
export const position = (h: Hop): string =>
  h.handle !== undefined ? `handle ${h.handle}` : h.family !== undefined ? 'policy' : `line ${h.line}`;

const element = (h: Hop): string =>
  h.element ? ` (${h.element.set} element ${h.element.key}${h.element.comment ? ` "${h.element.comment}"` : ''})` : '';
