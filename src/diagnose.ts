/**
 * diagnose = snapshot → analysis context → checks → Report: the composition root of the analysis,
 * above run/ (the checks) and report/ (the Report). The same function serves a live gathering, a
 * snapshot file, `scan` (once per Service), the interactive session and tests.
 */
import { ClusterModel } from './model/cluster.js';
import { buildReport } from './report/build.js';
import type { Report } from './report/model.js';
import type { Check } from './check-kit/define.js';
import { buildContext, type Ask } from './run/question.js';
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
  const ctx = buildContext(snapshot, ask, opts.cluster);
  const run = await runChecks(opts.checks, ctx, {
    ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
    ...(opts.onCheck === undefined ? {} : { onCheck: opts.onCheck }),
  });
  return { report: buildReport(ctx, run, { snapshotFile: opts.snapshotFile ?? null }), checks: run.checks };
}

/** runDiagnosis() for callers that need only the Report. */
export async function diagnose(snapshot: Snapshot, ask: Ask, opts: DiagnoseOptions): Promise<Report> {
  return (await runDiagnosis(snapshot, ask, opts)).report;
}
