/**
 * `-A` over NodePort Services in several namespaces, through the real @kubernetes/client-node
 * against the fake API server: one list of each kind for the whole cluster (as `kubectl get -A`),
 * not one per namespace, and only the namespaces with a NodePort Service are kept.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { makeKubeApi, type KubeApi } from '../../src/collect/kube/api.js';
import { gatherCluster } from '../../src/collect/kube/cluster.js';
import { resolveKubeconfig } from '../../src/collect/kube/kubeconfig.js';
import { SILENT } from '../../src/collect/gather-progress.js';
import { apiClusterObjects } from '../support/api-cluster.js';
import { startFakeApiserver, type FakeApiserver, type KubeObject } from '../support/fake-apiserver/index.js';

/** A second namespace with a NodePort Service, and a third with only a pod and a policy. */
function objects(): KubeObject[] {
  const ns = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  const pod = (namespace: string, name: string): KubeObject => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels: { app: name } },
    spec: { nodeName: 'node-2', containers: [{ name: 'c', image: 'nginx' }] }, status: { phase: 'Running', podIP: '10.244.1.50' },
  });
  const policy = (namespace: string): KubeObject => ({
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny', namespace }, spec: { podSelector: {}, policyTypes: ['Ingress'] },
  });
  return [
    ...apiClusterObjects(),
    ns('web'), ns('quiet'),
    {
      apiVersion: 'v1', kind: 'Service', metadata: { name: 'site', namespace: 'web' },
      spec: { type: 'NodePort', selector: { app: 'site' }, ports: [{ port: 80, targetPort: 80, nodePort: 30123, protocol: 'TCP' }] },
    },
    {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'site-abc', namespace: 'web', labels: { 'kubernetes.io/service-name': 'site' } },
      addressType: 'IPv4', endpoints: [{ addresses: ['10.244.1.50'], nodeName: 'node-2', conditions: { ready: true } }], ports: [{ port: 80, protocol: 'TCP' }],
    },
    pod('web', 'site'), policy('web'),
    pod('quiet', 'batch'), policy('quiet'),
  ];
}

let server: FakeApiserver;
let api: KubeApi;

before(async () => {
  server = await startFakeApiserver({ objects: objects() });
  const kube = await resolveKubeconfig({ kubeconfig: await server.writeKubeconfig({ context: 'lab' }), env: {}, homeDir: '/nonexistent' });
  api = await makeKubeApi(kube.kc, kube.server, 10_000);
});
after(() => server.stop());

test('-A across namespaces: slices, pods and policies in one cluster-wide list each; other namespaces dropped', async () => {
  const seen = server.requests.length;
  const { cluster, errors } = await gatherCluster(api, { namespace: null, service: null }, SILENT);
  assert.deepEqual(errors, []);
  const namespaces = [...new Set(cluster.services.map((s) => s.metadata.namespace))].sort();
  assert.deepEqual(namespaces, ['shop', 'web'], 'NodePort Services in two namespaces');

  const lists = server.requests.slice(seen).filter((r) => r.method === 'GET').map((r) => r.path);
  for (const path of ['/api/v1/pods', '/apis/discovery.k8s.io/v1/endpointslices', '/apis/networking.k8s.io/v1/networkpolicies']) {
    assert.equal(lists.filter((p) => p === path).length, 1, `${path} once: ${lists.join(' ')}`);
  }
  const perNamespace = lists.filter((p) => /^\/api(s\/[^/]+)?\/v1\/namespaces\/(shop|web)\/(pods|endpointslices|networkpolicies)$/.test(p));
  assert.deepEqual(perNamespace, [], 'no list per namespace');

  assert.deepEqual([...new Set(cluster.pods.map((p) => p.metadata.namespace))].sort(), ['shop', 'web'], 'the pods of quiet are not kept');
  assert.ok(cluster.pods.some((p) => p.metadata.name === 'site'));
  assert.deepEqual([...new Set(cluster.networkPolicies.map((p) => p.metadata.namespace))].sort(), ['shop', 'web']);
  assert.ok(cluster.endpointSlices.some((s) => s.metadata.name === 'site-abc'));
  assert.ok(cluster.endpointSlices.every((s) => ['shop', 'web'].includes(s.metadata.namespace ?? '')));
});

test('-n NAMESPACE still lists only that namespace', async () => {
  const seen = server.requests.length;
  const { cluster } = await gatherCluster(api, { namespace: 'web', service: null }, SILENT);
  const lists = server.requests.slice(seen).map((r) => r.path);
  assert.ok(lists.includes('/api/v1/namespaces/web/pods'));
  assert.ok(!lists.includes('/api/v1/pods'));
  assert.deepEqual(cluster.pods.map((p) => p.metadata.name), ['site']);
});
