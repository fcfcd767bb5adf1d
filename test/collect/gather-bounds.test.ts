/**
 * The bounds of a whole gathering, through gather() and the real @kubernetes/client-node against
 * the fake API server's faults: a list that never ends, a list too long, one deadline for
 * everything (API reads and debug pods, which are still deleted), huge Status messages, a debug pod
 * whose command prints too much, and a kubeconfig that turns TLS verification off.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { gather, type GatherRequest } from '../../src/collect/gather.js';
import { GatherFatalError } from '../../src/collect/kube/cluster.js';
import { DEBUG_POD_CAPABILITIES } from '../../src/collect/node/debug-pod-manifest.js';
import { apiClusterObjects } from '../support/api-cluster.js';
import { startFakeApiserver, type ExecResult, type FakeApiserver, type KubeObject } from '../support/fake-apiserver/index.js';
import { debugPodsIn } from '../support/fake-apiserver/resources.js';
import { testGatherRequest } from '../support/gather-request.js';

let server: FakeApiserver;
let kubeconfig: string;

before(async () => {
  server = await startFakeApiserver({ objects: apiClusterObjects(), startDelayMs: 20 });
  kubeconfig = await server.writeKubeconfig({ context: 'lab' });
});
after(() => server.stop());
beforeEach(() => {
  server.clearFaults();
  server.setExecHandler(undefined);
  server.setPodStart(() => 'Running');
});

const request = (o: Partial<GatherRequest> = {}): GatherRequest => testGatherRequest(kubeconfig, o);

test('a server that keeps handing out continue tokens: the list stops at the page cap, with a clear error, and the rest is read', async () => {
  const endless = server.endlessContinue({ path: /^\/api\/v1\/namespaces\/shop\/pods\?/ });
  // 1000 items at 500 a page is 2 full pages, plus 100 for the short pages a filtered list may return.
  const { snapshot } = await gather(request({ maxListItems: 1000 }));
  assert.equal(endless.hits, 102, 'exactly the page cap, then np-doctor stopped asking');
  const e = snapshot.errors.find((x) => x.what === 'list pods in namespace shop');
  assert.ok(e !== undefined, JSON.stringify(snapshot.errors));
  assert.equal(e.why, 'more than 102 pages: the API server kept handing out continue tokens without finishing the list');
  assert.equal(e.code, 'list-limit');
  assert.match(e.hint ?? '', /narrow the question .* or raise --max-list-items/);
  assert.deepEqual(snapshot.cluster.pods, [], 'a partial list is not kept');
  assert.equal(snapshot.cluster.nodes.length, 3, 'the other reads went on');
});

test('a list longer than --max-list-items is an error for that list, not a partial list', async () => {
  const { snapshot } = await gather(request({ maxListItems: 1 }));
  const e = snapshot.errors.find((x) => x.what === 'list nodes');
  assert.equal(e?.why, 'more than 1 items');
  assert.deepEqual(snapshot.cluster.nodes, []);
});

test('--timeout ends the whole gathering, however patient each request is', async () => {
  const slow = server.delay({ path: /^\/api\/v1\/nodes\?/, ms: 60_000 });
  const t0 = Date.now();
  await assert.rejects(gather(request({ timeoutMs: 500, requestTimeoutMs: 30_000 })), (e: unknown) => {
    assert.ok(e instanceof GatherFatalError, String(e));
    assert.equal(e.error.why, 'the gathering did not finish within 0.5 s (--timeout)');
    assert.equal(e.error.code, 'deadline');
    assert.match(e.error.hint ?? '', /raise --timeout/);
    return true;
  });
  assert.equal(slow.hits, 1);
  assert.ok(Date.now() - t0 < 10_000, `took ${Date.now() - t0} ms`);
});

test('the deadline reaches the nodes too: a hung debug-pod command is stopped, the node says why, and the pod is deleted', async () => {
  const hung: (() => void)[] = [];
  server.setExecHandler((_pod, _c, argv) =>
    argv.includes('uname') ? { stdout: Buffer.from('6.1.0\n'), stderr: Buffer.alloc(0), exitCode: 0 }
      : new Promise<ExecResult>((resolve) => hung.push(() => resolve({ stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: 0 }))));
  try {
    const { snapshot } = await gather(request({ collect: 'debug-pod', nodes: { node: 'node-1', allNodes: false }, timeoutMs: 2000 }));
    const cut = snapshot.errors.find((e) => e.node === 'node-1' && e.code === 'deadline');
    assert.equal(cut?.why, 'read only in part: the gathering did not finish within 2 s (--timeout)', JSON.stringify(snapshot.errors));
    const first = Object.values(snapshot.nodes[0]?.commands ?? {})[0];
    assert.match(first?.stderr ?? '', /np-doctor: the gathering did not finish within 2 s \(--timeout\)/);
    assert.deepEqual(debugPodsIn(server.store), [], 'the debug pod was deleted all the same');
  } finally {
    for (const h of hung) h();
  }
});

test('a debug pod command that prints more than the limit is cut, marked, reported, and the other commands still run', async () => {
  const created: KubeObject[] = [];
  server.setPodStart((pod) => {
    created.push(pod);
    return 'Running';
  });
  server.setExecHandler((_pod, _c, argv) => {
    if (argv.includes('iptables-nft-save')) return { stdout: Buffer.alloc(1024 * 1024, 'A'), stderr: Buffer.alloc(0), exitCode: 0 };
    return { stdout: Buffer.from(`${argv.slice(2).join(' ')}\n`), stderr: Buffer.alloc(0), exitCode: 0 };
  });
  const { snapshot } = await gather(request({ collect: 'debug-pod', nodes: { node: 'node-1', allNodes: false }, outputLimitBytes: 64 * 1024 }));
  const node = snapshot.nodes[0]!;
  const big = node.commands['iptables-nft-save']!;
  assert.deepEqual(big.truncated, { stdout: true, stderr: false, limitBytes: 65536 });
  assert.equal(big.stdout.length, 65536);
  assert.equal(big.exitCode, null);
  assert.match(big.stderr, /printed more than 64 KiB on stdout; np-doctor kept the first 64 KiB and stopped it/);
  assert.equal(node.commands['listening-sockets']?.exitCode, 0, 'the commands after it ran');
  const e = snapshot.errors.find((x) => x.node === 'node-1' && x.code === 'output-limit');
  assert.equal(e?.why, '"iptables-nft-save" printed more than 64 KiB on stdout; np-doctor kept the first 64 KiB, so its output is not used as if complete');
  assert.deepEqual(debugPodsIn(server.store), []);

  // The pod np-doctor asked for: least privilege.
  const pod = created[0] as unknown as { metadata: { annotations: Record<string, string> }; spec: { containers: { securityContext: unknown; resources: unknown; volumeMounts: unknown }[] } };
  const c = pod.spec.containers[0]!;
  assert.deepEqual(c.securityContext, {
    privileged: false, runAsUser: 0, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'], add: [...DEBUG_POD_CAPABILITIES] },
  });
  assert.deepEqual(c.volumeMounts, [{ name: 'host', mountPath: '/host', readOnly: true, recursiveReadOnly: 'IfPossible' }]);
  assert.deepEqual(c.resources, { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '1', memory: '1Gi' } });
  assert.equal(pod.metadata.annotations['np-doctor.dev/user'], 'tester');
  assert.equal(pod.metadata.annotations['np-doctor.dev/host'], hostname());
  assert.equal(pod.metadata.annotations['np-doctor.dev/pid'], String(process.pid));
});

test('--debug-privileged asks for a privileged container instead', async () => {
  const created: KubeObject[] = [];
  server.setPodStart((pod) => {
    created.push(pod);
    return 'Running';
  });
  server.setExecHandler(() => ({ stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: 0 }));
  const base = request();
  await gather(request({ collect: 'debug-pod', nodes: { node: 'node-1', allNodes: false }, debugPod: { ...base.debugPod, privileged: true } }));
  const c = (created[0]?.spec as { containers: { securityContext: unknown }[] }).containers[0];
  assert.deepEqual(c?.securityContext, { privileged: true, readOnlyRootFilesystem: true });
});

test('an API server message of any size is kept as data, cut at 4 KiB, and says it was cut', async () => {
  server.fail({ path: /configmaps\/coredns$/, status: 500, message: `\u001b[31mboom ${'x'.repeat(100_000)}` });
  const { snapshot } = await gather(request());
  const e = snapshot.errors.find((x) => x.what === 'get configmaps coredns in namespace kube-system');
  assert.ok(e !== undefined);
  assert.ok(Buffer.byteLength(e.why) < 4096 + 100, `${Buffer.byteLength(e.why)} bytes`);
  assert.ok(e.why.startsWith('InternalError (500): Internal error occurred: \u001b[31mboom xxx'), 'kept as data: the escape is for the display to show safely');
  assert.match(e.why, /x… \[np-doctor cut \d+ more bytes\]$/);
});

test('a kubeconfig with insecure-skip-tls-verify works, is warned about, and is recorded in the snapshot', async () => {
  const file = join(server.dir, 'insecure.json');
  await writeFile(file, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'lab',
    clusters: [{ name: 'lab', cluster: { server: server.url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'lab', user: { token: server.token } }],
    contexts: [{ name: 'lab', context: { cluster: 'lab', user: 'lab' } }],
  }));
  const warnings: string[] = [];
  const { snapshot } = await gather(request({ kubeconfig: { kubeconfig: file, env: {}, homeDir: '/nonexistent' }, onWarning: (m) => warnings.push(m) }));
  assert.equal(snapshot.source.insecureSkipTlsVerify, true);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /sets insecure-skip-tls-verify for https:\/\/127\.0\.0\.1:\d+: its certificate is not checked/);
  assert.deepEqual(snapshot.errors, []);

  const verified = await gather(request());
  assert.equal(verified.snapshot.source.insecureSkipTlsVerify, undefined, 'absent when the certificate is verified');
});
