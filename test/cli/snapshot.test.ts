/**
 * `np-doctor snapshot` and `np-doctor cleanup` in-process against the fake API server (no root:
 * nodes come from --node-dump files). The SSH and debug-pod paths run in test/e2e as root.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Io } from '../../src/cli/io.js';
import { main } from '../../src/main.js';
import { loadSnapshot } from '../../src/snapshot/file.js';
import { buildClusterFixture, TWO_NODE_CLUSTER } from '../support/cluster-fixture.js';
import { startFakeApiserver, type FakeApiserver } from '../support/fake-apiserver/index.js';
import { debugPodsIn } from '../support/fake-apiserver/resources.js';
import { NODE_A_DUMP } from '../support/snapshot-builder.js';

let server: FakeApiserver;
let kubeconfig: string;
const dir = mkdtempSync(join(tmpdir(), 'npd-snapcli-'));
const dump = join(dir, 'node-a.rules');
writeFileSync(dump, NODE_A_DUMP);

before(async () => {
  server = await startFakeApiserver({ objects: buildClusterFixture(TWO_NODE_CLUSTER) });
  kubeconfig = await server.writeKubeconfig({ context: 'lab', namespace: 'shop' });
});
after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { stdout: (s) => (out += s), stderr: (s) => (err += s), env: { HOME: dir }, isTTY: false };
  const code = await main(args, io);
  return { code, out, err };
}

test('snapshot from the API plus a dump file; the namespace comes from the context', async () => {
  server.clearFaults();
  const file = join(dir, 'a.json.gz');
  const r = await run(['snapshot', 'svc/frontend', '--kubeconfig', kubeconfig, '--collect', 'none', '--node-dump', `node-a=${dump}`, '-o', file]);
  assert.equal(r.code, 0, r.err);
  const snap = await loadSnapshot(file);
  assert.deepEqual(snap.target, { namespace: 'shop', service: 'frontend' });
  assert.deepEqual(snap.nodes.map((n) => [n.name, n.access, Object.keys(n.commands)]), [['node-a', 'files', ['iptables-save']]]);
  assert.equal(snap.nodes[0]?.address, '192.168.49.2', 'a dump file\'s node keeps its InternalIP, so a replay knows what is local');
  assert.deepEqual(snap.errors, [], '--collect none plans no node access, so no "choose nodes" notes');
  assert.equal(snap.source.context, 'lab');
  assert.match(snap.source.server ?? '', /^https:\/\/127\.0\.0\.1:\d+$/);
});

test('a 403 is reported with what RBAC refused; the snapshot is still written, exit 3', async () => {
  server.clearFaults();
  server.fail({ path: /^\/api\/v1\/nodes\?/, status: 403 });
  const file = join(dir, 'b.json');
  const r = await run(['snapshot', 'svc/frontend', '-n', 'shop', '--kubeconfig', kubeconfig, '--collect', 'none', '-o', file]);
  server.clearFaults();
  assert.equal(r.code, 3);
  assert.match(r.err, /1 problem while gathering:\n {2}✗ list nodes: Forbidden \(403\): nodes is forbidden: User ".*" cannot list resource "nodes" in API group "" at the cluster scope\n {6}→ np-doctor needs "list" on nodes/);
  assert.equal((await loadSnapshot(file)).errors[0]?.code, 403);
});

test('a Service that does not exist: exit 3, nothing written, the error says so', async () => {
  const file = join(dir, 'c.json');
  const r = await run(['snapshot', 'svc/fronted', '-n', 'shop', '--kubeconfig', kubeconfig, '--collect', 'none', '-o', file]);
  assert.equal(r.code, 3);
  assert.match(r.err, /cannot gather: get services fronted in namespace shop: service "fronted" not found in namespace "shop"/);
  assert.equal(existsSync(file), false);
});

test('--redact -o - prints a redacted snapshot on stdout', async () => {
  const r = await run(['snapshot', 'svc/frontend', '-n', 'shop', '--kubeconfig', kubeconfig, '--collect', 'none', '--node-dump', `node-a=${dump}`, '--redact', '-o', '-']);
  assert.equal(r.code, 0, r.err);
  const doc = JSON.parse(r.out) as { redacted: boolean; target: { service: string } };
  assert.equal(doc.redacted, true);
  assert.match(doc.target.service, /^svc-\d+$/);
  assert.doesNotMatch(r.out, /frontend|node-a|"shop"/);
});

test('cleanup deletes leftover debug pods in every namespace, and says when there are none', async () => {
  const leftover = (ns: string, name: string) => server.store.put({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels: { 'app.kubernetes.io/managed-by': 'np-doctor', 'app.kubernetes.io/name': 'np-doctor-node-reader' } },
    spec: { nodeName: 'node-a', containers: [{ name: 'reader', image: 'busybox:1.37' }] }, status: { phase: 'Running' },
  });
  leftover('default', 'np-doctor-node-a-x1');
  leftover('ops', 'np-doctor-node-b-x2');
  const dry = await run(['cleanup', '--kubeconfig', kubeconfig, '--dry-run']);
  assert.equal(dry.out, 'would delete pod default/np-doctor-node-a-x1\nwould delete pod ops/np-doctor-node-b-x2\n');
  const r = await run(['cleanup', '--kubeconfig', kubeconfig]);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'deleted pod default/np-doctor-node-a-x1\ndeleted pod ops/np-doctor-node-b-x2\n');
  assert.deepEqual(debugPodsIn(server.store), []);
  assert.equal((await run(['cleanup', '--kubeconfig', kubeconfig])).out, 'no np-doctor debug pods\n');
});

test('snapshot usage errors exit 2 and say what to fix', async () => {
  assert.match((await run(['snapshot', 'svc/frontend'])).err, /-o FILE is required/);
  const r = await run(['snapshot', 'svc/frontend', '-o', join(dir, 'x.json'), '--collect', 'telepathy']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--collect telepathy: use ssh, debug-pod, local, none/);
  assert.match((await run(['snapshot', '-o', 'x', '--node-dump', 'node-a'])).err, /--node-dump node-a: expected NODE=FILE/);
});
