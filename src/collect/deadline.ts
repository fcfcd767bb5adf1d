/**
 * One deadline for a whole gathering (`--timeout`), beside the per-request and per-command
 * timeouts: however the API server and the nodes behave, gathering ends. It reaches everything
 * through the same AbortSignal as Ctrl-C; the signal's reason tells the two apart, so messages say
 * "the gathering did not finish within 5 min" rather than "interrupted".
 */

export class GatherDeadlineExceeded extends Error {
  constructor(readonly ms: number) {
    super(`the gathering did not finish within ${describeDuration(ms)} (--timeout)`);
    this.name = 'GatherDeadlineExceeded';
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
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new GatherDeadlineExceeded(ms)), ms);
  // The deadline alone must never keep the process alive.
  timer.unref();
  return {
    signal: interrupt === undefined ? deadline.signal : AbortSignal.any([interrupt, deadline.signal]),
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
