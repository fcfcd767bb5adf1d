/**
 * The reference for work shared across Services (one model, parsed dumps, indexes): each Service
 * replayed alone, from a snapshot loaded afresh into a model of its own, so nothing one Service
 * left behind can change another's answer. The snapshots compared: the demo and the scenario corpus.
 */
import { CHECKS } from '../../checks/index.js';
import { runDiagnosis } from '../../src/diagnose.js';
import type { Ask } from '../../src/run/question.js';
import { loadSnapshot } from '../../src/snapshot/file.js';
import { loadScenarios } from '../scenarios/load.js';

/** Every snapshot the comparison runs on. */
export async function sharedModelCorpus(): Promise<string[]> {
  return ['examples/demo.json', 'examples/demo-nftables.json', ...(await loadScenarios()).map((s) => s.snapshotFile)];
}

/** A Report as JSON, without the checks' durations (the only part that differs from run to run). */
export function comparable(report: unknown): unknown {
  return JSON.parse(JSON.stringify(report, (key, value: unknown) => (key === 'durationMs' ? undefined : value)));
}

/** One Service diagnosed alone: a fresh load, a fresh model, nothing shared with any other question. */
export async function aloneReport(file: string, ask: Ask): Promise<unknown> {
  const snapshot = await loadSnapshot(file);
  return comparable((await runDiagnosis(snapshot, ask, { checks: CHECKS, snapshotFile: file })).report);
}
