/**
 * Real connections from the client namespace, compared with what should happen: every try
 * `delivered` (to one of `pods`), `refused` or `timeout`. A lab that is broken in another way
 * (no route, a dead server) fails here rather than agreeing with np-doctor by accident.
 */
import assert from 'node:assert/strict';
import type { KernelResult } from '../../kernel/lab/scenario.js';
import type { RealCluster } from '../../support/k8s-lab/cluster.js';

export async function expectConnections(c: RealCluster, ip: string, port: number, result: KernelResult, pods: string[] = []): Promise<void> {
  const tries = await c.connect(ip, port, { tries: 2 });
  const seen = tries.map((t) => (t.result === 'delivered' ? `delivered by ${t.pod}` : t.result));
  assert.ok(tries.every((t) => t.result === result), `${ip}:${port} from the client: want ${result}, got ${seen.join(', ')}`);
  if (result === 'delivered' && pods.length > 0) {
    for (const t of tries) assert.ok(pods.includes(t.pod ?? ''), `${ip}:${port} answered by ${t.pod}, not one of ${pods.join(', ')}`);
  }
}
