/**
 * One deadline for a whole gathering (`--timeout`), beside the per-request and per-command
 * timeouts: however the API server and the nodes behave, gathering ends. It reaches everything
 * through the same AbortSignal as Ctrl-C; the signal's reason tells the two apart, so messages say
 * "the gathering did not finish within 5 min" rather than "interrupted".
 */

export class GatherDeadlineExceeded extends Error {
  constructor(readonly ms: number, message = `the gathering did not finish within ${describeDuration(ms)} (--timeout)`) {
    super(message);
    this.name = 'GatherDeadlineExceeded';
  }
}

/** One node's own deadline (--node-timeout): that node is cut short, the others go on. */
export class NodeDeadlineExceeded extends GatherDeadlineExceeded {
  constructor(ms: number, readonly node: string) {
    super(ms, `node ${node} was not read within ${describeDuration(ms)} (--node-timeout)`);
    this.name = 'NodeDeadlineExceeded';
  }
}

export function describeDuration(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${Number((ms / 1000).toFixed(1))} s`;
}

export interface GatherSignal {
  /** Aborted by Ctrl-C (the interrupt's reason) or by the deadline (a GatherDeadlineExceeded). */
  signal: AbortSignal;
  /** Stops the timer; call when the gathering is over. */
  dispose(): void;
}

/** The interrupt and a deadline `ms` from now, as one signal. */
export function gatherSignal(interrupt: AbortSignal | undefined, ms: number): GatherSignal {
  return withDeadline(interrupt, ms, new GatherDeadlineExceeded(ms));
}

/** `outer` (the gathering's signal) and one node's own deadline, as one signal. */
export function nodeSignal(outer: AbortSignal | undefined, ms: number, node: string): GatherSignal {
  return withDeadline(outer, ms, new NodeDeadlineExceeded(ms, node));
}

function withDeadline(outer: AbortSignal | undefined, ms: number, reason: GatherDeadlineExceeded): GatherSignal {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(reason), ms);
  // The deadline alone must never keep the process alive.
  timer.unref();
  return {
    signal: outer === undefined ? deadline.signal : AbortSignal.any([outer, deadline.signal]),
    dispose: () => clearTimeout(timer),
  };
}

/** Why an aborted signal stopped work, for messages: the deadline's own words, else "interrupted". */
export function stopReason(signal: AbortSignal | undefined): string {
  const r: unknown = signal?.reason;
  return r instanceof GatherDeadlineExceeded ? r.message : 'interrupted';
}

export function deadlinePassed(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true && signal.reason instanceof GatherDeadlineExceeded;
}
