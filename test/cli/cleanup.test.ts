/**
 * `np-doctor cleanup` in-process against the fake API server: without --all it deletes only debug
 * pods that are expired or finished, and pods this user started on this machine from a np-doctor
 * that is no longer running; every pod it keeps is named with the reason; --all deletes the rest.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { judge } from '../../src/cli/cleanup.js';
import { apiClusterObjects } from '../support/api-cluster.js';
import { kubeTime, startFakeApiserver, type FakeApiserver } from '../support/fake-apiserver/index.js';
import { debugPodsIn } from '../support/fake-apiserver/resources.js';
import { runMain } from '../support/run-main.js';

let server: FakeApiserver;
let kubeconfig: string;
const dir = mkdtempSync(join(tmpdir(), 'npd-cleanup-'));
const me = { user: userInfo().username, host: hostname() };
/** A pid no process has: the np-doctor that made the pod is gone. */
const DEAD_PID = 4_194_304 + 7;

before(async () => {
  server = await startFakeApiserver({ objects: apiClusterObjects() });
  kubeconfig = await server.writeKubeconfig({ context: 'lab' });
});
after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const run = (args: string[]) => runMain(args, { HOME: dir });

const minutesAgo = (m: number) => kubeTime(Date.now() - m * 60_000);

function debugPod(name: string, o: { owner?: { user: string; host: string; pid: number }; startedMinutesAgo?: number; phase?: string; deadline?: number }): void {
  server.store.put({
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name, namespace: 'default',
      labels: { 'app.kubernetes.io/managed-by': 'np-doctor', 'app.kubernetes.io/name': 'np-doctor-node-reader' },
      ...(o.owner ? { annotations: { 'np-doctor.dev/user': o.owner.user, 'np-doctor.dev/host': o.owner.host, 'np-doctor.dev/pid': String(o.owner.pid) } } : {}),
    },
    spec: { nodeName: 'node-1', containers: [{ name: 'reader', image: 'busybox:1.37' }], ...(o.deadline !== undefined ? { activeDeadlineSeconds: o.deadline } : {}) },
    status: { phase: o.phase ?? 'Running', ...(o.startedMinutesAgo !== undefined ? { startTime: minutesAgo(o.startedMinutesAgo) } : {}) },
  });
}

test('without --all: expired, finished and my own pods go; another user\'s, a running np-doctor\'s and unlabelled ones stay, each with its reason', async () => {
  debugPod('np-doctor-mine', { owner: { ...me, pid: DEAD_PID }, startedMinutesAgo: 1, deadline: 600 });
  // The parent of this test process is alive: a np-doctor still at work on this machine.
  debugPod('np-doctor-mine-running', { owner: { ...me, pid: process.ppid }, startedMinutesAgo: 1, deadline: 600 });
  debugPod('np-doctor-alice', { owner: { user: 'alice', host: 'laptop-2', pid: 1234 }, startedMinutesAgo: 1, deadline: 600 });
  debugPod('np-doctor-alice-expired', { owner: { user: 'alice', host: 'laptop-2', pid: 1234 }, startedMinutesAgo: 20, deadline: 600 });
  debugPod('np-doctor-ended', { owner: { user: 'bob', host: 'ci', pid: 1 }, phase: 'Failed' });
  debugPod('np-doctor-old', {});

  const dry = await run(['cleanup', '--kubeconfig', kubeconfig, '--dry-run']);
  assert.equal(dry.code, 0, dry.err);
  assert.deepEqual(dry.out.split('\n'), [
    'would keep pod default/np-doctor-alice (alice on laptop-2 started it; it ends by itself in 9 min)',
    'would delete pod default/np-doctor-alice-expired (its deadline passed 10 min ago)',
    'would delete pod default/np-doctor-ended (it has ended (Failed))',
    'would delete pod default/np-doctor-mine (you started it on this machine)',
    `would keep pod default/np-doctor-mine-running (np-doctor process ${process.ppid} on this machine started it and is still running; it ends by itself in 9 min)`,
    'would keep pod default/np-doctor-old (it does not say who started it)',
    '3 pods would be kept; np-doctor cleanup --all deletes them too',
    '',
  ]);
  assert.equal(debugPodsIn(server.store).length, 6, 'a dry run deletes nothing');

  const r = await run(['cleanup', '--kubeconfig', kubeconfig]);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^deleted pod default\/np-doctor-alice-expired \(its deadline passed 10 min ago\)$/m);
  assert.match(r.out, /^kept pod default\/np-doctor-alice \(alice on laptop-2 started it; it ends by itself in 9 min\)$/m);
  assert.deepEqual(debugPodsIn(server.store), ['default/np-doctor-alice', 'default/np-doctor-mine-running', 'default/np-doctor-old']);

  const all = await run(['cleanup', '--kubeconfig', kubeconfig, '--all']);
  assert.equal(all.code, 0, all.err);
  assert.equal(all.out, ['alice', 'mine-running', 'old'].map((p) => `deleted pod default/np-doctor-${p} (--all)\n`).join(''));
  assert.deepEqual(debugPodsIn(server.store), []);
  assert.equal((await run(['cleanup', '--kubeconfig', kubeconfig])).out, 'no np-doctor debug pods\n');
});

test('a pod that never started counts from its creation; the owner\'s pid is checked only on the same machine', () => {
  const now = Date.parse('2025-01-01T12:00:00Z');
  const owner = { user: 'me', host: 'here', pid: 10 };
  const pending = { metadata: { creationTimestamp: '2025-01-01T11:00:00Z' }, spec: { activeDeadlineSeconds: 600 }, status: { phase: 'Pending' } };
  assert.deepEqual(judge(pending, owner, now), { delete: true, why: 'its deadline passed 50 min ago' });
  const elsewhere = { metadata: { annotations: { 'np-doctor.dev/user': 'me', 'np-doctor.dev/host': 'there', 'np-doctor.dev/pid': '10' } }, status: { phase: 'Running' } };
  assert.deepEqual(judge(elsewhere, owner, now, () => true), { delete: false, why: 'me on there started it' });
  const mineLive = { metadata: { annotations: { 'np-doctor.dev/user': 'me', 'np-doctor.dev/host': 'here', 'np-doctor.dev/pid': '11' } }, status: { phase: 'Running' } };
  assert.equal(judge(mineLive, owner, now, () => true).delete, false);
  assert.equal(judge(mineLive, owner, now, () => false).delete, true);
});
