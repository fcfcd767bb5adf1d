/**
 * Reads every planned node through one NodeShell: a bounded number of nodes at once, every fixed
 * command in order, one session per node. A node that cannot be reached becomes a GatherError for
 * that node; the others still finish. So does a command that printed more than the output limit
 * (its output is kept cut and marked truncated; readers must not use it as complete), and a node
 * the gathering deadline or its own (--node-timeout) cut short: a stuck node keeps its slot only until
 * then, so it does not hold up the others. With --probe, the node's probes run last in its session
 * (afterCommands). Sessions are always closed (which deletes debug pods), also
 * when the run is interrupted.
 */
import { ChunkStore } from '../snapshot/chunk-store.js';
import type { GatherError, NodeState } from '../snapshot/schema.js';
import { storeNode } from '../snapshot/stored-node.js';
import { deadlinePassed, NodeDeadlineExceeded, nodeSignal, stopReason } from './deadline.js';
import { mapLimit } from './limit.js';
import { NODE_COMMAND_IDS, NODE_COMMANDS, type NodeCommandId } from '../snapshot/node-commands.js';
import { NodeAccessError, type NodeSession, type NodeShell, type NodeTarget } from './node/shell.js';
import type { Progress } from './gather-progress.js';
import type { NodeTally } from './node-tally.js';
import { boundMessage, formatBytes } from './untrusted-text.js';

export interface NodeGatherOptions {
  concurrency: number;
  signal: AbortSignal | undefined;
  /** One node's whole read (--node-timeout); absent, only `signal` (--timeout, Ctrl-C) ends it. */
  nodeTimeoutMs?: number | undefined;
  progress: Progress;
  /** Counts the nodes of the whole gathering as they end. */
  tally?: NodeTally | undefined;
  /** Runs after the node's fixed commands, in the same session, before it closes (--probe). */
  afterCommands?: ((node: string, session: NodeSession, signal: AbortSignal | undefined) => Promise<void>) | undefined;
}

const IPTABLES_DUMPS = ['iptables-legacy-save', 'iptables-nft-save', 'iptables-save'] as const;

export async function gatherNodes(shell: NodeShell, targets: NodeTarget[], opts: NodeGatherOptions): Promise<{ nodes: NodeState[]; errors: GatherError[] }> {
  const errors: GatherError[] = [];
  // Each node's outputs go to one store as soon as the node is read: identical text is kept once.
  const store = new ChunkStore();
  const states = await mapLimit(targets, opts.concurrency, async (target): Promise<NodeState | null> => {
    if (opts.signal?.aborted) {
      if (deadlinePassed(opts.signal)) errors.push(cutShort(target.name, 'not read', opts.signal));
      opts.tally?.done('failed');
      return null;
    }
    // A stuck node holds its slot only until its own deadline; the next node then takes the slot.
    const own = opts.nodeTimeoutMs === undefined ? { signal: opts.signal, dispose() {} } : nodeSignal(opts.signal, opts.nodeTimeoutMs, target.name);
    try {
      const { state, failed } = await readNode(target, own.signal);
      opts.tally?.done(failed ? 'failed' : 'read');
      return state;
    } finally {
      own.dispose();
    }
  });
  return { nodes: states.filter((s): s is NodeState => s !== null), errors };

  /** One node in its own session; `failed` when it could not be reached, was lost, or ran out of time. */
  async function readNode(target: NodeTarget, signal: AbortSignal | undefined): Promise<{ state: NodeState | null; failed: boolean }> {
    const id = `node:${target.name}`;
    opts.progress.start(id, `${target.name}: connecting (${shell.method})`);
    let session;
    try {
      session = await shell.open(target, signal);
    } catch (e) {
      if (!(e instanceof NodeAccessError)) throw e;
      errors.push(nodeError(e));
      opts.progress.fail(id, `${target.name}: ${e.what}: ${e.why}`);
      return { state: null, failed: true };
    }
    const state: NodeState = { name: target.name, address: target.address ?? null, access: shell.method, commands: {} };
    const planned = session.commands ?? NODE_COMMAND_IDS;
    let lost: NodeAccessError | undefined;
    try {
      for (const command of planned) {
        if (signal?.aborted) break;
        opts.progress.start(id, `${target.name}: ${NODE_COMMANDS[command].argv.join(' ')}`);
        const out = await session.run(command, signal);
        state.commands[command] = { argv: [...NODE_COMMANDS[command].argv], ...out };
        const cut = truncationError(state, command);
        if (cut !== null) errors.push(cut);
      }
      if (opts.afterCommands !== undefined && !signal?.aborted) {
        opts.progress.start(id, `${target.name}: probing`);
        await opts.afterCommands(target.name, session, signal);
      }
    } catch (e) {
      if (!(e instanceof NodeAccessError)) throw e;
      lost = e;
      errors.push(nodeError(e));
    } finally {
      await session.close();
    }
    const short = deadlinePassed(signal) && planned.some((c) => state.commands[c] === undefined || state.commands[c].exitCode === null);
    if (short) errors.push(cutShort(target.name, 'read only in part', signal));
    const problem = iptablesProblem(state);
    if (problem !== null) errors.push(problem);
    if (lost !== undefined) opts.progress.fail(id, `${target.name}: ${lost.what}: ${lost.why}`);
    else if (short) opts.progress.fail(id, `${target.name}: ${stopReason(signal)}`);
    else if (problem !== null) opts.progress.warn(id, `${target.name}: ${problem.why}`);
    else opts.progress.succeed(id, `${target.name}: read via ${shell.method}`);
    return { state: storeNode(store, state), failed: lost !== undefined || short };
  }
}

function cutShort(node: string, how: string, signal: AbortSignal | undefined): GatherError {
  const own = signal?.reason instanceof NodeDeadlineExceeded;
  return {
    stage: 'node', node, step: { kind: 'node' }, what: `read node ${node}`, why: `${how}: ${stopReason(signal)}`, code: 'deadline',
    hint: own ? 'the other nodes went on without it: check that the node answers, or raise --node-timeout' : 'raise --timeout, or read fewer nodes (--node NAME)',
  };
}

function nodeError(e: NodeAccessError): GatherError {
  return { stage: 'node', node: e.node, step: { kind: 'node' }, what: e.what, why: boundMessage(e.why), ...(e.hint ? { hint: boundMessage(e.hint) } : {}) };
}

/** A command whose output went past the limit: what was kept is a prefix, not the node's state. */
function truncationError(state: NodeState, id: NodeCommandId): GatherError | null {
  const out = state.commands[id];
  if (out?.truncated === undefined) return null;
  const limit = formatBytes(out.truncated.limitBytes);
  const cmd = out.argv.join(' ');
  if (state.access === 'files') {
    return {
      stage: 'node', node: state.name, step: { kind: 'node', command: id }, what: `read the --node-dump file for ${state.name}`, code: 'output-limit',
      why: `the ${cmd} dump is larger than ${limit}; np-doctor kept the first ${limit}, so it is not replayed`,
      hint: 'check that the file is an iptables-save dump; if it really is that large, raise --max-output',
    };
  }
  const streams = [out.truncated.stdout ? 'stdout' : '', out.truncated.stderr ? 'stderr' : ''].filter((s) => s !== '').join(' and ');
  return {
    stage: 'node', node: state.name, step: { kind: 'node', command: id }, what: `run ${cmd}`, code: 'output-limit',
    why: `"${cmd}" printed more than ${limit} on ${streams}; np-doctor kept the first ${limit}, so its output is not used as if complete`,
    hint: 'a node this large is unusual: check what fills the output; if it is real, raise --max-output',
  };
}

/** Without one readable iptables dump the node cannot be replayed: say so, with the command's own words. */
function iptablesProblem(state: NodeState): GatherError | null {
  const runs = IPTABLES_DUMPS.map((c) => state.commands[c]).filter((r) => r !== undefined);
  if (runs.length === 0 || runs.some((r) => r.exitCode === 0)) return null;
  // Cut commands have their own error already.
  if (runs.every((r) => r.truncated !== undefined)) return null;
  const first = runs.find((r) => r.stderr.trim() !== '') ?? runs[0]!;
  const said = boundMessage(first.stderr.trim().split('\n')[0] ?? '', 512);
  const sudo = /password is required|a terminal is required/.test(said);
  const denied = state.access === 'debug-pod' && /Permission denied|Operation not permitted/.test(said);
  const hint = sudo ? 'the user np-doctor runs the commands as needs passwordless sudo for exactly its root commands (see "sudo" in the README for the sudoers line), or log in as root'
    : denied ? 'the debug pod runs as root with only NET_ADMIN, NET_RAW and SYS_CHROOT; where a node needs more (SELinux, a strict AppArmor or seccomp profile) pass --debug-privileged'
    : undefined;
  return {
    stage: 'node', node: state.name, step: { kind: 'node' }, what: 'read iptables rules',
    why: `${first.argv.join(' ')} failed (${first.exitCode === null ? 'did not finish' : `exit ${first.exitCode}`})${said ? `: ${said}` : ''}`,
    ...(hint !== undefined ? { hint } : {}),
  };
}
