/**
 * How every shell runs the --probe command (snapshot/probe.ts): the argv, never through sudo (a
 * connect needs no privilege), a deadline a little past the connect timeout, and a small output
 * bound (the command prints nothing when it connects, one error line when it does not).
 */
import { probeArgv, type ProbeTarget } from '../../snapshot/probe.js';

/** timeout(1)'s kill second, plus starting bash on the node (an SSH channel, a pod exec). */
const GRACE_MS = 5000;
const OUTPUT_LIMIT_BYTES = 4096;

export interface ProbeCommand {
  argv: string[];
  /** The shell stops the command after this long, whatever timeout(1) did. */
  timeoutMs: number;
  outputLimitBytes: number;
}

export function probeCommand(target: ProbeTarget, timeoutMs: number): ProbeCommand {
  return { argv: probeArgv(target, timeoutMs), timeoutMs: timeoutMs + GRACE_MS, outputLimitBytes: OUTPUT_LIMIT_BYTES };
}
