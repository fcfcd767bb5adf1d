/**
 * --exec-agent against the fake API server, through the real @kubernetes/client-node: what is read
 * about Cilium (cilium-config, its one key; the agent pods), the fixed read-only command run in the
 * agent pod on each node read (WebSocket pods/exec in kube-system), and a refused exec or
 * cilium-config recorded as the RBAC it needs. Off by default: without the flag nothing is exec'd.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ciliumTableOn } from '../../src/model/cilium-services.js';
import { loadSnapshot } from '../../src/snapshot/file.js';
import { apiCluster, apiClusterObjects } from '../support/api-cluster.js';
import { startFakeApiserver, type FakeApiserver, type KubeObject } from '../support/fake-apiserver/index.js';
import { runMain } from '../support/run-main.js';
import { ciliumCluster, ciliumObjects } from '../support/scenario-kit/index.js';
import { NODE_A_DUMP } from '../support/snapshot-builder.js';

const TABLE = [{ spec: { id: 1, 'frontend-address': { ip: '0.0.0.0', port: 30080, protocol: 'tcp', scope: 'external' }, 'backend-addresses': [{ ip: '10.244.1.2', port: 8080, state: 'active' }], flags: { type: 'NodePort', name: 'frontend', namespace: 'shop' } } }];

let server: FakeApiserver;
let kubeconfig: string;
const execs: { pod: string; container: string; argv: string[] }[] = [];
const dir = mkdtempSync(join(tmpdir(), 'npd-agents-'));
const dump = join(dir, 'node-1.rules');
writeFileSync(dump, NODE_A_DUMP);
const spec = ciliumCluster(apiCluster());

before(async () => {
  server = await startFakeApiserver({
    objects: [...apiClusterObjects(spec), ...(ciliumObjects(spec) as KubeObject[])],
    execHandler: (pod, container, argv) => {
      execs.push({ pod: pod.metadata.name, container, argv });
      return { stdout: Buffer.from(JSON.stringify(TABLE)), stderr: Buffer.alloc(0), exitCode: 0 };
    },
  });
  kubeconfig = await server.writeKubeconfig({ context: 'lab', namespace: 'shop' });
});
after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const snapshot = async (name: string, extra: string[], nodes = ['--node-dump', `node-1=${dump}`]) => {
  const file = join(dir, `${name}.json`);
  const r = await runMain(['snapshot', 'svc/frontend', '--kubeconfig', kubeconfig, '--collect', 'none', ...nodes, ...extra, '-o', file], { HOME: dir });
  return { r, file, snap: r.code === 0 || r.code === 3 ? await loadSnapshot(file) : null };
};

test('without --exec-agent: cilium-config (only its kube-proxy-replacement key) and the agent pods are read, nothing is exec\'d', async () => {
  server.clearFaults();
  execs.length = 0;
  const { r, snap } = await snapshot('plain', []);
  assert.equal(r.code, 0, r.err);
  const pr = snap?.cluster.proxyReplacement;
  assert.deepEqual(pr?.ciliumConfig?.data, { 'kube-proxy-replacement': 'true' });
  assert.deepEqual(pr?.agentPods.map((p) => `${(p.spec as { nodeName: string }).nodeName} ${p.metadata.labels?.['k8s-app']}`).sort(), ['node-1 cilium', 'node-2 cilium', 'node-3 cilium']);
  assert.equal(pr?.agentOutputs, undefined);
  assert.deepEqual(execs, []);
  assert.equal(server.requests.filter((q) => q.upgrade).length, 0);
});

test('--exec-agent: the fixed command in container cilium-agent of the agent on each node read, stored and read back as the table', async () => {
  server.clearFaults();
  execs.length = 0;
  const { r, snap } = await snapshot('exec', ['--exec-agent']);
  assert.equal(r.code, 0, r.err);
  const agent = snap?.cluster.proxyReplacement?.agentPods.find((p) => (p.spec as { nodeName: string }).nodeName === 'node-1')?.metadata.name;
  assert.ok(agent !== undefined);
  assert.deepEqual(execs, [{ pod: agent, container: 'cilium-agent', argv: ['cilium-dbg', 'service', 'list', '-o', 'json'] }], 'node-1 only: the one node read');
  const table = ciliumTableOn(snap?.cluster.proxyReplacement?.agentOutputs, 'node-1');
  assert.equal(table.state, 'read');
  assert.deepEqual(table.state === 'read' ? table.services.map((s) => [s.type, s.frontend.port, s.backends.length]) : null, [['NodePort', 30080, 1]]);
});

test('--exec-agent refused by RBAC: a gather error naming pods/exec in kube-system and the verbs to grant; exit 3', async () => {
  server.clearFaults();
  execs.length = 0;
  server.fail({ path: /^\/api\/v1\/namespaces\/kube-system\/pods\/cilium-[a-z]+\/exec/, status: 403 });
  const { r, snap } = await snapshot('refused', ['--exec-agent']);
  assert.equal(r.code, 3, r.err);
  assert.deepEqual(execs, []);
  const [e, ...more] = snap?.errors ?? [];
  assert.deepEqual(more, []);
  assert.match(e?.what ?? '', /^create pods\/exec cilium-[a-z]+ in namespace kube-system$/);
  // client-node's WebSocket exec reports only the upgrade's status line.
  assert.equal(e?.why, 'Unexpected server response: 403');
  assert.equal(e?.hint, '--exec-agent needs create and get on pods/exec in kube-system (see "RBAC" in the README), or leave it out');
  assert.deepEqual(snap?.cluster.proxyReplacement?.agentOutputs, []);
});

test('cilium-config refused (a Role from an older README): noted beside the agent pods, not a gather error', async () => {
  server.clearFaults();
  server.fail({ path: /^\/api\/v1\/namespaces\/kube-system\/configmaps\/cilium-config/, status: 403 });
  const { r, snap } = await snapshot('no-config', []);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(snap?.errors, []);
  const pr = snap?.cluster.proxyReplacement;
  assert.equal(pr?.ciliumConfig, null);
  assert.match(pr?.ciliumConfigRefused ?? '', /cilium-config.*forbidden|forbidden.*cilium-config/);
  assert.equal(pr?.agentPods.length, 3);
});

test('--exec-agent without node access (--collect none): the agents on the nodes the question concerns; diagnose names Cilium from the API and compares its tables', async () => {
  server.clearFaults();
  execs.length = 0;
  const { r, file } = await snapshot('api-only', ['--exec-agent'], []);
  assert.equal(r.code, 0, r.err);
  // The Service's endpoint nodes (node-2, node-3), as planned for a gathering with node access.
  assert.equal(execs.length, 2);
  const d = await runMain(['diagnose', 'svc/frontend', '-n', 'shop', '--snapshot', file, '-o', 'json'], { HOME: dir });
  const report = JSON.parse(d.out) as { findings: { id: string; node?: string; message: string }[]; verdict: { nodes: { result: string }[] } };
  assert.deepEqual(report.findings.map((f) => f.id), ['kube-proxy-replaced'], d.out);
  assert.match(report.findings[0]?.message ?? '', /^Cilium replaces kube-proxy on node-1, node-2 and node-3 \(cilium-config kube-proxy-replacement: true, agent pod cilium-[a-z]+\)/);
  assert.ok(report.verdict.nodes.every((n) => n.result === 'indeterminate'));
  assert.equal(d.code, 3, 'undecided replays: no clean bill');
});
