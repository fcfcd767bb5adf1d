/**
 * np-doctor against the real Kubernetes, end to end: for each pinned version and both kube-proxy
 * modes, a real control plane, real kube-proxies in node namespaces and real sshd
 * (test/support/k8s-lab/). Through the built CLI over SSH: a healthy Service has no findings and
 * answers; each broken one has its cause as the top finding with evidence that exists on the
 * nodes and in the API; the kubectl fixes np-doctor prints fix it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import type { Snapshot } from '../../src/snapshot/schema.js';
import { realClusterSuites } from '../support/k8s-lab/suite.js';
import { expectConnections } from './lib/connect.js';
import { diagnose, findingsText, gatherArgs, npDoctor } from './lib/np-doctor.js';
import { waitServing } from './lib/sync.js';
import { deployWeb, type Web } from './lib/web.js';
import { nodeScenarios } from './scenarios/nodes.js';
import { serviceScenarios } from './scenarios/services.js';
import { loadSnapshot } from '../../src/snapshot/file.js';

realClusterSuites('np-doctor diagnose against a real cluster', (cluster, on) => {
  let shop: Web;
  before(async () => {
    const c = cluster();
    shop = await deployWeb(c, { namespace: 'shop', pods: [{ node: 1 }] });
    await waitServing(c, shop);
  });

  test('healthy: snapshot and diagnose over SSH find nothing, exit 0, and the client reaches the pod through every node', async () => {
    const c = cluster();
    const file = join(c.dir, 'shop.snapshot.json');
    const snap = await npDoctor(c, ['snapshot', ...gatherArgs(c, 'shop', 'web'), '-o', file]);
    assert.equal(snap.code, 0, snap.stderr);
    const s = await loadSnapshot(file);
    assert.deepEqual(s.errors, []);
    assert.deepEqual(s.nodes.map((n) => [n.name, n.access]), [['node-a', 'ssh'], ['node-b', 'ssh']]);
    assert.equal(s.cluster.kubeProxy.config?.mode, on.mode, 'the mode from the kube-proxy ConfigMap');
    const dump = (n: Snapshot['nodes'][number]) => (on.mode === 'iptables' ? n.commands['iptables-nft-save'] : n.commands['nft-ruleset'])?.stdout ?? '';
    for (const n of s.nodes) assert.ok(dump(n).includes('shop/web'), `${n.name}: the real kube-proxy's rules for shop/web were read`);

    const d = await diagnose(c, 'shop', 'web');
    assert.equal(d.code, 0, `${d.stderr}\n${findingsText(d.report)}`);
    assert.deepEqual(d.report.findings, []);
    assert.deepEqual(d.report.verdict.nodes.map((n) => [n.node, n.result]), [['node-a', 'delivered'], ['node-b', 'delivered']]);
    for (const n of c.nodes) await expectConnections(c, n.ip, shop.nodePort, 'delivered', ['web-1']);
  });

  describe('Services, one namespace each', { concurrency: true }, () => serviceScenarios(cluster));
  describe('broken nodes', () => nodeScenarios(cluster, () => shop));
});
