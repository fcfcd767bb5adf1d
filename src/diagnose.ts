/**
 * diagnose = snapshot → analysis context → checks → Report: the composition root of the analysis,
 * above run/ (the checks) and report/ (the Report). The same function serves a live gathering, a
 * snapshot file, `scan` (once per Service), the interactive session and tests. A dual-stack
 * Service with no family pinned is analysed once per family, primary first, into one Report.
 */
import { ClusterModel } from './model/cluster.js';
import { buildReport, type FamilyAnalysis } from './report/build.js';
import type { Report } from './report/model.js';
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
  return { report: buildReport(analyses, run, { snapshotFile: opts.snapshotFile ?? null }), checks: run.checks };
}

/** runDiagnosis() for callers that need only the Report. */
export async function diagnose(snapshot: Snapshot, ask: Ask, opts: DiagnoseOptions): Promise<Report> {
  return (await runDiagnosis(snapshot, ask, opts)).report;
}
