/**
 * Counting what the lab's pods really received. A pod's server logs every TCP connection with the
 * token the client sent, or none (`token: null`) when the peer only connected and closed, as
 * np-doctor's probes do (snapshot/probe.ts); the lab's own clients always send a token.
 *
 * The servers log asynchronously, so a count is taken behind a barrier: one connection with a
 * token of its own to each pod, from the pod's node, after whatever is being counted has finished.
 * Its log line needs a round trip (the server writes first, the client then sends the token), so
 * every connection that ended before it is logged before it.
 */
import assert from 'node:assert/strict';
import { tokenOf } from '../../kernel/lab/client.js';
import type { RealCluster } from '../../support/k8s-lab/cluster.js';
import type { LabPod } from '../../support/k8s-lab/pods.js';
import { waitFor } from '../../support/k8s-lab/processes.js';
import { connectFromNode } from './connect.js';

/** Where the count starts: logs after this index. */
export const logMark = (c: RealCluster): number => c.pods.logs.length;

/** TCP connections to `pods` (each listening on `port`) since `mark` that sent nothing. */
export async function silentConnections(c: RealCluster, pods: LabPod[], port: number, mark: number): Promise<number> {
  const names = new Set(pods.map((p) => p.name));
  for (const p of pods) {
    const t = await connectFromNode(c, p.node, p.ip, port);
    assert.equal(t.result, 'delivered', `the count's barrier could not reach ${p.name} at ${p.ip}:${port}: ${JSON.stringify(t)}`);
    const token = tokenOf(0, t.sport);
    await waitFor(`${p.name} to log the barrier ${token}`, () => c.pods.logs.slice(mark).some((l) => l.token === token), { timeoutMs: 10_000 });
  }
  return c.pods.logs.slice(mark).filter((l) => l.proto === 'tcp' && l.token === null && names.has(l.pod)).length;
}
