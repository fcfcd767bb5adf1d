/**
 * diagnose = snapshot → analysis context → checks → Report. The same function serves a live
 * gathering, a snapshot file, `scan` (once per Service) and tests.
 */
import { ClusterModel } from '../model/cluster.js';
import { buildReport } from '../report/build.js';
import type { Report } from '../report/model.js';
import type { Snapshot } from '../snapshot/schema.js';
import type { Check } from '../check-kit/define.js';
import { buildContext, type Ask } from './question.js';
import { runChecks, type RunOptions } from './runner.js';

export interface DiagnoseOptions {
  checks: readonly Check[];
  snapshotFile?: string | null;
  timeoutMs?: number;
  onCheck?: RunOptions['onCheck'];
  /** Share one model (parsed dumps) across several questions on the same snapshot. */
  cluster?: ClusterModel;
}

export async function diagnose(snapshot: Snapshot, ask: Ask, opts: DiagnoseOptions): Promise<Report> {
  const ctx = buildContext(snapshot, ask, opts.cluster);
  const run = await runChecks(opts.checks, ctx, {
    ...(opts.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
    ...(opts.onCheck === undefined ? {} : { onCheck: opts.onCheck }),
  });
  return buildReport(ctx, run, { snapshotFile: opts.snapshotFile ?? null });
}
