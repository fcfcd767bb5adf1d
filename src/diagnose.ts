/**
 * diagnose = snapshot → analysis context → checks → Report: the composition root of the analysis,
 * above run/ (the checks) and report/ (the Report). The same function serves a live gathering, a
 * snapshot file, `scan` (once per Service), the interactive session and tests. A dual-stack
 * Service with no family pinned is analysed once per family, primary first, into one Report.
 */
import { CHECKS } from '../checks/index.js';
import { ClusterModel } from './model/cluster.js';
import { buildReport, type FamilyAnalysis } from './report/build.js';
import { checkDocsUrl } from './report/check-docs.js';
import type { Report } from './report/model.js';
import type { RuleInfo } from './report/sarif.js';
import type { Check } from './check-kit/define.js';
import { mergeFamilyRuns } from './run/families.js';
import { buildContext, questionFamilies, type Ask } from './run/question.js';
import { runChecks, type CheckResult, type RunOptions } from './run/runner.js';
import type { Snapshot } from './snapshot/schema.js';

export interface DiagnoseOptions {
  checks: readonly Check[];
  snapshotFile?: string | null;
  timeoutMs?: number;
  onCheck?: RunOptions['onCheck'];
  /** Share one model (parsed dumps) across several questions on the same snapshot. */
  cluster?: ClusterModel;
  /** Keep each check's durationMs in the Report (--timings); without it the Report is the same bytes for the same snapshot. */
  timings?: boolean;
}

// Only np-doctor's own checks have a page at np-doctor's docs address; a plugin's has none there.
const BUILT_IN = new Set(CHECKS.map((c) => c.id));
const docsUrlOf = (id: string): string | undefined => (BUILT_IN.has(id) ? checkDocsUrl(id) : undefined);

/** The checks as SARIF's rules list shows them: each with its page, when it has one. */
export function catalogue(checks: readonly Check[]): RuleInfo[] {
  return checks.map((c) => {
    const docsUrl = docsUrlOf(c.id);
    return { id: c.id, title: c.title, description: c.description, severity: c.severity, ...(docsUrl === undefined ? {} : { docsUrl }) };
  });
}

export interface Diagnosis {
  report: Report;
  /** Each check's result as the runner gave it: a skip also says what kind of requirement was unmet. */
  checks: readonly CheckResult[];
}

export async function runDiagnosis(snapshot: Snapshot, ask: Ask, opts: DiagnoseOptions): Promise<Diagnosis> {
  const cluster = opts.cluster ?? new ClusterModel(snapshot);
  const analyses: FamilyAnalysis[] = [];
  // Every family's question is built before any check runs: a question wrong for one family is wrong.
  const contexts = questionFamilies(cluster, ask).map((family) => buildContext(snapshot, ask, cluster, family));
  for (const ctx of contexts) {
    const run = await runChecks(opts.checks, ctx, {
      ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
      ...(opts.onCheck === undefined ? {} : { onCheck: opts.onCheck }),
    });
    analyses.push({ ctx, run });
  }
  const run = mergeFamilyRuns(analyses.map(({ ctx, run: r }) => ({ family: ctx.question.family, run: r })));
  return { report: buildReport(analyses, run, { snapshotFile: opts.snapshotFile ?? null, timings: opts.timings ?? false, docsUrlOf }), checks: run.checks };
}

/** runDiagnosis() for callers that need only the Report. */
export async function diagnose(snapshot: Snapshot, ask: Ask, opts: DiagnoseOptions): Promise<Report> {
  return (await runDiagnosis(snapshot, ask, opts)).report;
}
