/** What `diagnose` and `scan` share: output and --fail-on flags, plugins, the snapshot source, exit codes. */
import { gather, type GatherResult } from '../collect/gather.js';
import { GatherFatalError } from '../collect/kube/cluster.js';
import type { Progress } from '../collect/progress.js';
import type { Protocol } from '../engine/netfilter/types.js';
import type { Report } from '../report/model.js';
import type { Check } from '../check-kit/define.js';
import { SEVERITIES, type Severity } from '../check-kit/model.js';
import { loadPlugins, PluginError } from '../run/plugins.js';
import { loadSnapshot, SnapshotError } from '../snapshot/file.js';
import type { Snapshot } from '../snapshot/schema.js';
import { renderGatherErrors } from './gather-errors.js';
import { GATHER_FLAGS, gatherRequest } from './gather-flags.js';
import { EXIT, UsageError, type Io } from './io.js';
import { makeProgress } from './progress.js';

export type FailOn = Severity | 'none';

export function parseOutput(v: string | undefined): 'text' | 'json' {
  if (v === undefined || v === 'text' || v === 'json') return v ?? 'text';
  throw new UsageError(`-o ${v}: use text or json`);
}

export function parseFailOn(v: string | undefined): FailOn {
  if (v === undefined) return 'error';
  if (v === 'none' || (SEVERITIES as readonly string[]).includes(v)) return v as FailOn;
  throw new UsageError(`--fail-on ${v}: use error, warning, info or none`);
}

const PROTOCOLS: readonly Protocol[] = ['tcp', 'udp', 'sctp'];

export function parseProtocol(v: string | undefined): Protocol | undefined {
  const p = v?.toLowerCase();
  if (p === undefined || (PROTOCOLS as readonly string[]).includes(p)) return p as Protocol | undefined;
  throw new UsageError(`--protocol ${v}: use tcp, udp or sctp`);
}

export async function loadChecks(builtIn: readonly Check[], plugins: string[]): Promise<Check[]> {
  try {
    return [...builtIn, ...(await loadPlugins(plugins, builtIn))];
  } catch (e) {
    if (e instanceof PluginError) throw new UsageError(e.message);
    throw e;
  }
}

/** Flags that only mean something when gathering live. */
const LIVE_ONLY = Object.keys(GATHER_FLAGS).filter((f) => !['namespace', 'all-namespaces', 'node', 'node-ip', 'all-nodes'].includes(f));

type Values = Record<string, unknown> & { snapshot?: string };

/** Reads --snapshot FILE; live-only flags next to it are a usage error. */
export async function snapshotFile(values: Values, file: string, display?: Progress): Promise<Snapshot> {
  const clash = LIVE_ONLY.filter((f) => values[f] !== undefined);
  if (clash.length > 0) throw new UsageError(`--${clash.join(', --')} only apply when gathering live; --snapshot already holds what was gathered`);
  display?.start('snapshot', `reading ${file}`);
  try {
    const snapshot = await loadSnapshot(file);
    display?.succeed('snapshot', `${file}: ${snapshot.cluster.services.length} services, ${snapshot.nodes.length} nodes, gathered ${snapshot.createdAt}`);
    return snapshot;
  } catch (e) {
    display?.fail('snapshot', `${file}: cannot read it`);
    if (e instanceof SnapshotError) throw new UsageError(e.message);
    throw e;
  }
}

/**
 * The snapshot to analyse: read from --snapshot, or gathered live with progress shown on `display`
 * (default: ora on stderr). A number is an exit code.
 */
export async function obtainSnapshot(values: Values, service: string | null, io: Io, quiet: boolean, command: string, display?: Progress):
  Promise<{ snapshot: Snapshot; file: string | null } | number> {
  if (values.snapshot !== undefined) return { snapshot: await snapshotFile(values, values.snapshot, display), file: values.snapshot };
  const progress = display ?? await makeProgress(io, quiet);
  const request = gatherRequest(values as Parameters<typeof gatherRequest>[0], { service }, io, progress);
  let result: GatherResult | undefined;
  try {
    result = await gather(request);
  } catch (e) {
    if (!(e instanceof GatherFatalError)) throw e;
    if (!io.interrupt?.aborted) {
      io.stderr(`np-doctor ${command}: cannot gather: ${e.error.what}: ${e.error.why}\n${e.error.hint ? `  → ${e.error.hint}\n` : ''}`);
      return EXIT.cannotDecide;
    }
  } finally {
    progress.stop();
  }
  if (result !== undefined && result.leftovers.length > 0) {
    io.stderr(`np-doctor ${command}: could not delete debug pod${result.leftovers.length === 1 ? '' : 's'} ${result.leftovers.join(', ')}: run np-doctor cleanup\n`);
  }
  if (result === undefined || io.interrupt?.aborted) {
    io.stderr(`np-doctor ${command}: interrupted\n`);
    return EXIT.interrupted;
  }
  if (!quiet) io.stderr(renderGatherErrors(result.snapshot.errors));
  return { snapshot: result.snapshot, file: null };
}

/**
 * 1: a finding at or above --fail-on. 3: nothing found, but something could not be decided (a
 * check skipped or broken, a node not replayed): a clean bill needs every check to have run.
 */
export function exitCodeFor(reports: Report[], failOn: FailOn): number {
  const limit = failOn === 'none' ? -1 : SEVERITIES.indexOf(failOn);
  if (reports.some((r) => r.findings.some((f) => SEVERITIES.indexOf(f.severity) <= limit))) return EXIT.findings;
  // Skips because the Service is missing or has no nodePort are answers (a finding says so), not gaps.
  const answered = (reason: string | undefined) => reason !== undefined && /^(Service \S+ was not found|Service \S+ has no ports|port \S+ of Service \S+ has no nodePort)/.test(reason);
  const undecided = reports.some((r) =>
    r.checks.some((c) => (c.status === 'skipped' && !answered(c.reason)) || c.status === 'error' || c.status === 'timeout') ||
    // A node that fails with nothing to explain it is not a clean bill either.
    r.verdict.nodes.some((n) => n.result !== 'delivered'));
  return undecided ? EXIT.cannotDecide : EXIT.ok;
}
