/**
 * Gathering at scale, through gather(), the real debug-pod shell and @kubernetes/client-node against
 * the fake API server: a node that never answers holds its slot only until --node-timeout, the
 * other nodes are read meanwhile, and the progress counts the nodes as they end.
 */
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { after, before, test } from 'node:test';
import { GatherDeadlineExceeded } from '../../src/collect/deadline.js';
import { gather, type GatherRequest } from '../../src/collect/gather.js';
import type { Progress } from '../../src/collect/gather-progress.js';
import { NODES_STEP } from '../../src/collect/node-tally.js';
import { apiClusterObjects } from '../support/api-cluster.js';
import { startFakeApiserver, type ExecResult, type FakeApiserver, type KubeObject } from '../support/fake-apiserver/index.js';
import { debugPodsIn } from '../support/fake-apiserver/resources.js';
import { testGatherRequest } from '../support/gather-request.js';

const STUCK = 'node-stuck';
const OTHERS = Array.from({ length: 20 }, (_, i) => `node-x${String(i + 1).padStart(2, '0')}`);

/** The lab's three nodes (three of the twenty that answer), the stuck one and 17 more: 21 in all. */
function objects(): KubeObject[] {
  const base = apiClusterObjects();
  const template = base.find((o) => o.kind === 'Node' && o.metadata.name === 'node-1')!;
  const extra = [STUCK, ...OTHERS.slice(3)].map((name, i) => {
    const n = structuredClone(template);
    n.metadata = { name, labels: { 'kubernetes.io/hostname': name } };
    (n.status as { addresses: unknown[] }).addresses = [{ type: 'InternalIP', address: `192.168.2.${i + 10}` }, { type: 'Hostname', address: name }];
    return n;
  });
  return [...base, ...extra];
}

let server: FakeApiserver;
let kubeconfig: string;

before(async () => {
  server = await startFakeApiserver({ objects: objects(), startDelayMs: 5, stopDelayMs: 5 });
  kubeconfig = await server.writeKubeconfig({ context: 'lab' });
});
after(() => server.stop());

/** Every progress call, in order. */
function recorder(): Progress & { calls: [string, string, string][] } {
  const calls: [string, string, string][] = [];
  return {
    calls,
    start: (id, text) => calls.push(['start', id, text]),
    succeed: (id, text) => calls.push(['succeed', id, text]),
    warn: (id, text) => calls.push(['warn', id, text]),
    fail: (id, text) => calls.push(['fail', id, text]),
    stop: () => {},
  };
}

const request = (o: Partial<GatherRequest>): GatherRequest => testGatherRequest(kubeconfig, {
  collect: 'debug-pod',
  nodes: { node: STUCK, allNodes: true },
  commandTimeoutMs: 60_000,
  timeoutMs: 120_000,
  debugPod: { namespace: undefined, image: 'busybox:test', activeDeadlineSeconds: 120, startTimeoutMs: 30_000, privileged: false, owner: { user: 'tester', host: hostname(), pid: process.pid } },
  progress: recorder(),
  ...o,
});

test('a node that never answers holds one slot; the 20 others are read meanwhile through the other, and the count says so', async () => {
  const hung: (() => void)[] = [];
  server.setExecHandler((pod, _c, argv) => {
    if ((pod.spec as { nodeName?: string }).nodeName === STUCK) {
      return new Promise<ExecResult>((resolve) => hung.push(() => resolve({ stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: 0 })));
    }
    return { stdout: Buffer.from(`${argv.slice(2).join(' ')}\n`), stderr: Buffer.alloc(0), exitCode: 0 };
  });
  // The test stands in for --timeout: it ends the gathering once the 20 others are read, so the
  // stuck node was still holding its slot when each of them finished.
  const stop = new AbortController();
  const progress = recorder();
  const succeeded = new Set<string>();
  const watch: Progress = {
    ...progress,
    succeed(id, text) {
      progress.succeed(id, text);
      if (id.startsWith('node:')) succeeded.add(id);
      if (succeeded.size === 20) stop.abort(new GatherDeadlineExceeded(120_000));
    },
  };
  try {
    const { snapshot, leftovers } = await gather(request({ progress: watch, signal: stop.signal }));
    assert.ok(hung.length > 0, 'the stuck node was asked and never answered');
    assert.deepEqual([...succeeded].sort(), ['node-1', 'node-2', 'node-3', ...OTHERS.slice(3)].map((n) => `node:${n}`).sort());
    for (const n of snapshot.nodes.filter((x) => x.name !== STUCK)) {
      assert.ok(Object.values(n.commands).every((c) => c.exitCode === 0), `${n.name} read in full`);
    }
    const cut = snapshot.errors.filter((e) => e.code === 'deadline');
    assert.deepEqual(cut.map((e) => [e.node, e.why]), [[STUCK, 'read only in part: the gathering did not finish within 2 min (--timeout)']]);
    assert.deepEqual(leftovers, []);
    assert.deepEqual(debugPodsIn(server.store), [], 'the stuck node\'s debug pod was deleted too');

    const counts = progress.calls.filter(([, id]) => id === NODES_STEP);
    assert.deepEqual(counts[0], ['start', NODES_STEP, 'nodes 0/21 read']);
    assert.deepEqual(counts[10], ['start', NODES_STEP, 'nodes 10/21 read']);
    assert.deepEqual(counts.at(-1), ['warn', NODES_STEP, 'nodes 20/21 read, 1 failed']);
    assert.equal(counts.length, 22, 'once before the first node ends, then once per node');
  } finally {
    for (const h of hung) h();
  }
});

test('--node-timeout frees the slot: with --parallel 1, the stuck node first, then the others in turn', async () => {
  const order: string[] = [];
  const hung: (() => void)[] = [];
  server.setExecHandler((pod) => {
    const node = (pod.spec as { nodeName?: string }).nodeName ?? '';
    if (!order.includes(node)) order.push(node);
    if (node === STUCK) return new Promise<ExecResult>((resolve) => hung.push(() => resolve({ stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: 0 })));
    return { stdout: Buffer.from('ok\n'), stderr: Buffer.alloc(0), exitCode: 0 };
  });
  try {
    const progress = recorder();
    const { snapshot } = await gather(request({ progress, nodeConcurrency: 1, nodeTimeoutMs: 1500, nodes: { node: STUCK, allNodes: false } }));
    assert.equal(order[0], STUCK);
    const cut = snapshot.errors.filter((e) => e.code === 'deadline');
    assert.deepEqual(cut.map((e) => [e.node, e.why]), [[STUCK, `read only in part: node ${STUCK} was not read within 1.5 s (--node-timeout)`]]);
    assert.match(cut[0]!.hint ?? '', /the other nodes went on without it/);
    assert.ok(progress.calls.some(([how, id, text]) => how === 'fail' && id === `node:${STUCK}` && text.endsWith('was not read within 1.5 s (--node-timeout)')));
    assert.equal(snapshot.nodes.filter((n) => n.name !== STUCK && Object.values(n.commands).every((c) => c.exitCode === 0)).length, order.length - 1);
    assert.ok(order.length >= 2, `the endpoint nodes after the stuck one were read: ${order.join(', ')}`);
    const last = progress.calls.filter(([, id]) => id === NODES_STEP).at(-1);
    assert.deepEqual(last, ['warn', NODES_STEP, `nodes ${order.length - 1}/${order.length} read, 1 failed`]);
  } finally {
    for (const h of hung) h();
  }
});
