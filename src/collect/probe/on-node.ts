/**
 * Probes a node sends through the session np-doctor already has open on it (SSH, debug pod, local):
 * the probe command of snapshot/probe.ts, its exit status and last stderr line read as a result.
 */
import { performance } from 'node:perf_hooks';
import { probeOutcome } from '../../snapshot/probe.js';
import { stopReason } from '../deadline.js';
import { NodeAccessError, type NodeSession } from '../node/shell.js';
import { boundMessage } from '../untrusted-text.js';
import type { Admitted } from './admit.js';
import type { Connected } from './from-here.js';

/** The node's words in a probe's detail: one line is all a probe prints. */
const DETAIL_BYTES = 512;

export async function probeOnNode(session: NodeSession, node: string, a: Admitted, timeoutMs: number, signal?: AbortSignal): Promise<Connected> {
  // A function, so the second look is not narrowed away by the first.
  const aborted = () => signal?.aborted === true;
  if (aborted()) return { result: 'not-run', ms: null, detail: `not sent: ${stopReason(signal)}` };
  if (session.probe === undefined) {
    return { result: 'not-run', ms: null, detail: `${node} was read from a --node-dump file: np-doctor has no shell there to probe from` };
  }
  const t0 = performance.now();
  try {
    const out = await session.probe(a.target, timeoutMs, signal);
    const ms = performance.now() - t0;
    if (aborted()) return { result: 'not-run', ms: null, detail: `stopped before an answer: ${stopReason(signal)}` };
    const { result, detail } = probeOutcome(out);
    return { result, ms, ...(detail !== undefined ? { detail: boundMessage(detail, DETAIL_BYTES) } : {}) };
  } catch (e) {
    if (!(e instanceof NodeAccessError)) throw e;
    return { result: 'error', ms: null, detail: boundMessage(`${e.what}: ${e.why}`, DETAIL_BYTES) };
  }
}
