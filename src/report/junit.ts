/**
 * `-o junit`: a JUnit XML document for CI dashboards (GitLab, Jenkins, Azure DevOps): one
 * <testsuite> per Service, one <testcase> per check. A check with findings at or above --fail-on
 * fails (<failure>, its type the worst severity), a skipped check is <skipped>, a check that
 * crashed or timed out is an <error>. No times: the document is the same for the same snapshot.
 */
import { SEVERITIES, type Severity } from '../check-kit/model.js';
import { firstFew } from '../text/first-few.js';
import { evidenceText } from './text.js';
import type { Report, ReportFinding } from './model.js';
import { xmlAttr, xmlText } from './xml-text.js';

/** Findings at or above this severity fail their test case; 'none': none do. */
export type FailThreshold = Severity | 'none';

export function renderJunit(reports: readonly Report[], failOn: FailThreshold): string {
  const suites = reports.map((r) => suite(r, failOn));
  const total = (k: keyof SuiteCounts) => suites.reduce((t, s) => t + s.counts[k], 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="np-doctor" tests="${total('tests')}" failures="${total('failures')}" errors="${total('errors')}" skipped="${total('skipped')}">`,
    ...suites.flatMap((s) => s.lines),
    '</testsuites>',
    '',
  ].join('\n');
}

interface SuiteCounts { tests: number; failures: number; errors: number; skipped: number }

function suite(r: Report, failOn: FailThreshold): { counts: SuiteCounts; lines: string[] } {
  const name = `${r.target.namespace}/${r.target.service}`;
  const limit = failOn === 'none' ? -1 : SEVERITIES.indexOf(failOn);
  const counts: SuiteCounts = { tests: r.checks.length, failures: 0, errors: 0, skipped: 0 };
  const cases: string[] = [];
  for (const c of r.checks) {
    const open = `    <testcase name="${xmlAttr(c.id)}" classname="${xmlAttr(name)}"`;
    const findings = r.findings.filter((f) => f.id === c.id);
    const failing = findings.filter((f) => SEVERITIES.indexOf(f.severity) <= limit);
    if (failing.length > 0) {
      counts.failures++;
      const worst = failing[0]!; // findings are most severe first
      cases.push(`${open}>`, `      <failure message="${xmlAttr(worst.message)}" type="${worst.severity}">${xmlText(failing.map(findingBody).join('\n\n'))}</failure>`, '    </testcase>');
    } else if (c.status === 'skipped') {
      counts.skipped++;
      cases.push(`${open}>`, `      <skipped message="${xmlAttr(c.reason ?? 'skipped')}"/>`, '    </testcase>');
    } else if (c.status === 'error' || c.status === 'timeout') {
      counts.errors++;
      cases.push(`${open}>`, `      <error message="${xmlAttr(c.reason ?? c.status)}" type="${c.status}"/>`, '    </testcase>');
    } else if (findings.length > 0) {
      // Below --fail-on: the case passes, and what the check saw is still there to read.
      cases.push(`${open}>`, `      <system-out>${xmlText(findings.map(findingBody).join('\n\n'))}</system-out>`, '    </testcase>');
    } else {
      cases.push(`${open}/>`);
    }
  }
  const head = `  <testsuite name="${xmlAttr(name)}" tests="${counts.tests}" failures="${counts.failures}" errors="${counts.errors}" skipped="${counts.skipped}">`;
  const props = [
    '    <properties>',
    `      <property name="verdict" value="${xmlAttr(r.verdict.summary)}"/>`,
    ...(r.snapshot.file === null ? [] : [`      <property name="snapshot" value="${xmlAttr(r.snapshot.file)}"/>`]),
    '    </properties>',
  ];
  return { counts, lines: [head, ...props, ...cases, '  </testsuite>'] };
}

function findingBody(f: ReportFinding): string {
  return [
    `${f.severity}: ${f.message}`,
    ...(f.node === undefined ? [] : [`node: ${f.node}`]),
    ...(f.workingNodes === undefined ? [] : [`works through: ${firstFew(f.workingNodes, 5)}`]),
    'evidence:',
    ...f.evidence.map((e) => `  ${evidenceText(e)}`),
    `fix: ${f.remediation.summary}`,
    ...f.remediation.commands.map((c) => `  $ ${c}`),
    ...(f.docsUrl === undefined ? [] : [`docs: ${f.docsUrl}`]),
    `fingerprint: ${f.fingerprint}`,
  ].join('\n');
}
