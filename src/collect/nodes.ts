/**
 * Reads every planned node through one NodeShell: a bounded number of nodes at once, every fixed
 * command in order, one session per node. A node that cannot be reached becomes a GatherError for
 * that node; the others still finish. Sessions are always closed (which deletes debug pods), also
 * when the run is interrupted.
 */
import type { GatherError, NodeState } from '../snapshot/schema.js';
import { mapLimit } from './limit.js';
import { NODE_COMMAND_IDS, NODE_COMMANDS } from './node/commands.js';
import { NodeAccessError, type NodeShell, type NodeTarget } from './node/shell.js';
import type { Progress } from './progress.js';

export interface NodeGatherOptions {
  concurrency: number;
  signal: AbortSignal | undefined;
  progress: Progress;
}

const IPTABLES_DUMPS = ['iptables-legacy-save', 'iptables-nft-save', 'iptables-save'] as const;

export async function gatherNodes(shell: NodeShell, targets: NodeTarget[], opts: NodeGatherOptions): Promise<{ nodes: NodeState[]; errors: GatherError[] }> {
  const errors: GatherError[] = [];
  const states = await mapLimit(targets, opts.concurrency, async (target): Promise<NodeState | null> => {
    const id = `node:${target.name}`;
    if (opts.signal?.aborted) return null;
    opts.progress.start(id, `${target.name}: connecting (${shell.method})`);
    let session;
    try {
      session = await shell.open(target, opts.signal);
    } catch (e) {
      if (!(e instanceof NodeAccessError)) throw e;
      errors.push(nodeError(e));
      opts.progress.fail(id, `${target.name}: ${e.what}: ${e.why}`);
      return null;
    }
    const state: NodeState = { name: target.name, address: target.address ?? null, access: shell.method, commands: {} };
    let lost: NodeAccessError | undefined;
    try {
      for (const command of session.commands ?? NODE_COMMAND_IDS) {
        if (opts.signal?.aborted) break;
        opts.progress.start(id, `${target.name}: ${NODE_COMMANDS[command].argv.join(' ')}`);
        const out = await session.run(command, opts.signal);
        state.commands[command] = { argv: [...NODE_COMMANDS[command].argv], ...out };
      }
    } catch (e) {
      if (!(e instanceof NodeAccessError)) throw e;
      lost = e;
      errors.push(nodeError(e));
    } finally {
      await session.close();
    }
    const problem = iptablesProblem(state);
    if (problem !== null) errors.push(problem);
    if (lost !== undefined) opts.progress.fail(id, `${target.name}: ${lost.what}: ${lost.why}`);
    else if (problem !== null) opts.progress.warn(id, `${target.name}: ${problem.why}`);
    else opts.progress.succeed(id, `${target.name}: read via ${shell.method}`);
    return state;
  });
  return { nodes: states.filter((s): s is NodeState => s !== null), errors };
}

function nodeError(e: NodeAccessError): GatherError {
  return { stage: 'node', node: e.node, what: e.what, why: e.why, ...(e.hint ? { hint: e.hint } : {}) };
}

/** Without one readable iptables dump the node cannot be replayed: say so, with the command's own words. */
function iptablesProblem(state: NodeState): GatherError | null {
  const runs = IPTABLES_DUMPS.map((c) => state.commands[c]).filter((r) => r !== undefined);
  if (runs.length === 0 || runs.some((r) => r.exitCode === 0)) return null;
  const first = runs.find((r) => r.stderr.trim() !== '') ?? runs[0]!;
  const said = first.stderr.trim().split('\n')[0] ?? '';
  const sudo = /password is required|a terminal is required/.test(said);
  return {
    stage: 'node', node: state.name, what: 'read iptables rules',
    why: `${first.argv.join(' ')} failed (${first.exitCode === null ? 'did not finish' : `exit ${first.exitCode}`})${said ? `: ${said}` : ''}`,
    ...(sudo ? { hint: 'the user np-doctor runs the commands as needs passwordless sudo for iptables-save, nft, ipset and ss (or run as root)' } : {}),
  };
}
