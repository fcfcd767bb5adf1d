/**
 * Cluster gathering through the real @kubernetes/client-node against the fake API server:
 * what is read, pagination, and how refusals and failures become gather errors.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeKubeApi, type KubeApi } from '../../src/collect/kube/api.js';
import { gatherCluster, GatherFatalError } from '../../src/collect/kube/cluster.js';
import { resolveKubeconfig } from '../../src/collect/kube/kubeconfig.js';
import { SILENT } from '../../src/collect/gather-progress.js';
import { apiClusterObjects } from '../support/api-cluster.js';
import { resourceAt, startFakeApiserver, type FakeApiserver } from '../support/fake-apiserver/index.js';

let server: FakeApiserver;
let kubeconfig: string;

before(async () => {
  server = await startFakeApiserver({ objects: apiClusterObjects() });
  kubeconfig = await server.writeKubeconfig({ context: 'lab' });
});
after(() => server.stop());

async function api(o: { timeoutMs?: number; pageSize?: number } = {}): Promise<KubeApi> {
  const kube = await resolveKubeconfig({ kubeconfig, env: {}, homeDir: '/nonexistent' });
  return makeKubeApi(kube.kc, kube.server, o.timeoutMs ?? 5000, undefined, o.pageSize);
}

const FRONTEND = { namespace: 'shop', service: 'frontend' };

test('one Service: its slices and pods, the nodes, the namespace policies, kube-proxy, CoreDNS and the NodePort range', async () => {
  server.clearFaults();
  const { cluster, errors } = await gatherCluster(await api(), FRONTEND, SILENT);
  assert.deepEqual(errors, []);
  assert.deepEqual(cluster.services.map((s) => `${s.metadata.namespace}/${s.metadata.name}`), ['shop/frontend']);
  assert.equal((cluster.services[0]!.spec as { type: string }).type, 'NodePort');
  assert.ok(cluster.endpointSlices.length > 0 && cluster.endpointSlices.every((s) => s.metadata.labels?.['kubernetes.io/service-name'] === 'frontend'));
  // The whole namespace: nearest misses of a selector and NetworkPolicy podSelector peers are among the others.
  assert.deepEqual(cluster.pods.map((p) => p.metadata.labels?.app), ['backend', 'frontend', 'frontend'], 'every pod of the namespace');
  assert.ok((cluster.namespaces ?? []).some((n) => n.metadata.name === 'shop'), 'the Namespaces, for namespaceSelector labels');
  assert.deepEqual(cluster.nodes.map((n) => n.metadata.name), ['node-1', 'node-2', 'node-3']);
  assert.ok(cluster.networkPolicies.length > 0 && cluster.networkPolicies.every((p) => p.metadata.namespace === 'shop'));
  // Wire form: NetworkPolicy rules say `from` (client-node's models say `_from`), kinds are set.
  assert.match(JSON.stringify(cluster.networkPolicies), /"from":/);
  assert.doesNotMatch(JSON.stringify(cluster.networkPolicies), /"_from"/);
  assert.equal(cluster.pods[0]!.kind, 'Pod');
  assert.deepEqual(cluster.kubeProxy.config && { ...cluster.kubeProxy.config, source: undefined }, {
    mode: 'iptables', clusterCIDR: '10.244.0.0/16', nodePortAddresses: null, masqueradeBit: 14, localhostNodePorts: true, source: undefined,
  });
  assert.equal(cluster.kubeProxy.pods.length, 3);
  assert.ok(cluster.kubeProxy.daemonSet !== null && cluster.coreDns.deployment !== null && cluster.coreDns.service !== null);
  assert.ok(cluster.coreDns.endpointSlices.length > 0);
  assert.equal(cluster.apiServer.serviceNodePortRange, '30000-32767');
  assert.doesNotMatch(JSON.stringify(cluster), /managedFields|last-applied-configuration/);
});

test('lists are read page by page, and a 410 Expired restarts the list', async () => {
  server.clearFaults();
  const seen = server.requests.length;
  const { cluster } = await gatherCluster(await api({ pageSize: 1 }), FRONTEND, SILENT);
  assert.equal(cluster.nodes.length, 3);
  const nodeLists = server.requests.slice(seen).filter((r) => r.path === '/api/v1/nodes');
  assert.deepEqual(nodeLists.map((r) => [r.query.get('limit'), r.query.has('continue')]), [['1', false], ['1', true], ['1', true]]);

  const expired = server.fail({ path: /^\/api\/v1\/nodes\?/, status: 410, times: 1 });
  const again = await gatherCluster(await api(), FRONTEND, SILENT);
  assert.equal(expired.hits, 1);
  assert.equal(again.cluster.nodes.length, 3, 'the restarted list is complete');
  assert.deepEqual(again.errors, []);
});

test('a 403 names the verb and resource RBAC refused, and gathering goes on without it', async () => {
  server.clearFaults();
  server.fail({ path: /networkpolicies/, status: 403 });
  const { cluster, errors } = await gatherCluster(await api(), FRONTEND, SILENT);
  assert.equal(errors.length, 1);
  const e = errors[0]!;
  assert.equal(e.what, 'list networkpolicies.networking.k8s.io in namespace shop');
  assert.deepEqual(e.step, { kind: 'api', verb: 'list', resource: 'networkpolicies.networking.k8s.io', namespace: 'shop' }, 'the words, as data');
  assert.equal(e.code, 403);
  assert.match(e.why, /Forbidden \(403\): networkpolicies.networking.k8s.io is forbidden: User ".*" cannot list resource "networkpolicies"/);
  assert.match(e.hint ?? '', /needs "list" on networkpolicies.networking.k8s.io; see "RBAC" in the README/);
  assert.equal(cluster.networkPolicies.length, 0);
  assert.equal(cluster.nodes.length, 3, 'the rest was read');
  server.clearFaults();
});

test('a 500 on an optional object is an error for that object only', async () => {
  server.clearFaults();
  server.fail({ path: /configmaps\/coredns$/, status: 500 });
  const { cluster, errors } = await gatherCluster(await api(), FRONTEND, SILENT);
  assert.deepEqual(errors.map((e) => [e.what, e.code]), [['get configmaps coredns in namespace kube-system', 500]]);
  assert.deepEqual(errors[0]?.step, { kind: 'api', verb: 'get', resource: 'configmaps', namespace: 'kube-system', name: 'coredns' });
  assert.equal(cluster.coreDns.corefile, null);
  assert.ok(cluster.kubeProxy.config !== null);
  server.clearFaults();
});

test('a missing Service stops gathering with a clear error', async () => {
  server.clearFaults();
  await assert.rejects(gatherCluster(await api(), { namespace: 'shop', service: 'frontedn' }, SILENT), (e: unknown) =>
    e instanceof GatherFatalError && e.error.why === 'service "frontedn" not found in namespace "shop"' && /kubectl get services -n shop/.test(e.error.hint ?? ''));
});

test('a slow API server hits the request timeout and says so', async () => {
  server.clearFaults();
  server.delay({ path: /\/services\/frontend$/, ms: 3000 });
  await assert.rejects(gatherCluster(await api({ timeoutMs: 300 }), FRONTEND, SILENT), (e: unknown) =>
    e instanceof GatherFatalError && /no answer from https:\/\/127\.0\.0\.1:\d+ within 0\.3 s/.test(e.error.why));
  server.clearFaults();
});

test('no Service name: every NodePort Service of the namespace, and the namespace\'s pods', async () => {
  server.clearFaults();
  const { cluster } = await gatherCluster(await api(), { namespace: 'shop', service: null }, SILENT);
  assert.deepEqual(cluster.services.map((s) => s.metadata.name), ['frontend'], 'backend is ClusterIP');
  assert.deepEqual(cluster.pods.map((p) => p.metadata.labels?.app), ['backend', 'frontend', 'frontend']);
});

test('a Service without a selector: its EndpointSlices and the namespace\'s pods', async () => {
  server.clearFaults();
  const backendPod = server.store.entries(resourceAt('', 'v1', 'pods')!, 'shop').map(([, p]) => p).find((p) => p.metadata.labels?.app === 'backend')!;
  server.store.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'nosel', namespace: 'shop' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort: 30099 }] } });
  server.store.put({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'nosel-1', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'nosel' } },
    addressType: 'IPv4', endpoints: [{ addresses: ['10.244.1.9'], targetRef: { kind: 'Pod', name: backendPod.metadata.name, namespace: 'shop' } }] });
  const { cluster } = await gatherCluster(await api(), { namespace: 'shop', service: 'nosel' }, SILENT);
  assert.deepEqual(cluster.endpointSlices.map((s) => s.metadata.name), ['nosel-1']);
  assert.ok(cluster.pods.some((p) => p.metadata.name === backendPod.metadata.name), 'the pod the slice names');
});

test('an unreachable API server is fatal and names the address', async () => {
  const a = await api();
  await server.stop();
  await assert.rejects(gatherCluster(a, FRONTEND, SILENT), (e: unknown) => e instanceof GatherFatalError && /connection refused.*127\.0\.0\.1/.test(e.error.why));
  server = await startFakeApiserver({ objects: apiClusterObjects() });
});
