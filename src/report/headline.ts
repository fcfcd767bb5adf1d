/**
 * A Service's diagnosis in one short line: its health mark, name, what a client sees through which
 * nodes, and the top finding's id (`✗ shop/frontend: times out via node-1 — etp-local-no-local-endpoint`).
 * The text report opens with it; scan's table ends each row with its outcome and finding.
 */
import { HEALTH_MARK, healthOf } from './health.js';
import type { Report, ReportNodeVerdict } from './model.js';
import { firstFew } from '../text/first-few.js';
import { sanitize } from '../text/sanitize.js';

type ClientResult = ReportNodeVerdict['result'];

const FAILING: readonly [ClientResult, string][] = [['timeout', 'times out'], ['blocked', 'blocked'], ['refused', 'refused'], ['indeterminate', 'undecided']];

/** Node names shown before "and N more": a headline stays short whatever the cluster's size. */
const NAMED = 3;

function nodeList(nodes: readonly ReportNodeVerdict[], share: boolean): string {
  return firstFew(nodes.map((n) => `${sanitize(n.node)}${share && n.deliveredShare > 0 && n.deliveredShare < 1 ? ` (${Math.round((1 - n.deliveredShare) * 100)}%)` : ''}`), NAMED);
}

/**
 * What a client sees over these nodes: the failing results by the nodes that give them; else, when
 * every node delivers, that it answers, or, beside a finding (a cause outside the rules, such as a
 * cloud firewall), only that the rules deliver.
 */
function outcomeOf(nodes: readonly ReportNodeVerdict[], found: boolean): string {
  if (nodes.length === 0) return 'nothing replayed';
  const parts = FAILING.flatMap(([result, says]) => {
    const these = nodes.filter((n) => n.result === result);
    return these.length > 0 ? [`${says} via ${nodeList(these, true)}`] : [];
  });
  return parts.length > 0 ? parts.join('; ') : `${found ? 'the rules deliver' : 'answers'} via ${nodeList(nodes, false)}`;
}

/** What a client sees, per address family for a dual-stack Service (`IPv4 answers; IPv6 times out via node-1`). */
export function outcome(report: Report): string {
  const families = report.verdict.families ?? [];
  const found = topFinding(report) !== undefined;
  if (families.length <= 1) return outcomeOf(report.verdict.nodes, found);
  return families.map((f) => {
    // As for one family: where the rules deliver but a finding of this family (or of both) stands, say so.
    const foundHere = report.findings.some((x) => x.severity !== 'info' && (x.family === undefined || x.family === f.family));
    const o = outcomeOf(f.nodes, foundHere);
    return `IPv${f.family} ${o.startsWith('answers') ? 'answers' : o}`;
  }).join('; ');
}

/** The finding the headline names: the most severe that is not just information (as the verdict's). */
export const topFinding = (report: Report): Report['findings'][number] | undefined => report.findings.find((f) => f.severity !== 'info');

/** The one-line headline, plain (no colour), every name from the cluster sanitised. */
export function headline(report: Report): string {
  return `${HEALTH_MARK[healthOf(report)]} ${headlineBody(report)}`;
}

/** The headline after its mark (`shop/frontend: times out via node-1 — etp-local-no-local-endpoint`), for a renderer that colours the mark. */
export function headlineBody(report: Report): string {
  const top = topFinding(report);
  return `${sanitize(report.target.namespace)}/${sanitize(report.target.service)}: ${outcome(report)}${top ? ` — ${sanitize(top.id)}` : ''}`;
}
