/**
 * The real control plane comes up from the pinned builds, says which version it is, and its
 * EndpointSlice controller turns a Service and a status-patched Pod into a slice (no kubelet).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { labGate, missingPrerequisites } from '../kernel/lab/prereq.js';
import { missingBinaries, pinnedVersions } from '../support/k8s-lab/binaries.js';
import { startControlPlane, type ControlPlane } from '../support/k8s-lab/control-plane.js';
import { waitFor } from '../support/k8s-lab/processes.js';

for (const version of pinnedVersions()) {
  const runs = labGate(`real control plane ${version}`, missingPrerequisites() ?? missingBinaries(version), 'root and npm run lab:build');
  describe(`real control plane ${version}`, { skip: !runs }, () => {
    let cp: ControlPlane;
    before(async () => {
      cp = await startControlPlane({ version });
    });
    after(async () => {
      await cp?.stop();
    });

    test('kube-apiserver and kubectl report the pinned version', async () => {
      const v = await cp.api('GET', '/version');
      assert.equal((v.body as { gitVersion?: string }).gitVersion, version);
      console.log(`# kube-apiserver ${version} at ${cp.server}`);
      const k = await cp.kubectl(['version', '-o', 'json']);
      const both = JSON.parse(k.stdout) as { clientVersion: { gitVersion: string }; serverVersion: { gitVersion: string } };
      assert.deepEqual([both.clientVersion.gitVersion, both.serverVersion.gitVersion], [version, version]);
    });

    test('the EndpointSlice controller lists a status-patched pod on an existing Node', async () => {
      const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-x' } };
      assert.equal((await cp.api('POST', '/api/v1/nodes', node)).status, 201);
      const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } };
      assert.equal((await cp.api('POST', '/api/v1/namespaces/default/services', svc)).status, 201);
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'default', labels: { app: 'web' } }, spec: { nodeName: 'node-x', containers: [{ name: 'web', image: 'web:1' }] } };
      const created = await cp.api('POST', '/api/v1/namespaces/default/pods', pod);
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const status = { status: { phase: 'Running', podIP: '10.244.0.9', podIPs: [{ ip: '10.244.0.9' }], conditions: [{ type: 'Ready', status: 'True' }] } };
      assert.equal((await cp.api('PATCH', '/api/v1/namespaces/default/pods/web-1/status', status, 'application/merge-patch+json')).status, 200);
      let addresses: string[] = [];
      await waitFor('an EndpointSlice for default/web', async () => {
        const r = await cp.api('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dweb');
        addresses = ((r.body as { items?: { endpoints?: { addresses: string[] }[] }[] }).items ?? []).flatMap((s) => (s.endpoints ?? []).flatMap((e) => e.addresses));
        return addresses.length > 0;
      });
      assert.deepEqual(addresses, ['10.244.0.9']);
    });
  });
}
