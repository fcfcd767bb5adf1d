/**
 * `-o markdown`: a report to paste into a ticket or a pull-request comment. Every string from the
 * cluster is escaped for Markdown (and its inline HTML): a Service named `<img src=x onerror=…>`
 * or `**[click](evil)**` shows as those characters, never as markup. Fix commands go in fenced
 * `sh` blocks, fenced with more backticks than the command holds, so no command closes its block.
 */
import { firstFew } from '../text/first-few.js';
import { hasControl, sanitize } from '../text/sanitize.js';
import { outcome, topFinding } from './headline.js';
import { HEALTH_MARK, healthOf } from './health.js';
import type { Report, ReportFinding } from './model.js';
import { evidenceText, portText } from './text.js';

/** One Service: a heading, the verdict, the findings table, then each finding in full. */
export function renderMarkdown(report: Report): string {
  return `${section(report, '##').join('\n')}\n`;
}

/** Several Services: a table of them all, then each Service's section. */
export function renderScanMarkdown(reports: readonly Report[]): string {
  const lines = [`# np-doctor scan: ${reports.length} Service${reports.length === 1 ? '' : 's'}`, ''];
  if (reports.length > 0) {
    // A row says what a client sees and the top finding (the headline's words); the section below has the whole verdict.
    lines.push('| | Service | Errors | Warnings | Outcome | Top finding |', '|---|---|---|---|---|---|');
    for (const r of reports) {
      lines.push(`| ${HEALTH_MARK[healthOf(r)]} | ${inline(serviceName(r))} | ${r.summary.findings.error} | ${r.summary.findings.warning} | ${inline(outcome(r))} | ${inline(topFinding(r)?.id ?? '')} |`);
    }
    lines.push('');
  }
  for (const r of reports) lines.push(...section(r, '##'));
  return `${lines.join('\n')}\n`;
}

function section(r: Report, h: string): string[] {
  const lines = [`${h} ${HEALTH_MARK[healthOf(r)]} ${inline(serviceName(r))}${inline(portText(r.target.port))}`, ''];
  lines.push(inline(r.verdict.summary), '');
  const { findings: f, checks: c } = r.summary;
  lines.push(`Findings: ${f.error} error, ${f.warning} warning, ${f.info} info. Checks: ${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped${c.error + c.timeout > 0 ? `, ${c.error + c.timeout} did not finish` : ''}.`, '');
  if (r.findings.length > 0) {
    lines.push('| Severity | Check | Node | Finding |', '|---|---|---|---|');
    for (const x of r.findings) lines.push(`| ${x.severity} | ${checkLink(x)} | ${x.node === undefined ? '' : inline(x.node)} | ${inline(x.title)} |`);
    lines.push('');
    for (const x of r.findings) lines.push(...finding(x, `${h}#`));
  }
  return lines;
}

/** Working nodes named before "and N more". */
const WORKING_SHOWN = 5;

function finding(f: ReportFinding, h: string): string[] {
  const lines = [`${h} ${f.severity}: ${inline(f.title)} (${checkLink(f)})`, '', inline(f.message), ''];
  const works = f.workingNodes === undefined ? undefined : `Works through: ${inline(firstFew(f.workingNodes, WORKING_SHOWN))}`;
  if (f.node !== undefined) lines.push(`Node: ${inline(f.node)}${works === undefined ? '' : `. ${works}`}`, '');
  else if (works !== undefined) lines.push(works, '');
  if (f.evidence.length > 0) {
    lines.push('Evidence:', '');
    for (const e of f.evidence) lines.push(`- ${inline(evidenceText(e))}`);
    lines.push('');
  }
  lines.push(`Fix: ${inline(f.remediation.summary)}`, '');
  // A command with a control character cannot be shown as the shell must get it: said, not altered.
  const commands = f.remediation.commands.map((c) => (hasControl(c) ? '# (a command holding a control character: see -o json, remediation.pipelines)' : c));
  if (commands.length > 0) lines.push(...fenced('sh', commands), '');
  lines.push(`<sub>fingerprint \`${f.fingerprint}\`</sub>`, '');
  return lines;
}

const serviceName = (r: Report): string => `${r.target.namespace}/${r.target.service}`;

/** The check id, linked to its page when it has one (np-doctor's own address, never the cluster's). */
function checkLink(f: ReportFinding): string {
  return f.docsUrl === undefined ? inline(f.id) : `[${inline(f.id)}](${f.docsUrl})`;
}

/**
 * One line of Markdown text showing `s` as it is: control characters as visible escapes, line
 * breaks as spaces (a table cell and a list item are one line), HTML's specials as entities, the
 * punctuation CommonMark and GitHub read as inline markup (emphasis, code, links, tables,
 * strikethrough, math) backslash-escaped, and what would start a block (a heading, a list) or an
 * autolink (`https://`, `www.`) broken up, so a name from the cluster links nowhere.
 */
export function inline(s: string): string {
  return sanitize(s.replace(/[\r\n]+/g, ' '))
    .replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'))
    .replace(/[\\`*_{}[\]|~!$]/g, '\\$&')
    .replace(/^[#+=-]/, '\\$&')
    .replace(/^(\d+)([.)])/, '$1\\$2')
    .replace(/:(?=\/\/)/g, '\\:')
    .replace(/\b(www)\./gi, '$1\\.')
    .replace(/@/g, '\\@');
}

/** A fenced code block whose fence is longer than any run of backticks inside it. */
function fenced(lang: string, body: readonly string[]): string[] {
  const longest = Math.max(0, ...body.map((l) => Math.max(0, ...[...l.matchAll(/`+/g)].map((m) => m[0].length))));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return [`${fence}${lang}`, ...body, fence];
}
