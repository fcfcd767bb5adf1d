import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, test } from 'node:test';
import { KubeconfigError, resolveKubeconfig } from '../../src/collect/kube/kubeconfig.js';

const dir = mkdtempSync(join(tmpdir(), 'npd-kc-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const emptyHome = join(dir, 'home-empty');
mkdirSync(emptyHome);

function kubeconfig(file: string, o: { current: string; clusters: Record<string, string>; contexts: Record<string, { cluster: string; namespace?: string }> }): string {
  const path = join(dir, file);
  writeFileSync(path, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': o.current,
    clusters: Object.entries(o.clusters).map(([name, server]) => ({ name, cluster: { server, 'insecure-skip-tls-verify': true } })),
    users: [{ name: 'u', user: { token: 't' } }],
    contexts: Object.entries(o.contexts).map(([name, c]) => ({ name, context: { cluster: c.cluster, user: 'u', ...(c.namespace ? { namespace: c.namespace } : {}) } })),
  }));
  return path;
}

const first = kubeconfig('first.json', { current: 'prod', clusters: { shared: 'https://first.example:6443' }, contexts: { prod: { cluster: 'shared', namespace: 'shop' } } });
const second = kubeconfig('second.json', { current: 'staging', clusters: { shared: 'https://second.example:6443', other: 'https://other.example:6443' }, contexts: { staging: { cluster: 'other' }, prod: { cluster: 'other' } } });

test('KUBECONFIG merges like kubectl: the first file to set a name or current-context wins, missing files are skipped', async () => {
  const env = { KUBECONFIG: [join(dir, 'missing.json'), first, second].join(delimiter) };
  const r = await resolveKubeconfig({ env, homeDir: emptyHome });
  assert.equal(r.context, 'prod');
  assert.equal(r.server, 'https://first.example:6443');
  assert.equal(r.namespace, 'shop');
  const staging = await resolveKubeconfig({ env, homeDir: emptyHome, context: 'staging' });
  assert.equal(staging.server, 'https://other.example:6443');
  assert.equal(staging.namespace, 'default');
  const flagged = await resolveKubeconfig({ env, homeDir: emptyHome, namespace: 'ops' });
  assert.equal(flagged.namespace, 'ops', '-n beats the context namespace');
});

test('--kubeconfig wins over KUBECONFIG and must exist', async () => {
  const r = await resolveKubeconfig({ kubeconfig: second, env: { KUBECONFIG: first }, homeDir: emptyHome });
  assert.equal(r.context, 'staging');
  await assert.rejects(resolveKubeconfig({ kubeconfig: join(dir, 'nope'), env: {}, homeDir: emptyHome }), /--kubeconfig .*nope: no such file/);
});

test('~/.kube/config is used when nothing else is given', async () => {
  const home = join(dir, 'home');
  mkdirSync(join(home, '.kube'), { recursive: true });
  writeFileSync(join(home, '.kube', 'config'), JSON.stringify({ apiVersion: 'v1', kind: 'Config', 'current-context': 'c', clusters: [{ name: 'k', cluster: { server: 'https://admin:hunter2@home.example:6443' } }], users: [{ name: 'u', user: {} }], contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }] }));
  const r = await resolveKubeconfig({ env: {}, homeDir: home });
  assert.equal(r.origin, join(home, '.kube', 'config'));
  assert.equal(r.server, 'https://home.example:6443', 'credentials in the URL never reach reports');
});

test('no kubeconfig anywhere is a clear error, not a silent localhost:8080', async () => {
  await assert.rejects(resolveKubeconfig({ env: {}, homeDir: emptyHome, rootPrefix: join(dir, 'no-sa') }), (e: unknown) =>
    e instanceof KubeconfigError && /no kubeconfig found: .*KUBECONFIG not set, .*\.kube\/config does not exist, and this is not a pod/.test(e.message));
});

test('an unknown --context names the contexts there are', async () => {
  await assert.rejects(resolveKubeconfig({ kubeconfig: first, context: 'prdo', env: {}, homeDir: emptyHome }), /context "prdo" not found in .*first\.json \(contexts: prod\)/);
});

test('a broken kubeconfig names the file', async () => {
  const broken = join(dir, 'broken.yaml');
  writeFileSync(broken, 'clusters: [\n');
  await assert.rejects(resolveKubeconfig({ kubeconfig: broken, env: {}, homeDir: emptyHome }), /kubeconfig .*broken\.yaml cannot be loaded/);
});

test('in a pod: the service account, the API service address and the namespace file', async () => {
  const root = join(dir, 'pod-root');
  const sa = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
  mkdirSync(sa, { recursive: true });
  for (const [f, v] of [['token', 'tok'], ['namespace', 'monitoring\n'], ['ca.crt', '']] as const) writeFileSync(join(sa, f), v);
  const r = await resolveKubeconfig({ env: { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443' }, homeDir: emptyHome, rootPrefix: root });
  assert.equal(r.server, 'https://[fd00::1]:6443');
  assert.equal(r.namespace, 'monitoring');
  assert.equal(r.origin, 'in-cluster service account');
});

test('the stored server URL drops userinfo, query and fragment; insecure-skip-tls-verify is reported', async () => {
  const file = join(dir, 'query.json');
  writeFileSync(file, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'k', cluster: { server: 'https://u:p@proxy.example:8443/k8s/clusters/c-1?access_token=s3cret#frag', 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'u', user: {} }], contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
  }));
  const r = await resolveKubeconfig({ kubeconfig: file, env: {}, homeDir: emptyHome });
  assert.equal(r.server, 'https://proxy.example:8443/k8s/clusters/c-1', 'the path names the cluster behind a proxy; the rest may hold secrets');
  assert.equal(r.insecureSkipTlsVerify, true);
  const checked = join(dir, 'checked.json');
  writeFileSync(checked, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{ name: 'k', cluster: { server: 'https://api.example:6443' } }],
    users: [{ name: 'u', user: {} }], contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
  }));
  assert.equal((await resolveKubeconfig({ kubeconfig: checked, env: {}, homeDir: emptyHome })).insecureSkipTlsVerify, false);
});
