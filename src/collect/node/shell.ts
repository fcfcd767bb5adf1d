/**
 * NodeShell: the one seam through which np-doctor reads a node (SSH, a debug pod, the local
 * machine, or files the user already has). A shell opens a session per node; a session runs
 * commands from the fixed list in snapshot/node-commands.ts and nothing else.
 */
import type { NodeCommandId } from '../../snapshot/node-commands.js';
import type { ProbeTarget } from '../../snapshot/probe.js';
import type { CollectMethod } from '../../snapshot/schema.js';

/** A node as the gatherer knows it: its Kubernetes name and the address to reach it at. */
export interface NodeTarget {
  name: string;
  /** InternalIP from the Node object (or what the user named); SSH config may map the name instead. */
  address: string | undefined;
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  /** null when the command did not finish (timeout, lost connection, stopped for printing too much). */
  exitCode: number | null;
  /** Present when a stream went past the shell's output limit: it was cut at limitBytes. */
  truncated?: { stdout: boolean; stderr: boolean; limitBytes: number };
}

export interface NodeSession {
  /** The commands this session can answer; absent means all of them (files hold only some). */
  readonly commands?: readonly NodeCommandId[];
  /** Runs one fixed command. Rejects with NodeAccessError only when the session itself fails. */
  run(command: NodeCommandId, signal?: AbortSignal): Promise<CommandResult>;
  /**
   * --probe only: one TCP connect from the node to `target` (probeArgv in snapshot/probe.ts, never
   * through sudo), bounded by `timeoutMs`. Absent where the session has no shell (dump files).
   */
  probe?(target: ProbeTarget, timeoutMs: number, signal?: AbortSignal): Promise<CommandResult>;
  /** Releases what open() took (closes the connection, deletes the pod). Never throws. */
  close(): Promise<void>;
}

export interface NodeShell {
  readonly method: CollectMethod;
  /** Gets access to one node. Rejects with NodeAccessError naming the node and what failed. */
  open(node: NodeTarget, signal?: AbortSignal): Promise<NodeSession>;
}

/** Why a node could not be reached or used. `what` is the failed step, `why` the cause, both for people. */
export class NodeAccessError extends Error {
  constructor(
    readonly node: string,
    readonly what: string,
    readonly why: string,
    readonly hint?: string,
  ) {
    super(`node ${node}: ${what}: ${why}${hint ? ` (${hint})` : ''}`);
    this.name = 'NodeAccessError';
  }
}
