/**
 * np-doctor's debug pod against the real Pod Security admission of each pinned kube-apiserver,
 * gathered as a user holding only README.md's roles (the read roles and the debug-pod Role):
 *
 * - enforce=baseline: the real admission refuses the pod (hostNetwork, hostPID, the hostPath
 *   volume, NET_ADMIN and NET_RAW are beyond baseline); np-doctor says so per node with the
 *   server's own words and what to do instead, writes the snapshot and exits 3.
 * - enforce=privileged: the pod is admitted exactly as np-doctor wrote it (read-only /host with
 *   recursiveReadOnly IfPossible, only the three capabilities). No kubelet runs here, so it stays
 *   Pending until the --timeout deadline; np-doctor says it was still Pending and deletes it.
 *   Exec into a running debug pod needs a kubelet: that path is tested against the fake API
 *   server (test/e2e/snapshot.test.ts), not here.
 * - The manifest, privileged or not, passes the real server's validation (server-side dry run).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { DEBUG_POD_SELECTOR } from '../../src/collect/node/debug-pod-owner.js';
import { DEBUG_POD_CAPABILITIES, DEFAULT_DEBUG_IMAGE, debugPodManifest, type DebugPodSpec } from '../../src/collect/node/debug-pod-manifest.js';
import { labGate, missingPrerequisites } from '../kernel/lab/prereq.js';
import { apiCluster } from '../support/api-cluster.js';
import { podSecurityViolation } from '../support/fake-apiserver/pod-security.js';
import { missingBinaries, pinnedVersions } from '../support/k8s-lab/binaries.js';
import { startControlPlane, type ControlPlane } from '../support/k8s-lab/control-plane.js';
import { npDoctor } from '../support/k8s-lab/np-doctor-cli.js';
import { createNamespace, seedKitCluster } from '../support/k8s-lab/kit-to-api.js';
import { waitFor } from '../support/k8s-lab/processes.js';
import { grant, readmeRbac, variant } from '../support/k8s-lab/readme-rbac.js';
import { loadSnapshot } from '../../src/snapshot/file.js';

const BASELINE = 'npd-psa-baseline';
const PRIVILEGED = 'npd-psa-privileged';
const ENFORCE = 'pod-security.kubernetes.io/enforce';

/** The scenario kit's cluster (test/support/api-cluster.ts), seeded through the real API. */
const cluster = apiCluster();
const NODES = cluster.nodes.map((n) => n.name);

const spec = (ns: string, privileged: boolean): DebugPodSpec => ({
  namespace: ns, image: DEFAULT_DEBUG_IMAGE, activeDeadlineSeconds: 600, privileged, owner: { user: 'lab', host: 'lab', pid: 1 },
});

for (const version of pinnedVersions()) {
  const runs = labGate(`Pod Security against the real API server ${version}`, missingPrerequisites() ?? missingBinaries(version), 'root and npm run lab:build');
  describe(`np-doctor's debug pod and the real Pod Security admission ${version}`, { skip: !runs }, () => {
    let cp: ControlPlane;
    let dir: string;
    let alice: string;

    before(async () => {
      cp = await startControlPlane({ version });
      await seedKitCluster(cp, cluster);
      dir = await mkdtemp(join(tmpdir(), 'npd-psa-'));
      await createNamespace(cp, BASELINE, { [ENFORCE]: 'baseline' });
      await createNamespace(cp, PRIVILEGED, { [ENFORCE]: 'privileged' });
      alice = await cp.userKubeconfig('alice');
      const rbac = readmeRbac();
      await grant(cp, 'alice', [...rbac.read, ...[BASELINE, PRIVILEGED].map((ns) => variant(rbac.debugPods, { namespace: ns }))], 'shop');
    });
    after(async () => {
      await cp?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    const debugPods = async (ns: string): Promise<V1Pod[]> =>
      ((await cp.api('GET', `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(DEBUG_POD_SELECTOR)}`)).body as { items: V1Pod[] }).items;
    const gather = (ns: string, name: string, extra: string[] = []) =>
      npDoctor(['snapshot', 'svc/frontend', '-n', 'shop', '--kubeconfig', alice, '--collect', 'debug-pod', '--debug-namespace', ns,
        '--node', 'node-1', ...extra, '-o', join(dir, `${name}.json`)], dir);

    test('enforce=baseline: refused by the real admission; np-doctor gives its words (the forbidden fields) and a way out; exit 3', async () => {
      // The server's words for np-doctor's own manifest, asked with kubectl as the same user.
      const manifest = debugPodManifest('node-1', spec(BASELINE, false));
      const k = await cp.kubectl(['create', '-f', '-'], { kubeconfig: alice, input: JSON.stringify(manifest), allowFail: true });
      // The server names the pod it generated (`pods "np-doctor-node-1-x7k2q" is forbidden: …`), so
      // two creates differ in that name only: compare what follows it.
      const refusal = /Error from server \(Forbidden\): error when creating "STDIN": pods "np-doctor-node-1-[a-z0-9]{5}" is forbidden: (.+)/.exec(k.stderr);
      const words = refusal?.[1]?.trim();
      assert.ok(words, k.stderr);
      for (const field of ['violates PodSecurity "baseline:latest"', 'hostNetwork=true', 'hostPID=true', 'hostPath volumes (volume "host")', 'non-default capabilities', '"NET_ADMIN"', '"NET_RAW"']) {
        assert.ok(words.includes(field), `the server lists ${field}: ${words}`);
      }
      assert.ok(!words.includes('SYS_CHROOT'), 'baseline allows SYS_CHROOT');

      const r = await gather(BASELINE, 'baseline');
      assert.equal(r.code, 3, r.stderr);
      for (const node of NODES) {
        const line = r.stderr.split('\n').find((l) => l.startsWith(`  ✗ node ${node}: create a debug pod in namespace ${BASELINE}: `));
        assert.ok(line, r.stderr);
        const pod = `pods "np-doctor-${node}-[a-z0-9]{5}" is forbidden: `;
        assert.match(line, new RegExp(`Pod Security Admission refused the debug pod \\(hostNetwork, hostPID, hostPath, added capabilities\\): Forbidden \\(403\\): ${pod}`));
        assert.ok(line.endsWith(`is forbidden: ${words}`), line);
      }
      assert.match(r.stderr, new RegExp(`→ use --debug-namespace with a namespace whose Pod Security level is privileged \\(label ${ENFORCE}=privileged\\), or --collect ssh`));
      const snap = await loadSnapshot(join(dir, 'baseline.json'));
      assert.deepEqual(snap.errors.map((e) => e.node).sort(), NODES);
      assert.deepEqual(await debugPods(BASELINE), [], 'nothing was created');
    });

    test('the fake API server words the baseline refusal as the real one does', async () => {
      const manifest = debugPodManifest('node-1', spec(BASELINE, false));
      const r = await cp.api('POST', `/api/v1/namespaces/${BASELINE}/pods?dryRun=All`, manifest);
      assert.equal(r.status, 403);
      const real = (r.body as { message: string }).message;
      const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: BASELINE, labels: { [ENFORCE]: 'baseline' } } };
      const fake = podSecurityViolation(ns, manifest as never);
      assert.ok(fake !== null && real.endsWith(`is forbidden: ${fake}`), `real: ${real}\nfake: ${fake}`);
    });

    test('enforce=privileged: the pod is admitted as written, stays Pending (no kubelet; exec is tested on the fake server), np-doctor says so and deletes it', async () => {
      const seen = new Map<string, V1Pod>();
      const run = gather(PRIVILEGED, 'privileged', ['--timeout', '10s']);
      await waitFor('np-doctor\'s debug pods to be admitted', async () => {
        for (const p of await debugPods(PRIVILEGED)) seen.set(p.metadata!.name!, p);
        return seen.size === NODES.length;
      }, { watch: cp.processes.list(), timeoutMs: 10_000 });
      const r = await run;
      assert.equal(r.code, 3, r.stderr);

      for (const [name, pod] of seen) {
        const node = pod.spec?.nodeName ?? '';
        assert.equal(pod.status?.phase, 'Pending');
        assert.match(r.stderr, new RegExp(`✗ node ${node}: start debug pod ${name}: the gathering did not finish within 10 s \\(--timeout\\); the pod was still Pending\\n`));
        // What the server stored is what np-doctor asked for: nothing dropped or defaulted away.
        const asked = debugPodManifest(node, spec(PRIVILEGED, false));
        const [c, want] = [pod.spec!.containers[0]!, asked.spec!.containers[0]!];
        assert.equal(pod.spec?.hostNetwork, true);
        assert.equal(pod.spec?.hostPID, true);
        assert.deepEqual(c.securityContext?.capabilities, { drop: ['ALL'], add: [...DEBUG_POD_CAPABILITIES] });
        assert.equal(c.securityContext?.privileged, false);
        assert.deepEqual(c.volumeMounts, want.volumeMounts);
        assert.deepEqual(pod.spec?.volumes?.[0]?.hostPath, { path: '/', type: 'Directory' });
      }
      assert.match(r.stderr, /→ the pod was created, but the kubelet on node-1 had not started it: check that the node is Ready/);
      assert.deepEqual(await debugPods(PRIVILEGED), [], 'np-doctor deleted its pods (the README Role grants delete)');
    });

    test('a leftover debug pod: np-doctor cleanup -n deletes it with only the README\'s debug-pod Role (list, delete)', async () => {
      const leftover = debugPodManifest('node-2', spec(PRIVILEGED, false));
      await cp.kubectl(['create', '-f', '-'], { kubeconfig: alice, input: JSON.stringify(leftover) });
      const [pod] = await debugPods(PRIVILEGED);
      assert.ok(pod, 'alice created it under the README Role');
      const r = await npDoctor(['cleanup', '--kubeconfig', alice, '-n', PRIVILEGED, '--all'], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `deleted pod ${PRIVILEGED}/${pod.metadata!.name!} (--all)\n`);
      assert.deepEqual(await debugPods(PRIVILEGED), []);
    });

    test('the manifest passes the real validation as is: read-only /host with recursiveReadOnly IfPossible, unprivileged and --debug-privileged', async () => {
      for (const privileged of [false, true]) {
        const manifest = debugPodManifest('node-1', spec(PRIVILEGED, privileged));
        const r = await cp.api('POST', `/api/v1/namespaces/${PRIVILEGED}/pods?dryRun=All`, manifest);
        assert.equal(r.status, 201, JSON.stringify(r.body));
        const stored = r.body as V1Pod;
        assert.deepEqual(stored.spec?.containers[0]?.volumeMounts, [{ name: 'host', mountPath: '/host', readOnly: true, recursiveReadOnly: 'IfPossible' }]);
        assert.deepEqual(stored.spec?.containers[0]?.securityContext, manifest.spec?.containers[0]?.securityContext);
      }
      // The rule the manifest keeps to: recursiveReadOnly needs readOnly (and no propagation but None).
      const broken = debugPodManifest('node-1', spec(PRIVILEGED, false));
      broken.spec!.containers[0]!.volumeMounts![0]!.readOnly = false;
      const r = await cp.api('POST', `/api/v1/namespaces/${PRIVILEGED}/pods?dryRun=All`, broken);
      assert.equal(r.status, 422, JSON.stringify(r.body));
      assert.match((r.body as { message: string }).message, /recursiveReadOnly/);
    });
  });
}
