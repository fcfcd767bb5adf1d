/**
 * A dual-stack Service is asked once per address family (kube-proxy runs one proxier per family,
 * each with its own rules and EndpointSlices); this merges the runs into one: a finding both
 * families report alike is reported once, any other is tagged with its family; a check's results
 * become one, the least decided first, so a gap in either family still keeps the bill unclean.
 */
import type { Family } from '../model/node-data.js';
import { sortFindings, type CheckResult, type RunResult } from './runner.js';

export interface FamilyRun {
  family: Family;
  run: RunResult;
}

export function mergeFamilyRuns(runs: readonly FamilyRun[]): RunResult {
  if (runs.length === 1) return runs[0]!.run;
  const seen = runs.map(({ run }) => new Set(run.findings.map(sameness)));
  const findings = runs.flatMap(({ family, run }, i) => run.findings.flatMap((f) => {
    const key = sameness(f);
    const inAll = seen.every((s) => s.has(key));
    // Reported alike by every family: once, from the primary family's run.
    if (inAll) return i === 0 ? [f] : [];
    return [{ ...f, family }];
  }));
  const ids = [...new Set(runs.flatMap(({ run }) => run.checks.map((c) => c.id)))];
  const checks = ids.map((id) => mergeCheck(runs.flatMap(({ family, run }) => run.checks.filter((c) => c.id === id).map((c) => ({ family, c })))));
  // sortFindings is stable: the primary family's finding stays before the other's at equal rank.
  return { findings: sortFindings(findings), checks };
}

/** Everything a reader sees of a finding: equal text means one finding. */
const sameness = (f: RunResult['findings'][number]): string => JSON.stringify([f.id, f.severity, f.node, f.message, f.evidence, f.remediation]);

/**
 * Least decided first: a crash or timeout, then a skip for want of data (either leaves the bill
 * unclean), then a failure, then a skip that answers (no such Service), then a pass.
 */
function rank(c: CheckResult): number {
  switch (c.status) {
    case 'error': return 0;
    case 'timeout': return 1;
    case 'skipped': return (c.unmet ?? []).some((k) => k === 'not-gathered' || k === 'not-replayed') ? 2 : 4;
    case 'failed': return 3;
    case 'passed': return 5;
  }
}

function mergeCheck(results: { family: Family; c: CheckResult }[]): CheckResult {
  const durationMs = Math.round(results.reduce((t, r) => t + r.c.durationMs, 0) * 100) / 100;
  const worst = [...results].sort((a, b) => rank(a.c) - rank(b.c))[0]!;
  const alike = results.every((r) => r.c.status === worst.c.status && r.c.reason === worst.c.reason);
  if (alike) return { ...worst.c, durationMs };
  const reason = results.filter((r) => r.c.reason !== undefined).map((r) => `IPv${r.family}: ${r.c.reason}`).join('; ');
  return { ...worst.c, ...(reason ? { reason } : {}), durationMs };
}
