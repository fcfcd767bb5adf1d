/**
 * One gathering's probes (--probe), in this order, which a lab test relies on:
 *   1. each node's probes run in that node's session right after its fixed commands (the socket
 *      listings are the last of them) and before the session closes, so they see the node as the
 *      dumps just did, or as it changed right after;
 *   2. the probes from here run once every node was read, so nothing np-doctor reads is disturbed
 *      by them and the wire is seen as close as possible to the report.
 * Every planned probe ends with one result, in the plan's order; a probe that was not sent says why.
 */
import { HERE, type Probe } from '../../snapshot/probe.js';
import { stopReason } from '../deadline.js';
import type { Progress } from '../gather-progress.js';
import { mapLimit } from '../limit.js';
import type { NodeSession } from '../node/shell.js';
import { admitProbes, type Admitted } from './admit.js';
import { connectOnce, sourceAddress, type Connected } from './from-here.js';
import { probeOnNode } from './on-node.js';
import type { PlannedProbe } from './plan.js';

/** Probes at once from one node (an SSH connection's channel slots), and from here. */
const NODE_PARALLEL = 4;
const HERE_PARALLEL = 8;

export class ProbeRun {
  readonly #planned: readonly PlannedProbe[];
  readonly #send: Admitted[];
  readonly #done = new Map<number, Probe>();

  constructor(planned: readonly PlannedProbe[], private readonly timeoutMs: number) {
    this.#planned = planned;
    const { send, notRun } = admitProbes(planned, now());
    this.#send = send;
    for (const [i, p] of notRun) this.#done.set(i, p);
  }

  /** Step 1: the node's probes, in its open session. */
  async onNode(node: string, session: NodeSession, signal: AbortSignal | undefined): Promise<void> {
    await mapLimit(this.#mine(node), NODE_PARALLEL, async (a) => {
      const at = now();
      this.#set(a, at, await probeOnNode(session, node, a, this.timeoutMs, signal));
    });
  }

  /** Step 2: the probes from here. */
  async fromHere(signal: AbortSignal | undefined, progress: Progress): Promise<void> {
    const mine = this.#mine(HERE);
    if (mine.length === 0) return;
    progress.start('probes', `probing from here: ${mine.length} TCP connect${mine.length === 1 ? '' : 's'}`);
    await mapLimit(mine, HERE_PARALLEL, async (a) => {
      const fromAddress = await sourceAddress(a.target);
      const at = now();
      this.#set(a, at, await connectOnce(a.target, this.timeoutMs, signal), fromAddress);
    });
    const answered = mine.filter((a) => this.#done.get(a.index)?.result === 'connected').length;
    progress.succeed('probes', `probed from here: ${answered} of ${mine.length} connected`);
  }

  /** Every planned probe with its result; one never sent says why (its node was not reached, or the run stopped). */
  probes(signal: AbortSignal | undefined): Probe[] {
    const at = now();
    return this.#planned.map((p, i) => this.#done.get(i) ?? {
      ...p, result: 'not-run', ms: null, at,
      detail: signal?.aborted === true ? `not sent: ${stopReason(signal)}` : `np-doctor had no session on ${p.from} to probe from (see the gathering errors)`,
    });
  }

  #mine(from: string): Admitted[] {
    return this.#send.filter((a) => a.probe.from === from);
  }

  #set(a: Admitted, at: string, c: Connected, fromAddress?: string | null): void {
    this.#done.set(a.index, {
      ...a.probe, ...(fromAddress !== undefined ? { fromAddress } : {}),
      result: c.result, ms: c.ms, at, ...(c.detail !== undefined ? { detail: c.detail } : {}),
    });
  }
}

const now = (): string => new Date().toISOString();
