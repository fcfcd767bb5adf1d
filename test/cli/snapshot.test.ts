/**
 * `np-doctor snapshot` and `np-doctor cleanup` in-process against the fake API server (no root:
 * nodes come from --node-dump files). The SSH and debug-pod paths run in test/e2e as root.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadSnapshot } from '../../src/snapshot/file.js';
import { apiLabPerFile } from '../support/api-lab.js';
import { debugPodsIn } from '../support/fake-apiserver/resources.js';
import { hasControl } from '../../src/text/sanitize.js';
import { PAYLOAD } from '../support/hostile.js';
import { NODE_A_DUMP } from '../support/snapshot-builder.js';
import { runMain } from '../support/run-main.js';

const lab = apiLabPerFile('npd-snapcli-');
const dir = lab.dir;
const dump = join(dir, 'node-1.rules');
writeFileSync(dump, NODE_A_DUMP);


const run = (args: string[]) => runMain(args, { HOME: dir });

test('snapshot from the API plus a dump file; the namespace comes from the context', async () => {
  lab.server.clearFaults();
  const file = join(dir, 'a.json.gz');
  const r = await run(['snapshot', 'svc/frontend', '--kubeconfig', lab.kubeconfig, '--collect', 'none', '--node-dump', `node-1=${dump}`, '-o', file]);
  assert.equal(r.code, 0, r.err);
  const snap = await loadSnapshot(file);
  assert.deepEqual(snap.target, { namespace: 'shop', service: 'frontend' });
  assert.deepEqual(snap.nodes.map((n) => [n.name, n.access, Object.keys(n.commands)]), [['node-1', 'files', ['iptables-save']]]);
  assert.equal(snap.nodes[0]?.address, '192.168.1.101', 'a dump file\'s node keeps its InternalIP, so a replay knows what is local');
  assert.deepEqual(snap.errors, [], '--collect none plans no node access, so no "choose nodes" notes');
  assert.equal(snap.source.context, 'lab');
  assert.match(snap.source.server ?? '', /^https:\/\/127\.0\.0\.1:\d+$/);
});

test('a 403 is reported with what RBAC refused; the snapshot is still written, exit 3', async () => {
  lab.server.clearFaults();
  lab.server.fail({ path: /^\/api\/v1\/nodes\?/, status: 403 });
  const file = join(dir, 'b.json');
  const r = await run(['snapshot', 'svc/frontend', '-n', 'shop', '--kubeconfig', lab.kubeconfig, '--collect', 'none', '-f', file]);
  lab.server.clearFaults();
  assert.equal(r.code, 3);
  assert.match(r.err, /1 problem while gathering:\n {2}✗ list nodes: Forbidden \(403\): nodes is forbidden: User ".*" cannot list resource "nodes" in API group "" at the cluster scope\n {6}→ np-doctor needs "list" on nodes/);
  assert.equal((await loadSnapshot(file)).errors[0]?.code, 403);
});

test('a Service that does not exist: exit 3, nothing written, the error says so', async () => {
  const file = join(dir, 'c.json');
  const r = await run(['snapshot', 'svc/fronted', '-n', 'shop', '--kubeconfig', lab.kubeconfig, '--collect', 'none', '-f', file]);
  assert.equal(r.code, 3);
  assert.equal(r.err, 'np-doctor snapshot: cannot gather: get services fronted in namespace shop: service "fronted" not found in namespace "shop"\n' +
    '  → check the name and the namespace: kubectl get services -n shop\n', 'the message and the hint, without the usage line');
  assert.equal(existsSync(file), false);
});

test('no kubeconfig anywhere: exit 2 with the usage line, as every mistake in what np-doctor was given', async () => {
  const r = await run(['snapshot', 'svc/frontend', '-o', join(dir, 'k.json')]);
  assert.equal(r.code, 2);
  assert.match(r.err, /^np-doctor snapshot: no kubeconfig found: --kubeconfig not given, KUBECONFIG not set, .*\nRun "np-doctor snapshot --help" for usage\.\n$/);
});

test('--redact -o - prints a redacted snapshot on stdout', async () => {
  const r = await run(['snapshot', 'svc/frontend', '-n', 'shop', '--kubeconfig', lab.kubeconfig, '--collect', 'none', '--node-dump', `node-1=${dump}`, '--redact', '-f', '-']);
  assert.equal(r.code, 0, r.err);
  // The first line of a v2 snapshot is its header.
  const doc = JSON.parse(r.out.split('\n')[0]!) as { redacted: boolean; target: { service: string } };
  assert.equal(doc.redacted, true);
  assert.match(doc.target.service, /^svc-\d+$/);
  // The context ("lab") rather than a node: the kit's node names (node-1…) are already shaped like node pseudonyms.
  assert.doesNotMatch(r.out, /frontend|"shop"|"lab"/);
});

test('cleanup --all deletes leftover debug pods in every namespace, and says when there are none', async () => {
  const leftover = (ns: string, name: string) => lab.server.store.put({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels: { 'app.kubernetes.io/managed-by': 'np-doctor', 'app.kubernetes.io/name': 'np-doctor-node-reader' } },
    spec: { nodeName: 'node-1', containers: [{ name: 'reader', image: 'busybox:1.37' }] }, status: { phase: 'Running' },
  });
  leftover('default', 'np-doctor-node-1-x1');
  leftover('ops', 'np-doctor-node-2-x2');
  // Pods without owner annotations or a deadline could be another run's: only --all takes them.
  const dry = await run(['cleanup', '--kubeconfig', lab.kubeconfig, '--dry-run', '--all']);
  assert.equal(dry.out, 'would delete pod default/np-doctor-node-1-x1 (--all)\nwould delete pod ops/np-doctor-node-2-x2 (--all)\n');
  const r = await run(['cleanup', '--kubeconfig', lab.kubeconfig, '--all']);
  assert.equal(r.code, 0, r.err);
  assert.equal(r.out, 'deleted pod default/np-doctor-node-1-x1 (--all)\ndeleted pod ops/np-doctor-node-2-x2 (--all)\n');
  assert.deepEqual(debugPodsIn(lab.server.store), []);
  assert.equal((await run(['cleanup', '--kubeconfig', lab.kubeconfig])).out, 'no np-doctor debug pods\n');
});

test('an API error message with escape sequences (an admission webhook writes it) reaches stderr escaped', async () => {
  lab.server.clearFaults();
  lab.server.fail({ path: /networkpolicies/, status: 500, message: `denied by webhook ${PAYLOAD}` });
  const r = await run(['snapshot', 'svc/frontend', '-n', 'shop', '--kubeconfig', lab.kubeconfig, '--collect', 'none', '-o', join(dir, 'esc.json')]);
  lab.server.clearFaults();
  assert.equal(r.code, 3, r.err);
  assert.match(r.err, /list networkpolicies\S* in namespace shop: .*denied by webhook \\x1b\]0;owned\\x07/);
  assert.equal(hasControl((r.err + r.out).replaceAll('\n', '')), false, 'no control character reaches the terminal');
});

test('an existing output file is refused before gathering; --overwrite replaces it with a 0600 file', async () => {
  lab.server.clearFaults();
  const file = join(dir, 'exists.json');
  writeFileSync(file, 'keep me', { mode: 0o644 });
  const requests = lab.server.requests.length;
  const refused = await run(['snapshot', 'svc/frontend', '-n', 'shop', '--kubeconfig', lab.kubeconfig, '--collect', 'none', '-f', file]);
  assert.equal(refused.code, 2);
  assert.match(refused.err, /exists\.json exists: choose another name, or pass --overwrite to replace it/);
  assert.equal(lab.server.requests.length, requests, 'nothing was gathered');
  assert.equal(readFileSync(file, 'utf8'), 'keep me');
  const r = await run(['snapshot', 'svc/frontend', '-n', 'shop', '--kubeconfig', lab.kubeconfig, '--collect', 'none', '-o', file, '--overwrite']);
  assert.equal(r.code, 0, r.err);
  assert.equal((await loadSnapshot(file)).target.service, 'frontend');
  assert.equal(statSync(file).mode & 0o777, 0o600);
});

test('names that Kubernetes would refuse are refused on the command line, before they reach a snapshot', async () => {
  for (const [args, want] of [
    [['-n', 'shop;rm'], /-n shop;rm: not a DNS-1123 label/],
    [['svc/Front_End'], /svc\/Front_End: "Front_End" is not a valid Service name/],
    [['--node-dump', `node\x1b]0;x=${dump}`], /--node-dump node\\x1b\]0;x: not a node name/],
  ] as const) {
    const r = await run(['snapshot', ...(args[0] === 'svc/Front_End' ? [] : ['svc/frontend']), ...args, '--kubeconfig', lab.kubeconfig, '--collect', 'none', '-o', join(dir, 'never.json')]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, want);
  }
});

test('snapshot usage errors exit 2 and say what to fix', async () => {
  assert.match((await run(['snapshot', 'svc/frontend'])).err, /-f FILE is required/);
  const r = await run(['snapshot', 'svc/frontend', '-o', join(dir, 'x.json'), '--collect', 'telepathy']);
  assert.equal(r.code, 2);
  assert.match(r.err, /--collect telepathy: use ssh, debug-pod, local, none/);
  assert.match((await run(['snapshot', '-o', 'x', '--node-dump', 'node-a'])).err, /--node-dump node-a: expected NODE=FILE/);
});
