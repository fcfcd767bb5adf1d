/**
 * Where a command's snapshot comes from: a file (--snapshot), or the live cluster as the gather
 * flags say. Gathering that cannot go on ends the command with a UserError: exit 3 when the
 * cluster cannot be read, 130 when interrupted.
 */
import { gather, type GatherRequest, type GatherResult } from '../collect/gather.js';
import type { Progress } from '../collect/gather-progress.js';
import type { ProbeRequest } from '../collect/probe/plan.js';
import { GatherFatalError } from '../collect/kube/cluster.js';
import { EXIT, UserError } from '../exit.js';
import { loadSnapshot } from '../snapshot/file.js';
import type { GatherError, Snapshot } from '../snapshot/schema.js';
import { renderGatherErrors } from './gather-errors.js';
import { snapshotPath } from './demo-file.js';
import { checkExclusiveFlags, GATHER_FLAGS, gatherRequest, type GatherFlagValues } from './gather-flags.js';
import { UsageError, type Io } from './io.js';
import { spinner } from './spinner.js';
import { cut } from '../text/cut.js';

/** `probe`: --probe, live only (without it the gathering sends nothing to the Service). */
export type SnapshotSource = { file: string } | { live: GatherFlagValues; probe?: ProbeRequest };

/** Flags that only mean something when gathering live. */
const LIVE_ONLY = (Object.keys(GATHER_FLAGS) as (keyof GatherFlagValues)[])
  .filter((f) => !['namespace', 'all-namespaces', 'node', 'node-ip', 'all-nodes'].includes(f));

/** --snapshot FILE, or the gather flags; live-only flags beside --snapshot are a usage error. */
export function snapshotSource(values: GatherFlagValues & { snapshot?: string | undefined }): SnapshotSource {
  checkExclusiveFlags(values);
  if (values.snapshot === undefined) return { live: values };
  const clash = LIVE_ONLY.filter((f) => values[f] !== undefined);
  if (clash.length > 0) throw new UsageError(`--${clash.join(', --')} only apply when gathering live; --snapshot already holds what was gathered`);
  return { file: snapshotPath(values.snapshot) };
}

/** Reads a snapshot file, showing it as a step on `display`. */
export async function readSnapshotFile(file: string, display?: Progress): Promise<Snapshot> {
  display?.start('snapshot', `reading ${file}`);
  try {
    const snapshot = await loadSnapshot(file);
    display?.succeed('snapshot', `${file}: ${snapshot.cluster.services.length} services, ${snapshot.nodes.length} nodes, gathered ${snapshot.createdAt}`);
    return snapshot;
  } catch (e) {
    display?.fail('snapshot', `${file}: cannot read it`);
    throw e;
  }
}

/**
 * The snapshot to analyse: read from the file, or gathered live with progress shown on `display`
 * (default: a spinner on stderr when it is a terminal). `file` is null when gathered. What could
 * not be gathered goes to stderr only when `errorsOnStderr`: a Report lists it itself.
 */
export async function obtainSnapshot(source: SnapshotSource, service: string | null, io: Io, command: string, opts: { errorsOnStderr: boolean; display?: Progress | undefined }):
  Promise<{ snapshot: Snapshot; file: string | null }> {
  if ('file' in source) return { snapshot: await readSnapshotFile(source.file, opts.display), file: source.file };
  const progress = opts.display ?? await spinner(io);
  const snapshot = await gatherLive({ ...gatherRequest(source.live, { service }, io, progress), probe: source.probe }, io, command);
  if (opts.errorsOnStderr) io.stderr(renderGatherErrors(snapshot.errors));
  return { snapshot, file: null };
}

/** The snapshot was gathered for other namespaces than the one asked about: nothing to decide from. */
export class NoDataError extends UserError {
  override readonly name = 'NoDataError';
  readonly exitCode = EXIT.cannotDecide;
  readonly pointsToHelp = false;
}

/** The cluster could not be read at all: the API is unreachable, refuses us, or the Service is missing. */
export class CannotGatherError extends UserError {
  override readonly name = 'CannotGatherError';
  readonly exitCode = EXIT.cannotDecide;
  readonly pointsToHelp = false;

  constructor(error: GatherError) {
    super(`cannot gather: ${error.what}: ${error.why}${error.hint ? `\n  → ${error.hint}` : ''}`);
  }
}

/** Ctrl-C or SIGTERM stopped the command; what it started is cleaned up. */
export class InterruptedError extends UserError {
  override readonly name = 'InterruptedError';
  readonly exitCode = EXIT.interrupted;
  readonly pointsToHelp = false;
}

/**
 * Gathers, and ends the progress display whatever happens (a spinner left running keeps the
 * process alive). Debug pods that could not be deleted are named on stderr. `interrupted` is what
 * the command says when stopped.
 */
export async function gatherLive(request: GatherRequest, io: Io, command: string, interrupted = 'interrupted'): Promise<Snapshot> {
  let result: GatherResult | undefined;
  try {
    result = await gather(request);
  } catch (e) {
    if (!(e instanceof GatherFatalError)) throw e;
    // Ctrl-C makes API calls fail too: that is the interrupt, not a cluster that cannot be read.
    if (!io.interrupt?.aborted) throw new CannotGatherError(e.error);
  } finally {
    request.progress.stop();
  }
  const leftovers = result?.leftovers ?? [];
  if (leftovers.length > 0) {
    io.stderr(`np-doctor ${command}: could not delete debug pod${leftovers.length === 1 ? '' : 's'} ${leftovers.join(', ')}: run np-doctor cleanup\n`);
  }
  if (result === undefined || io.interrupt?.aborted) throw new InterruptedError(interrupted);
  return result.snapshot;
}

/** Namespaces shown in a message before "…": a snapshot of a whole cluster may hold thousands. */
const SHOWN_NAMESPACES = 10;
/** A namespace is a DNS label, at most 63 characters; a snapshot may hold anything: cut there. */
const NAMESPACE_CHARS = 63;

/**
 * A snapshot gathered for one namespace says nothing about another: "no NodePort Services" there
 * would be a clean bill for data never read.
 */
export function checkHoldsNamespace(snapshot: Snapshot, ns: string, file: string | null): void {
  const gathered = snapshot.target.namespace;
  if (gathered === null || gathered === ns) return;
  const held = [...new Set([gathered, ...snapshot.cluster.services.map((s) => s.metadata?.namespace ?? '')].filter((n) => n !== ''))].sort();
  const shown = `${held.slice(0, SHOWN_NAMESPACES).map((n) => cut(n, NAMESPACE_CHARS)).join(', ')}${held.length > SHOWN_NAMESPACES ? `, … (${held.length} in all)` : ''}`;
  throw new NoDataError(`${file ?? 'the gathered snapshot'} has no data for namespace ${ns}: it was gathered for namespace ${shown}; use -n ${cut(gathered, NAMESPACE_CHARS)}, or gather ${ns} (np-doctor snapshot -n ${ns} -f FILE)`);
}
