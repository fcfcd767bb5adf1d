import { hostPort } from '../engine/address.js';
import type { Hop, Outcome, WalkResult } from '../engine/packet/contract.js';
import type { Dataplane } from '../engine/walk/walk.js';
import { sanitize, sanitizeDeep } from '../text/sanitize.js';
import { fit, widthOf } from '../text/wrap.js';
import { ipvsGapNotes, ipvsMayTake, type TraceInputs } from './ipvs-gaps.js';

export interface TextOptions {
  color: boolean;
  /** Where the dumps came from, for what a missing one asks for (default: files named by flags). */
  inputs?: TraceInputs;
  /** Columns to fit (the terminal's, or 80 when piped); default 80. */
  width?: number;
}

type Paint = (code: string, s: string) => string;

const VERDICT_COLOR: Record<string, string> = { ACCEPT: '32', DROP: '31', REJECT: '31', INDETERMINATE: '33' };

/** Outcomes that end the same way for the person reading: one entry, probabilities added. */
interface Result {
  outcomes: Outcome[];
  probability: number;
  /** The most probable outcome: its path is the one shown. */
  shown: Outcome;
}

/**
 * The human rendering of `np-doctor trace`: a header, then each distinct result once (verdict,
 * delivery, DNAT, SNAT, reject type, reason) with its total probability, what the walk could not
 * decide about it, and the path of its most probable branch. Everything from the dumps is
 * untrusted (a rule comment can hold ESC or BEL): the result and the dumps' names are sanitised
 * first, and one-line fields again so a newline cannot forge a line of the output.
 */
export function renderTraceText(input: WalkResult, plane: Dataplane, opts: TextOptions): string {
  const result = sanitizeDeep(input);
  const paint: Paint = (code, s) => (opts.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const p = result.packet;
  const width = widthOf(opts.width);
  const lines: string[] = [];
  /** A line fitted to the width, its continuation lines indented `hang` columns. */
  const put = (line: string, hang: number) => lines.push(...fit(line, width, hang - (/^ */.exec(line)?.[0].length ?? 0)));
  const from = hostPort(flat(p.src ?? '?'), p.sport);
  const via = p.localProcess ? 'from a process on the node' : p.inIface ? `arriving on ${flat(p.inIface)}` : 'arriving on an unnamed interface';
  put(`Packet   ${p.proto} ${from} → ${hostPort(flat(p.dst), p.dport)}, ${via}`, 9);
  for (const rs of plane.iptables) {
    const what = [rs.family ? `ip${rs.family === 6 ? '6' : ''}tables` : 'iptables', rs.version ? `v${flat(rs.version)}` : null, rs.backend !== 'unknown' ? `${rs.backend} backend` : null]
      .filter(Boolean).join(' ');
    put(`Rules    ${flat(rs.source)} (${what})`, 9);
    for (const w of rs.warnings) put(`         ${paint('33', `note: ${flat(w)}`)}`, 15);
  }
  for (const rs of plane.nft ?? []) {
    const own = rs.tables.filter((t) => !t.iptablesNft).map((t) => `${flat(t.family)} ${flat(t.name)}`);
    put(`Rules    ${flat(rs.source)} (nftables: ${own.length ? own.join(', ') : 'no tables besides iptables-nft\'s'})`, 9);
  }
  if (plane.ipvs) put(`Rules    ${flat(plane.ipvs.source)} (IPVS: ${plane.ipvs.services.length} virtual services)`, 9);
  if (plane.ipsets) put(`Rules    ipset list (${plane.ipsets.size} sets)`, 9);
  ipvsGapNotes(plane, result.outcomes, opts.inputs ?? { kind: 'files' }).forEach((note, i) => {
    put(`         ${paint('33', `${i === 0 ? 'note: ' : '      '}${flat(note)}`)}`, 15);
  });
  const results = resultsOf(result.outcomes);
  const n = results.length;
  lines.push('');
  put(`${n} ${n === 1 ? 'result' : 'results'}${summary(results)}`, 2);
  results.forEach((r, i) => {
    const missing = [unhandledNodePort(r.shown, p.proto, p.dport), ipvsMayTake(r.shown, plane, p.dst, p.dport)].filter((m): m is string => m !== null);
    lines.push('');
    for (const [line, hang] of renderResult(r, i + 1, n, paint, missing)) put(line, hang);
  });
  return `${lines.join('\n')}\n`;
}

/** One line of text from the dumps: newlines and tabs are shown as escapes too. */
const flat = (s: string): string => sanitize(s);

function resultKey(o: Outcome): string {
  return JSON.stringify([o.verdict, o.delivery, o.dnat, o.snat, o.rejectWith ?? null, o.reason ?? null]);
}

/** Outcomes grouped by how they end, most probable first (ties keep the walk's order). */
function resultsOf(outcomes: Outcome[]): Result[] {
  const by = new Map<string, Result>();
  for (const o of outcomes) {
    const k = resultKey(o);
    const r = by.get(k);
    if (!r) by.set(k, { outcomes: [o], probability: o.probability, shown: o });
    else {
      r.outcomes.push(o);
      r.probability += o.probability;
      if (o.probability > r.shown.probability) r.shown = o;
    }
  }
  return [...by.values()].sort((a, b) => b.probability - a.probability);
}

function summary(results: Result[]): string {
  const by = new Map<string, number>();
  for (const r of results) by.set(r.shown.verdict, (by.get(r.shown.verdict) ?? 0) + r.probability);
  const shares = by.size ? `: ${[...by].map(([v, p]) => `${v} ${pct(p)}`).join(', ')}` : '';
  const undecided = results.some((r) => r.outcomes.some((o) => o.indeterminate)) ? ' (some depend on what the dumps do not show)' : '';
  return `${shares}${undecided}`;
}

const pct = (p: number) => `${Number((p * 100).toFixed(2))}%`;

/** Probabilities summed from several outcomes, at the precision the engine rounds to. */
const prob = (p: number) => Math.round(p * 1e12) / 1e12;

/** The side a branch took is in each reason; the note is about the fact, whichever side. */
const SIDE = /; this branch assumes (?:it does not|it does|it lets the packet continue)|; it may decide the packet's fate here/g;

/**
 * Where one undecided reason ends and the next begins in `indeterminate` (reasons are joined with
 * `; ` and may hold `; ` themselves): before the way the engine starts each of them. Only for
 * display: a reason split in the wrong place is still all shown.
 */
const NEXT_REASON = /; (?=line \d+ |rule handle \d+ |IPVS |target |-j |-m |the packet uses |the walk gave up )/;

/** What the walk could not decide for this result, each fact once, whichever side a branch took. */
function notesOf(r: Result): string[] {
  const notes = new Set<string>();
  for (const o of r.outcomes) {
    let text = o.indeterminate;
    if (text === null) continue;
    // An INDETERMINATE outcome's reason is shown on its own line.
    if (o.reason !== undefined && text.endsWith(o.reason)) text = text.slice(0, text.length - o.reason.length).replace(/; $/, '');
    for (const part of text.replace(SIDE, '').split(NEXT_REASON)) if (part !== '') notes.add(flat(part));
  }
  return [...notes];
}

/**
 * A packet to a node's own address that kube-proxy's dispatch saw and let through untranslated:
 * no rule of this dump handles the port. iptables: nat KUBE-NODEPORTS was entered (kube-proxy jumps
 * there for local destinations) and nothing in it matched. nftables: kube-proxy's `services` chain
 * was entered and no element of its maps (service-ips, service-nodeports) matched.
 */
function unhandledNodePort(o: Outcome, proto: string, dport: number | undefined): string | null {
  if (o.delivery !== 'local' || o.verdict !== 'ACCEPT' || o.dnat || dport === undefined) return null;
  const nft = (h: Hop) => h.family !== undefined && h.table === 'kube-proxy';
  const entry = o.hops.find((h) => (h.family === undefined && h.table === 'nat' && h.action === 'JUMP KUBE-NODEPORTS') || (nft(h) && h.action === 'JUMP services'));
  if (entry === undefined) return null;
  const inside = entry.family === undefined ? (h: Hop) => h.family === undefined && h.table === 'nat' && h.chain === 'KUBE-NODEPORTS' : (h: Hop) => nft(h) && h.chain === 'services';
  if (o.hops.some(inside)) return null;
  const where = entry.family === undefined ? 'no rule in nat KUBE-NODEPORTS' : `no element of ${entry.family} kube-proxy's maps service-ips and service-nodeports`;
  return `${where}${entry.source ? ` (${entry.source})` : ''} handles ${proto.toUpperCase()} port ${dport}: no Service has this nodePort on this node, or kube-proxy has not synced it. The packet is the node's own: refused unless something on the node listens on ${dport}.`;
}

/** One result's lines, each with the column its continuation lines start at. */
function renderResult(r: Result, i: number, n: number, paint: Paint, missing: string[]): [string, number][] {
  const o = r.shown;
  const iface = o.outIface ? ` out ${flat(o.outIface)}` : '';
  const where = o.delivery === 'local' ? 'delivered to a local socket' : o.delivery === 'forward' ? `forwarded${iface}` : o.delivery === 'output' ? `sent${iface}` : '';
  const verdict = paint(VERDICT_COLOR[o.verdict] ?? '0', o.verdict === 'REJECT' && o.rejectWith ? `REJECT (${flat(o.rejectWith)})` : o.verdict);
  const out: [string, number][] = [[`Result ${i} of ${n} · probability ${prob(r.probability)} · ${verdict}${where ? ` · ${where}` : ''}`, 2]];
  /** A labelled line (`  why       …`): continued under its text. */
  const field = (line: string) => out.push([line, 12]);
  if (o.dnat) field(`  DNAT      → ${hostPort(flat(o.dnat.ip), o.dnat.port)}`);
  if (o.snat) field(`  SNAT      ${o.snat.type}${o.snat.ip ? ` → ${flat(o.snat.ip)}` : ' (to the output interface\'s address)'}`);
  const marks = [...new Set(r.outcomes.map((x) => x.mark))].filter((m) => m !== o.mark);
  field(`  mark      ${o.mark}${marks.length ? ` on the path shown; other branches: ${marks.join(', ')}` : ''}`);
  if (o.reason) field(`  why       ${flat(o.reason)}`);
  for (const m of missing) field(`  ${paint('33', 'missing')}   ${flat(m)}`);
  for (const note of notesOf(r)) field(`  ${paint('33', 'undecided')} ${note}`);
  const assumptions = new Set(r.outcomes.flatMap((x) => x.assumptions ?? []));
  for (const a of assumptions) field(`  assumes   ${flat(a)}`);
  field(r.outcomes.length > 1 ? `  path      (the most probable of ${r.outcomes.length} ways to this result)` : '  path');
  const width = String(o.hops.length).length;
  o.hops.forEach((h, k) => {
    const at = `${h.family ? `${flat(h.family)} ` : ''}${flat(h.table)} ${flat(h.chain)}`;
    const src = h.source ? ` ${flat(h.source)}` : '';
    out.push([`  ${String(k + 1).padStart(width)}. ${at.padEnd(34)} ${`${src} ${position(h)}`.padEnd(10)}  ${flat(h.action)}${element(h)}`, width + 6]);
    if (h.rule) out.push([`  ${' '.repeat(width)}  ${paint('2', flat(h.rule))}`, width + 6]);
  });
  return out;
}

/** iptables rules are found by dump line, nftables rules by handle (`nft -a list ruleset`). */
export const position = (h: Hop): string =>
  h.handle !== undefined ? `handle ${h.handle}` : h.family !== undefined ? 'policy' : `line ${h.line}`;

const element = (h: Hop): string =>
  h.element ? ` (${flat(h.element.set)} element ${flat(h.element.key)}${h.element.comment ? ` "${flat(h.element.comment)}"` : ''})` : '';
