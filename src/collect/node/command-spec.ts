/**
 * What a shell runs, whichever shell it is: a fixed command of snapshot/node-commands.ts with the
 * gathering's timeout and output bound, or the --probe command (snapshot/probe.ts), never through
 * sudo (a connect needs no privilege), with a deadline a little past the connect timeout and a
 * small output bound (it prints nothing when it connects, one error line when it does not).
 */
import { NODE_COMMANDS, type NodeCommandId } from '../../snapshot/node-commands.js';
import { probeArgv, type ProbeTarget } from '../../snapshot/probe.js';

/** timeout(1)'s kill second, plus starting bash on the node (an SSH channel, a pod exec). */
const PROBE_GRACE_MS = 5000;
const PROBE_OUTPUT_LIMIT_BYTES = 4096;

export interface CommandSpec {
  argv: readonly string[];
  /** Needs root (sudo -n over SSH or locally; a debug pod's one user is root). */
  root: boolean;
  /** The shell stops the command after this long, whatever the command itself does. */
  timeoutMs: number;
  /** Per stream. */
  outputLimitBytes: number;
}

export function fixedCommand(id: NodeCommandId, timeoutMs: number, outputLimitBytes: number): CommandSpec {
  const { argv, root } = NODE_COMMANDS[id];
  return { argv, root, timeoutMs, outputLimitBytes };
}

export function probeCommand(target: ProbeTarget, timeoutMs: number): CommandSpec {
  return { argv: probeArgv(target, timeoutMs), root: false, timeoutMs: timeoutMs + PROBE_GRACE_MS, outputLimitBytes: PROBE_OUTPUT_LIMIT_BYTES };
}
