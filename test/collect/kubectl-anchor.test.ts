/**
 * The anchor of bench/gather.ts: kubectl (built from Go modules by `npm run lab:build`) and
 * np-doctor's `-A` gathering read the same objects from the same fake API server, so comparing
 * their time and memory compares like with like. Skipped, saying why, where kubectl is not built.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';
import { clusterObjects } from '../../bench/gather-objects.js';
import { SILENT } from '../../src/collect/gather-progress.js';
import { makeKubeApi } from '../../src/collect/kube/api.js';
import { gatherCluster } from '../../src/collect/kube/cluster.js';
import { resolveKubeconfig } from '../../src/collect/kube/kubeconfig.js';
import { startFakeApiserver, type FakeApiserver } from '../support/fake-apiserver/index.js';
import { binary, pinnedVersions } from '../support/k8s-lab/binaries.js';

const run = promisify(execFile);
const kubectl = pinnedVersions().map((v) => binary(v, 'kubectl')).reverse().find((f) => existsSync(f));

let server: FakeApiserver;
let kubeconfig: string;

before(async () => {
  // Pages of 500 and more than 500 pods: kubectl's --chunk-size and np-doctor's limit both page.
  server = await startFakeApiserver({ objects: clusterObjects({ services: 300, endpointsPerService: 2, nodes: 7, namespaces: 4 }) });
  kubeconfig = await server.writeKubeconfig({ context: 'bench' });
});
after(() => server.stop());

test('kubectl get -A and np-doctor -A read the same objects from the fake API server', { skip: kubectl === undefined && 'kubectl is not built: npm run lab:build' }, async () => {
  const seen = server.requests.length;
  const { stdout } = await run(kubectl!, ['--kubeconfig', kubeconfig, 'get', 'services,endpointslices,pods,nodes,networkpolicies,namespaces', '-A', '-o', 'json'], { maxBuffer: 2 ** 28 });
  const kubectlPages = server.requests.slice(seen).filter((r) => r.path === '/api/v1/pods').map((r) => r.query.get('limit'));
  assert.deepEqual(kubectlPages, ['500', '500'], 'kubectl paged the 600 pods at its default --chunk-size');

  const byKind = (items: { kind?: string; metadata: { namespace?: string; name: string } }[]) => {
    const m: Record<string, string[]> = {};
    for (const o of items) (m[o.kind ?? '?'] ??= []).push(`${o.metadata.namespace ?? ''}/${o.metadata.name}`);
    for (const k of Object.keys(m)) m[k]!.sort();
    return m;
  };
  const fromKubectl = byKind((JSON.parse(stdout) as { items: { kind: string; metadata: { namespace?: string; name: string } }[] }).items);

  const kube = await resolveKubeconfig({ kubeconfig, env: {}, homeDir: '/nonexistent' });
  const { cluster, errors } = await gatherCluster(await makeKubeApi(kube.kc, kube.server, 30_000), { namespace: null, service: null }, SILENT);
  assert.deepEqual(errors, []);
  const fromNpDoctor = byKind([...cluster.services, ...cluster.endpointSlices, ...cluster.pods, ...cluster.nodes, ...cluster.networkPolicies, ...(cluster.namespaces ?? [])]);
  assert.deepEqual(fromNpDoctor, fromKubectl);
  assert.equal(fromNpDoctor.Pod?.length, 600);
});
