/**
 * The real-cluster lab itself (test/support/k8s-lab/), before anything is built on it: the Nodes
 * look as a kubelet registers them, the kube-system objects say what the running kube-proxies
 * really use, a pod becomes an endpoint through the real EndpointSlice controller and a real
 * connection reaches it, a deleted pod is gone at once and leaves kube-proxy's rules, and two labs
 * never share a LAN.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadYaml } from '@kubernetes/client-node';
import { labGate, missingPrerequisites } from '../kernel/lab/prereq.js';
import { CLUSTER_CIDR } from '../support/k8s-lab/cluster.js';
import { claimLan } from '../support/k8s-lab/lan.js';
import { realClusterSuites } from '../support/k8s-lab/suite.js';
import { expectConnections } from './lib/connect.js';
import { rejects, serves } from './lib/rules.js';
import { waitServing } from './lib/sync.js';
import { APP_PORT, deployWeb } from './lib/web.js';

interface Obj { metadata: { name: string }; spec?: Record<string, unknown>; status?: Record<string, unknown>; data?: Record<string, string> }

if (labGate('lab LAN claims', missingPrerequisites(), 'root')) {
  test('two labs in one process claim different LANs, each under a lock file, and give them back', async () => {
    const lock = (net: string) => `/run/np-doctor-lab/lan-${net.replace(/\/24$/, '')}.lock`;
    const [a, b] = [await claimLan(), await claimLan()];
    try {
      assert.notEqual(a.plan.net, b.plan.net);
      assert.match(a.hostIp, /^192\.168\.\d+\.254$/);
      assert.equal(readFileSync(lock(a.plan.net), 'utf8').trim(), String(process.pid));
    } finally {
      a.release();
      b.release();
    }
    assert.ok(!existsSync(lock(a.plan.net)) && !existsSync(lock(b.plan.net)), 'released');
  });
}

realClusterSuites('the real-cluster lab', (cluster, on) => {
  test('Nodes as a kubelet registers them: InternalIP, podCIDR, Ready', async () => {
    const c = cluster();
    const nodes = ((await c.cp.api('GET', '/api/v1/nodes')).body as { items: Obj[] }).items;
    const seen = nodes.map((n) => {
      const s = n.status as { addresses: { type: string; address: string }[]; conditions: { type: string; status: string }[] };
      return [n.metadata.name, s.addresses.find((a) => a.type === 'InternalIP')?.address, n.spec?.podCIDR, s.conditions.find((x) => x.type === 'Ready')?.status];
    });
    assert.deepEqual(seen, c.nodes.map((n) => [n.name, n.ip, n.podCIDR, 'True']));
  });

  test('kube-system shows kube-proxy as kubeadm does, with the configuration the running kube-proxies read', async () => {
    const c = cluster();
    const cm = (await c.cp.api('GET', '/api/v1/namespaces/kube-system/configmaps/kube-proxy')).body as Obj;
    const conf = loadYaml<Record<string, unknown>>(cm.data?.['config.conf'] ?? '');
    for (const n of c.nodes) {
      const { hostnameOverride, clientConnection: _c, ...running } = n.proxy.config;
      assert.equal(hostnameOverride, n.name);
      for (const [k, v] of Object.entries(running)) assert.deepEqual(conf[k], v, `config.conf ${k}`);
    }
    assert.deepEqual([conf.mode, conf.clusterCIDR], [on.mode, CLUSTER_CIDR]);
    const pods = ((await c.cp.api('GET', '/api/v1/namespaces/kube-system/pods?labelSelector=k8s-app%3Dkube-proxy')).body as { items: Obj[] }).items;
    assert.deepEqual(pods.map((p) => [p.spec?.nodeName, p.status?.phase]), c.nodes.map((n) => [n.name, 'Running']));
  });

  test('pods become endpoints through the real controller, answer real connections, and a deleted one is gone at once', async () => {
    const c = cluster();
    const web = await deployWeb(c, { namespace: 'lab', pods: [{ node: 0 }, { node: 1 }] });
    await waitServing(c, web);
    const slices = ((await c.cp.api('GET', '/apis/discovery.k8s.io/v1/namespaces/lab/endpointslices')).body as { items: { endpoints?: { addresses: string[]; nodeName?: string }[] }[] }).items;
    const listed = slices.flatMap((s) => (s.endpoints ?? []).map((e) => [e.addresses[0], e.nodeName])).sort();
    assert.deepEqual(listed, web.pods.map((p) => [p.ip, c.nodes[p.node]!.name]).sort());
    const tries = await c.connect(c.nodes[0]!.ip, web.nodePort, { tries: 2, want: ['web-1', 'web-2'] });
    assert.deepEqual([...new Set(tries.map((t) => t.pod))].sort(), ['web-1', 'web-2'], JSON.stringify(tries));

    const [gone, kept] = [web.pods[0]!, web.pods[1]!];
    await c.pods.delete(gone);
    assert.equal((await c.cp.api('GET', `/api/v1/namespaces/lab/pods/${gone.name}`)).status, 404, 'deleted with grace period 0: not left Terminating');
    await c.waitForSync(`drop ${gone.ip} from ${web.svcPort}`, (r) => !serves(r, gone.ip, APP_PORT) && serves(r, kept.ip, APP_PORT) && !rejects(c.mode, r, web.svcPort, web.nodePort));
    await expectConnections(c, c.nodes[0]!.ip, web.nodePort, 'delivered', [kept.name]);
  });
});
