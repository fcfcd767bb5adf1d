/**
 * `diagnose --probe` through the binary a user runs, reading nodes through debug pods whose exec the
 * fake API server runs in the lab's node namespaces: every probe is listed with its result, each
 * node's probes ran in its debug pod after its fixed commands and before the pod was deleted, the
 * probes from here ran once every node was read, and without --probe no connection reaches a pod.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { Report } from '../../src/report/model.js';
import { labGate, missingPrerequisites } from '../kernel/lab/prereq.js';
import { startClusterLab, type ClusterLab } from '../support/cluster-lab.js';
import { netnsExecHandler } from '../support/fake-apiserver/index.js';
import { isObject } from '../support/fake-apiserver/types.js';
import { cli } from './cli.js';

const problem = missingPrerequisites() ?? (existsSync('dist/src/cli.js') ? null : 'dist/src/cli.js is not built (npm run build)');
const runs = labGate('diagnose --probe acceptance tests', problem, 'root, the kernel lab tools and a build');
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync('schema/report.v1.json', 'utf8')) as Record<string, unknown>);

/** One exec the fake ran, or one debug pod it deleted, in order. */
interface Event {
  time: number;
  pod: string;
  what: string;
}

describe('diagnose --probe through debug pods (fake API server exec into the lab nodes)', { skip: !runs }, () => {
  let lab: ClusterLab;
  const events: Event[] = [];
  const frontendIps: string[] = [];
  const frontendPods = new Set<string>();
  /** Connections the frontend pods' servers logged that sent nothing (a probe only connects and closes). */
  const silent = () => lab.servers.logs.filter((l) => frontendPods.has(l.pod) && l.proto === 'tcp' && l.token === null).length;

  before(async () => {
    lab = await startClusterLab('etp-cluster');
    const nodeNs = new Map(lab.nodes.map((n) => [n.name, n.ns]));
    const inner = netnsExecHandler(nodeNs);
    lab.apiserver.setExecHandler(async (pod, container, argv) => {
      const name = isObject(pod.metadata) ? String(pod.metadata.name) : '?';
      const r = await inner(pod, container, argv);
      events.push({ time: Date.now(), pod: name, what: argv.slice(2).join(' ') });
      return r;
    });
    for (const p of lab.spec.pods) {
      if (p.namespace !== 'shop' || p.labels.app !== 'frontend' || p.ip === null) continue;
      frontendIps.push(p.ip);
      frontendPods.add(p.name);
    }
    assert.equal(frontendIps.length, 2);
  });
  after(async () => {
    await lab?.close();
  });

  const base = () => ['diagnose', 'svc/frontend', '-n', 'shop', '--kubeconfig', lab.kubeconfig, '--collect', 'debug-pod'];
  const waitFor = async (what: () => boolean, why: string) => {
    for (let i = 0; i < 200 && !what(); i++) await new Promise((r) => setTimeout(r, 25));
    assert.ok(what(), why);
  };

  test('without --probe no probe is exec\'d and no connection reaches a pod', async () => {
    const r = await cli(lab, [...base(), '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal('probes' in (JSON.parse(r.stdout) as Report), false);
    assert.deepEqual(events.filter((e) => e.what.includes('np-doctor-probe')), []);
    // A fence: one connection of our own through node-1's nodePort must be the only one counted.
    const { connect } = await import('node:net');
    await new Promise<void>((resolve, reject) => connect(30080, lab.nodes[0]!.ip).once('connect', function (this: import('node:net').Socket) {
      this.destroy();
      resolve();
    }).once('error', reject));
    await waitFor(() => silent() >= 1, 'the fence connection arrives');
    assert.equal(silent(), 1, 'diagnose without --probe sent nothing to the pods');
  });

  test('--probe: every probe listed and connected; each node\'s ran in its debug pod after its commands, before its deletion', async () => {
    events.length = 0;
    const before = silent();
    const t0 = Date.now();
    const r = await cli(lab, [...base(), '--probe', '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(validate(report), true, JSON.stringify(validate.errors));
    const probes = report.probes ?? [];
    const shape = probes.map((p) => `${p.kind} ${p.from} → ${p.kind === 'node-to-pod' ? 'POD' : `${p.ip}:${p.port}/${p.protocol}`} ${p.result}`);
    assert.deepEqual(shape, lab.nodes.flatMap((n) => [
      `client-to-node here → ${n.ip}:30080/TCP connected`,
      `node-to-self ${n.name} → ${n.ip}:30080/TCP connected`,
      `node-to-pod ${n.name} → POD connected`,
      `node-to-pod ${n.name} → POD connected`,
    ]));
    for (const n of lab.nodes) assert.deepEqual(probes.filter((p) => p.kind === 'node-to-pod' && p.from === n.name).map((p) => `${p.ip}:${p.port}`).sort(), frontendIps.map((ip) => `${ip}:8080`).sort());
    assert.ok(probes.filter((p) => p.from === 'here').every((p) => p.fromAddress === '192.168.1.254'), 'the source address this machine uses on the LAN');
    assert.ok(probes.every((p) => p.ms !== null && p.ms >= 0 && Date.parse(p.at) >= t0 - 1000));
    // Each node: 1 self + 2 pods through its debug pod, 1 from here; every one accepted by a listener.
    await waitFor(() => silent() - before >= 12, `12 connections reach the pods' servers (saw ${silent() - before})`);
    assert.equal(silent() - before, 12, 'no more than the probes');

    const debugPods = [...new Set(events.map((e) => e.pod))];
    assert.equal(debugPods.length, 3, 'one debug pod a node');
    for (const pod of debugPods) {
      const mine = events.filter((e) => e.pod === pod);
      const firstProbe = mine.findIndex((e) => e.what.includes('np-doctor-probe'));
      assert.equal(mine.length - firstProbe, 3, `${pod}: its three probes come last`);
      assert.deepEqual(mine.slice(0, firstProbe).filter((e) => e.what.includes('np-doctor-probe')), []);
      assert.match(mine[firstProbe - 1]!.what, /^ip -all netns exec ss /, `${pod}: after the last fixed command`);
      const deleted = lab.apiserver.deletions.find((d) => d.name === pod);
      assert.ok(deleted !== undefined && deleted.time >= mine[mine.length - 1]!.time, `${pod}: deleted after its probes`);
    }
    const lastDeletion = Math.max(...lab.apiserver.deletions.filter((d) => debugPods.includes(d.name)).map((d) => d.time));
    assert.ok(probes.filter((p) => p.from === 'here').every((p) => Date.parse(p.at) >= lastDeletion - 5), 'the probes from here started after every node was read');
  });

  test('--probe over SSH, text: the Probes section lists each probe with its result and time', async () => {
    const ssh = ['--collect', 'ssh', '--ssh-user', 'root', '--ssh-key', lab.userKey.privatePath, '--ssh-known-hosts', lab.knownHosts];
    const r = await cli(lab, ['diagnose', 'svc/frontend', '-n', 'shop', '--kubeconfig', lab.kubeconfig, ...ssh, '--node', 'node-2', '--probe', '--probe-timeout', '2s']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    const from = lines.findIndex((l) => l.startsWith('Probes'));
    assert.ok(from > 0, r.stdout);
    // A probe is one entry; text wraps at 80 columns here (piped), its continuation indented deeper.
    const entries: string[] = [];
    for (const l of lines.slice(from + 1)) {
      if (l === '') break;
      if (/^ {5,}\S/.test(l) && entries.length > 0) entries[entries.length - 1] += ` ${l.trim()}`;
      else entries.push(l);
    }
    const section = entries.map((l) => l.replace(/ in \d+ ms$/, ' in N ms'));
    assert.deepEqual(section.slice(0, 2), [
      '  client-to-node here (192.168.1.254) → 192.168.1.102:30080/TCP  connected in N ms',
      '  node-to-self   node-2 → 192.168.1.102:30080/TCP  connected in N ms',
    ]);
    assert.equal(section.length, 4, r.stdout);
    for (const l of section.slice(2)) assert.match(l, /^ {2}node-to-pod {4}node-2 → 10\.244\.\d+\.\d+:8080\/TCP \(shop\/frontend-\S+ on node-\d\) {2}connected in N ms$/);
  });
});
