/**
 * The Report for a person at 3am: the verdict first, then the findings by severity (each with its
 * evidence and the commands that fix it), then the path per ingress node, then what could not be
 * checked. A pure function of the Report.
 */
import type { Report, ReportFinding } from './model.js';
import { probeTargetText } from '../check-kit/probes.js';
import { hostPort } from '../engine/address.js';
import { HERE, OVER_BOUND, type Probe } from '../snapshot/probe.js';
import { sanitizeDeep } from '../text/sanitize.js';
import { fit, widthOf, wrap } from '../text/wrap.js';
import { firstFew } from '../text/first-few.js';
import { headlineBody } from './headline.js';
import { HEALTH_MARK, HEALTH_TONE, healthOf } from './health.js';

export interface TextOptions {
  color: boolean;
  /** Show every branch's hops, not just the failing stage; list every check a skip line folds. */
  verbose?: boolean;
  /** Columns to fit (the terminal's, or 80 when piped); default 80. */
  width?: number;
}

type Paint = (code: string, s: string) => string;

const RESULT_MARK: Record<string, string> = { delivered: '✓', refused: '✗', timeout: '✗', blocked: '✗', indeterminate: '?' };

export function renderReport(report: Report, opts: TextOptions): string {
  // Every string in the Report may come from the cluster: escape control characters before the
  // renderer adds its own colours.
  const r = sanitizeDeep(report);
  const width = widthOf(opts.width);
  const paint: Paint = opts.color ? (code, s) => `\x1b[${code}m${s}\x1b[0m` : (_c, s) => s;
  const bold = (s: string) => paint('1', s);
  const dim = (s: string) => paint('2', s);
  const out: string[] = [];
  /** A line fitted to the width, its continuation lines `extra` columns deeper than its indent. */
  const put = (line: string, extra = 2) => out.push(...fit(line, width, extra));
  const health = healthOf(r);
  put(`${paint(HEALTH_TONE[health], HEALTH_MARK[health])} ${bold(headlineBody(r))}`);
  put(`  ${r.verdict.summary}`, 0);
  const families = r.verdict.families ?? [];
  const clients = families.length > 1 ? families.map((f) => `IPv${f.family} client ${clientText(f.client)}`).join(', ') : `client ${clientText(r.target.client)}`;
  put(dim(`  ${r.target.namespace}/${r.target.service}${portText(r.target.port)}, ${clients}; snapshot ${r.snapshot.file ?? 'gathered live'} (${r.snapshot.createdAt})`));
  const left = r.verdict.notReplayed;
  if (left !== undefined) put(dim(`  ${left.count} more node${left.count === 1 ? '' : 's'} not replayed: ${left.why}`));
  if (r.snapshot.insecureSkipTlsVerify) put(paint('33', '  the kubeconfig skips TLS verification (insecure-skip-tls-verify): the API objects could come from anyone on the path'));
  out.push('');

  if (r.findings.length > 0) {
    out.push(bold('Findings'));
    for (const f of r.findings) out.push(...finding(f, paint, width));
  } else {
    out.push(bold('Findings') + ' none');
    out.push('');
  }

  // One block per family replayed (paths of reports before dual-stack carry none: one block).
  const blocks = families.length > 1 ? families.map((f) => ({ title: `Paths from ${f.client.ip} (IPv${f.family})`, paths: r.paths.filter((p) => p.family === f.family) }))
    : [{ title: `Paths from ${r.target.client.ip}`, paths: r.paths }];
  for (const block of blocks.filter((b) => b.paths.length > 0)) {
    put(bold(block.title));
    for (const p of block.paths.filter((x) => x.sameWalkAs === undefined)) {
      const tone = p.result === 'delivered' ? '32' : p.result === 'indeterminate' ? '33' : '31';
      put(`  ${paint(tone, RESULT_MARK[p.result] ?? '?')} ${bold(p.node)} ${hostPort(p.address, p.port)}/${p.protocol}  ${paint(tone, p.result)}${p.result !== 'delivered' && p.deliveredShare > 0 ? dim(` (${Math.round(p.deliveredShare * 100)}% delivered)`) : ''}`, 4);
      if (p.unavailable) put(`      ${dim(p.unavailable)}`);
      for (const b of p.branches) {
        const pct = `${Math.round(b.probability * 100)}%`.padStart(4);
        const to = b.backend ? `→ ${backendText(b.backend)}` : '';
        put(`    ${dim(pct)} ${b.result === 'delivered' ? to : `${b.why}`}${b.result === 'delivered' && b.sourceAtPod ? dim(`, source seen by the pod ${b.sourceAtPod}`) : ''}`, 5);
        if (opts.verbose) {
          for (const s of b.stages) {
            put(`         ${s.ok === true ? '✓' : s.ok === false ? '✗' : '?'} ${s.stage}${s.node ? ` ${s.node}` : ''}: ${s.summary}`);
            for (const h of s.hops ?? []) put(dim(`             ${h.family ? `${h.family} ` : ''}${h.table}/${h.chain}:${h.handle !== undefined ? `handle ${h.handle}` : h.line} ${h.rule ?? `(policy)`} → ${h.action}`));
          }
        }
      }
      for (const a of p.assumptions) put(dim(`      assumed: ${a}`));
      const same = block.paths.filter((x) => x.sameWalkAs === p.node);
      if (same.length > 0) put(dim(`    = ${sameText(same)}: the same rules to the same answer as ${p.node}`));
    }
    out.push('');
  }

  if (r.probes !== undefined) {
    for (const line of probeLines(r.probes, paint)) put(line, 4);
    out.push('');
  }

  const counts = new Map<string, number>();
  for (const c of r.checks) counts.set(c.status, (counts.get(c.status) ?? 0) + 1);
  put(`${bold('Checks')} ${['passed', 'failed', 'skipped', 'error', 'timeout'].filter((s) => counts.has(s)).map((s) => `${counts.get(s)} ${s}`).join(', ')}`);
  for (const g of unrunGroups(r.checks)) {
    const status = g.status === 'skipped' ? dim('skipped') : paint('31', g.status);
    const ids = g.ids.length === 1 ? ` ${g.ids[0]}` : ` (${g.ids.length} checks: ${opts.verbose || g.ids.length <= FOLD_NAMED ? g.ids.join(', ') : `${g.ids.slice(0, FOLD_NAMED).join(', ')}…`})`;
    put(`  ${status}${ids}: ${g.reason}`);
  }
  if (r.gatherErrors.length > 0) {
    out.push('');
    out.push(bold('Could not gather'));
    for (const e of r.gatherErrors) {
      put(`  ${e.node ? `${e.node}: ` : ''}${e.what}: ${e.why}`);
      // A hint may hold a command to paste (`ssh-keyscan -p 22 host >> ~/.ssh/known_hosts`): its own line, never wrapped.
      if (e.hint) out.push(dim(`    → ${e.hint}`));
    }
  }
  return `${out.join('\n')}\n`;
}

/** Check ids a folded skip line names before `…` (--verbose names them all). */
const FOLD_NAMED = 3;

/**
 * The checks that did not run to a result (skipped, crashed, timed out), one group per status and
 * reason in the order first seen: 26 checks skipped because one node could not be read are one line.
 */
function unrunGroups(checks: Report['checks']): { status: string; reason: string; ids: string[] }[] {
  const groups = new Map<string, { status: string; reason: string; ids: string[] }>();
  for (const c of checks.filter((x) => x.status === 'skipped' || x.status === 'error' || x.status === 'timeout')) {
    const reason = c.reason ?? '';
    const key = JSON.stringify([c.status, reason]);
    const g = groups.get(key);
    if (g === undefined) groups.set(key, { status: c.status, reason, ids: [c.id] });
    else g.ids.push(c.id);
  }
  return [...groups.values()];
}

/** `node-2 (10.0.0.2)`, or the first few and how many more (a hundred nodes on one line help nobody). */
function sameText(paths: readonly Report['paths'][number][]): string {
  return firstFew(paths.map((p) => `${p.node} (${p.address})`), 5, { one: 'node', many: 'nodes' });
}

const PROBE_TONE: Record<Probe['result'], string> = { connected: '32', refused: '31', 'timed-out': '31', unreachable: '31', error: '33', 'not-run': '2' };

/**
 * The "Probes" section: each probe on a line (kind, from → target, result, time, why), the ones
 * over the count bound folded into one line.
 */
export function probeLines(probes: readonly Probe[], paint: Paint = (_c, s) => s): string[] {
  const lines = [`${paint('1', 'Probes')} ${paint('2', '(--probe: a TCP connect each, closed at once)')}`];
  if (probes.length === 0) lines.push(paint('2', '  none planned: no ingress node with a nodePort to probe'));
  const over = probes.filter((p) => p.result === 'not-run' && p.detail === OVER_BOUND);
  for (const p of probes.filter((x) => !over.includes(x))) {
    const from = p.from === HERE && p.fromAddress ? `here (${p.fromAddress})` : p.from;
    const pod = p.pod !== undefined ? ` (${p.pod.namespace}/${p.pod.name}${p.node ? ` on ${p.node}` : ''})` : '';
    const result = p.result === 'not-run' ? 'not run' : p.result;
    const time = p.ms !== null ? ` in ${Math.round(p.ms)} ms` : '';
    lines.push(`  ${p.kind.padEnd(14)} ${from} → ${probeTargetText(p)}${pod}  ${paint(PROBE_TONE[p.result], result)}${time}${p.detail ? paint('2', `: ${p.detail}`) : ''}`);
  }
  if (over.length > 0) lines.push(paint('2', `  … ${over.length} more not run: ${OVER_BOUND}`));
  return lines;
}

/** `203.0.113.7:40000`, `[2001:db8::7]:40000`. */
export const clientText = (c: { ip: string; port: number }): string => hostPort(c.ip, c.port);

/** ` port http/TCP nodePort 30080`: the Service port asked about, or nothing. */
export function portText(port: Report['target']['port']): string {
  return port ? ` port ${port.name || port.port}/${port.protocol}${port.nodePort ? ` nodePort ${port.nodePort}` : ''}` : '';
}

type Backend = NonNullable<Report['paths'][number]['branches'][number]['backend']>;

/** `shop/web-1 (10.244.1.2:8080 on node-2)`: the endpoint a branch reached. */
export function backendText(b: Backend): string {
  return `${b.pod ?? b.ip} (${b.port === null || b.port === undefined ? `${b.ip}:?` : hostPort(b.ip, b.port)}${b.node ? ` on ${b.node}` : ''})`;
}

function finding(f: ReportFinding, paint: Paint, width: number): string[] {
  const label = f.severity === 'error' ? paint('1;31', 'ERROR') : f.severity === 'warning' ? paint('1;33', 'WARN ') : paint('1;36', 'INFO ');
  const lines = fit(`  ${label} ${f.family ? `IPv${f.family}: ` : ''}${f.title}${f.node ? ` (${f.node})` : ''}  ${paint('2', f.id)}`, width, 6);
  lines.push(...wrap(f.message, 8, width));
  if (f.evidence.length > 0) {
    lines.push(`        ${paint('2', 'evidence:')}`);
    // Evidence of a kind the switch lacks reads `undefined` rather than ending the report.
    for (const e of f.evidence) lines.push(...wrap(`${evidenceText(e)}`, 10, width, 12));
  }
  lines.push(...fit(`        ${paint('2', 'fix:')} ${f.remediation.summary}`, width, 5));
  // A command is pasted as it is: one line, whole, however wide.
  for (const c of f.remediation.commands) lines.push(`          $ ${c}`);
  lines.push('');
  return lines;
}

/** One piece of evidence on one line: the rule as the dump printed it, the object field, the sysctl. */
export function evidenceText(e: ReportFinding['evidence'][number]): string {
  switch (e.kind) {
    case 'rule':
      return `${e.node} ${e.family ? `${e.family} ` : ''}${e.table}/${e.chain} ${e.handle !== undefined ? `handle ${e.handle}` : `line ${e.line}`} (${e.source}): ${e.rule ?? `chain policy${e.action ? ` ${e.action}` : ''}`}`;
    case 'object':
      return `${e.ref}${e.field ? ` ${e.field}` : ''}${e.value !== undefined ? ` = ${typeof e.value === 'string' ? e.value : JSON.stringify(e.value)}` : ''}`;
    case 'sysctl':
      return `${e.node} ${e.name} = ${e.value ?? '(absent)'}`;
    case 'path':
      return `${e.node}: ${e.summary}`;
    case 'output':
      return `${e.node ? `${e.node} ` : ''}$ ${e.command}: ${e.excerpt}`;
    case 'probe':
      return `probe ${e.probe} from ${e.from} to ${e.target}: ${e.result}${e.ms !== null ? ` in ${Math.round(e.ms)} ms` : ''} (${e.at})`;
  }
}

/** The TUI wraps with the same rules (it imports them from here). */
export { wrap } from '../text/wrap.js';
