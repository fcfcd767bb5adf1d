/**
 * Real connections from the client namespace, compared with what should happen: every try
 * `delivered` (to one of `pods`), `refused` or `timeout`; and single connects from where np-doctor
 * runs (the machine's namespace). A lab that is broken in another way
 * (no route, a dead server) fails here rather than agreeing with np-doctor by accident.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { probe, reserveSports, type TryResult } from '../../kernel/lab/client.js';
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

/** One TCP connect from this process (the machine's namespace, where np-doctor runs), closed at once. */
export function connectFromHere(ip: string, port: number, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host: ip, port });
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    const finish = (r: string) => {
      clearTimeout(timer);
      s.destroy();
      resolve(r);
    };
    s.once('connect', () => finish('connected'));
    s.once('error', (e: NodeJS.ErrnoException) => finish(e.code === 'ECONNREFUSED' ? 'refused' : e.code ?? e.message));
  });
}

/** One connection from node k's namespace to `ip:port` (it sends a token), as the lab's client makes it. */
export async function connectFromNode(c: RealCluster, k: number, ip: string, port: number, proto: 'tcp' | 'udp' = 'tcp'): Promise<TryResult> {
  const sportBase = reserveSports(1);
  const [t] = await probe({ ns: c.nodes[k]!.ns, proto, ip, port, minTries: 1, maxTries: 1, want: [], sportBase });
  if (t === undefined) throw new Error(`the lab client made no try to ${ip}:${port}`);
  return t;
}
