/**
 * The gathering issue's acceptance, through the binary a user runs: against the fake API server and
 * the scenario kit's cluster as a namespace lab with real sshd, `np-doctor snapshot` writes a
 * snapshot of the Service's endpoint nodes (node-2, node-3) over SSH and over debug pods whose
 * iptables dumps are what iptables-save prints in those namespaces and each line of which validates
 * against the published JSON Schema; `trace --snapshot` gives what `trace` gives on the live dump; and Ctrl-C
 * while a debug pod runs deletes the pod.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { WalkResult } from '../../src/engine/packet/contract.js';
import { loadSnapshot } from '../../src/snapshot/file.js';
import type { Snapshot } from '../../src/snapshot/schema.js';
import { run } from '../kernel/lab/exec.js';
import { labGate, missingPrerequisites } from '../kernel/lab/prereq.js';
import { startClusterLab, type ClusterLab } from '../support/cluster-lab.js';
import { portProtoHash } from '../support/scenario-kit/kube-proxy-names.js';
import { cli } from './cli.js';
import { debugPodsIn, resourceAt } from '../support/fake-apiserver/resources.js';

const problem = missingPrerequisites() ?? (existsSync('/usr/sbin/sshd') ? null : 'missing /usr/sbin/sshd (openssh-server)');
const runs = labGate('gathering acceptance tests', problem, 'root, the kernel lab tools and openssh-server');

/** iptables-save output without its timestamped comment lines and packet counters, which change between runs. */
const normalize = (dump: string) => dump.split('\n').filter((l) => !l.startsWith('#')).map((l) => l.replace(/ \[\d+:\d+\]$/, '')).join('\n');

const schema = JSON.parse(readFileSync('schema/snapshot-record.v2.json', 'utf8')) as Record<string, unknown>;
/** The nodes running shop/frontend's pods: what a snapshot without --node or --all-nodes reads. */
const ENDPOINT_NODES = ['node-2', 'node-3'];
/** kube-proxy's service chain for shop/frontend:http, as the kit and a real kube-proxy name it. */
const FRONTEND_SVC_CHAIN = `KUBE-SVC-${portProtoHash('shop/frontend:http', 'tcp')}`;
const validate = new Ajv2020({ allErrors: true, strict: false }).compile(schema);

describe('np-doctor snapshot against the fake API server and the kit\'s cluster lab', { skip: !runs }, () => {
  let lab: ClusterLab;
  before(async () => {
    lab = await startClusterLab();
  });
  after(async () => {
    await lab?.close();
  });

  const debugPodsLeft = () => debugPodsIn(lab.apiserver.store);
  const snapshotArgs = (out: string, collect: string[]) => ['snapshot', 'svc/frontend', '-n', 'shop', '--kubeconfig', lab.kubeconfig, '-o', out, ...collect];
  const sshFlags = () => ['--collect', 'ssh', '--ssh-user', 'root', '--ssh-key', lab.userKey.privatePath, '--ssh-known-hosts', lab.knownHosts];

  async function checkSnapshot(file: string, access: string): Promise<Snapshot> {
    const snap = await loadSnapshot(file);
    // A v2 snapshot: every line (the header, then records) matches the published schema of a line.
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    assert.ok(lines.length > 3, 'a header, records and the end record');
    lines.forEach((line, i) => assert.equal(validate(JSON.parse(line)), true, `line ${i + 1} does not match schema/snapshot-record.v2.json: ${JSON.stringify(validate.errors)}`));
    assert.deepEqual(snap.errors, []);
    assert.deepEqual(snap.target, { namespace: 'shop', service: 'frontend' });
    assert.deepEqual(snap.cluster.services.map((s) => s.metadata.name), ['frontend']);
    assert.deepEqual(snap.cluster.nodes.map((n) => n.metadata.name), ['node-1', 'node-2', 'node-3']);
    assert.equal(snap.cluster.kubeProxy.config?.mode, 'iptables');
    assert.equal(snap.cluster.apiServer.serviceNodePortRange, '30000-32767');
    assert.ok(snap.cluster.coreDns.corefile?.includes('kubernetes cluster.local'), 'the Corefile');
    assert.deepEqual(snap.nodes.map((n) => [n.name, n.access]), ENDPOINT_NODES.map((name) => [name, access]));
    for (const node of lab.nodes.filter((n) => ENDPOINT_NODES.includes(n.name))) {
      const live = await run('iptables-nft-save', [], { ns: node.ns });
      const got = snap.nodes.find((n) => n.name === node.name)?.commands['iptables-nft-save'];
      assert.equal(got?.exitCode, 0, `${node.name}: ${got?.stderr}`);
      assert.ok(live.stdout.includes(FRONTEND_SVC_CHAIN), 'the lab has the rules loaded');
      assert.equal(normalize(got.stdout), normalize(live.stdout), `${node.name}: the snapshot's dump is what iptables-save prints there`);
      const addrs = snap.nodes.find((n) => n.name === node.name)?.commands['ip-addr']?.stdout ?? '';
      assert.ok(addrs.includes(`"local":"${node.ip}"`), `${node.name}: ip -j addr from the node itself`);
    }
    return snap;
  }

  test('--collect ssh: real sshd, verified host keys, the nodes\' own iptables-save', async () => {
    const out = join(lab.dir, 'ssh.json');
    const r = await cli(lab, snapshotArgs(out, sshFlags()));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /wrote .*ssh\.json: 1 service\(s\), 2 node\(s\)/);
    await checkSnapshot(out, 'ssh');
  });

  test('--collect debug-pod: pods created on each node, exec through the API, deleted afterwards', async () => {
    const out = join(lab.dir, 'debug.json');
    const before = lab.apiserver.deletions.length;
    const r = await cli(lab, snapshotArgs(out, ['--collect', 'debug-pod']));
    assert.equal(r.code, 0, r.stderr);
    await checkSnapshot(out, 'debug-pod');
    const created = lab.apiserver.requests.filter((q) => q.method === 'POST' && q.path.endsWith('/pods'));
    assert.deepEqual(created.map((q) => q.path), ['/api/v1/namespaces/default/pods', '/api/v1/namespaces/default/pods'], 'one debug pod per node, in the context\'s namespace (not -n shop)');
    assert.equal(lab.apiserver.deletions.length - before, 2, 'both debug pods deleted');
    assert.deepEqual(debugPodsLeft(), [], 'no debug pod left');
  });

  test('trace --snapshot gives the same walk as trace on the live dump', async () => {
    const out = join(lab.dir, 'ssh.json');
    if (!existsSync(out)) assert.equal((await cli(lab, snapshotArgs(out, sshFlags()))).code, 0);
    const node = lab.nodes.find((n) => n.name === 'node-2')!;
    const liveFile = join(lab.dir, 'node-2.rules');
    writeFileSync(liveFile, (await run('iptables-save', [], { ns: node.ns })).stdout);
    // The snapshot carries the nft ruleset too; it says which iptables-nft base chains exist.
    const nftFile = join(lab.dir, 'node-2.nft.json');
    writeFileSync(nftFile, (await run('nft', ['-j', 'list', 'ruleset'], { ns: node.ns })).stdout);
    const routes = JSON.parse((await run('ip', ['-j', 'route'], { ns: node.ns })).stdout) as { dst: string; dev: string }[];
    // kube-proxy (here: the kit's node) turns route_localnet on for localhost NodePorts.
    const routeLocalnet = (await run('sysctl', ['-n', 'net.ipv4.conf.all.route_localnet'], { ns: node.ns })).stdout.trim();
    const packet = ['--to', `${node.ip}:30080`, '--from', '203.0.113.7:40000', '--in-iface', 'eth0', '-o', 'json'];
    const live = await cli(lab, ['trace', '--iptables', liveFile, '--nft', nftFile, '--local-ip', `${node.ip}/24@eth0`, '--local-ip', '127.0.0.1/8@lo',
      ...routes.flatMap((r) => ['--route', `${r.dst}=${r.dev}`]), '--sysctl', 'net.ipv4.ip_forward=1', '--sysctl', `net.ipv4.conf.all.route_localnet=${routeLocalnet}`, ...packet]);
    const fromSnapshot = await cli(lab, ['trace', '--snapshot', out, '--node', node.name, ...packet]);
    assert.equal(live.code, 0, live.stderr);
    assert.equal(fromSnapshot.code, 0, fromSnapshot.stderr);
    // Hops name the dump they came from (a file path vs node-2:iptables-nft-save); everything else must agree.
    const comparable = (text: string) => (JSON.parse(text) as WalkResult).outcomes.map((o) => ({ ...o, hops: o.hops.map(({ source: _s, ...h }) => h) }));
    const a = comparable(live.stdout);
    assert.deepEqual(a.map((o) => [o.probability, o.verdict, o.dnat?.ip, o.snat?.type]).sort(), [[0.5, 'ACCEPT', '10.244.1.2', 'MASQUERADE'], [0.5, 'ACCEPT', '10.244.2.2', 'MASQUERADE']]);
    assert.deepEqual(comparable(fromSnapshot.stdout), a);
  });

  test('Pod Security refusing the debug pod: each node gets an error that says what to do, exit 3', async () => {
    const namespaces = resourceAt('', 'v1', 'namespaces')!;
    const original = lab.apiserver.store.get(namespaces, '', 'default')!;
    lab.apiserver.store.put({ ...original, metadata: { ...original.metadata, labels: { ...original.metadata.labels, 'pod-security.kubernetes.io/enforce': 'baseline' } } });
    try {
      const out = join(lab.dir, 'psa.json');
      const r = await cli(lab, snapshotArgs(out, ['--collect', 'debug-pod']));
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /node node-2: create a debug pod in namespace default: Pod Security Admission refused the debug pod \(hostNetwork, hostPID, hostPath, added capabilities\): .*violates PodSecurity "baseline:latest"/);
      assert.match(r.stderr, /→ use --debug-namespace with a namespace whose Pod Security level is privileged/);
      assert.deepEqual((await loadSnapshot(out)).errors.map((e) => e.node), ENDPOINT_NODES);
    } finally {
      lab.apiserver.store.put(original);
    }
  });

  test('Ctrl-C while the debug pod is being created: it is still deleted', async () => {
    const slowCreate = lab.apiserver.delay({ method: 'POST', path: /\/pods$/, ms: 1500 });
    const seen = lab.apiserver.requests.length;
    try {
      const r = await cli(lab, snapshotArgs(join(lab.dir, 'early.json'), ['--collect', 'debug-pod']), (kill) => {
        const poll = setInterval(() => {
          if (lab.apiserver.requests.slice(seen).some((q) => q.method === 'POST' && q.path.endsWith('/pods'))) {
            clearInterval(poll);
            kill('SIGINT');
          }
        }, 50);
      });
      assert.equal(r.code, 130, r.stderr);
      // The server finishes the delayed create after the client gave up waiting: wait for its reply.
      const post = lab.apiserver.requests.slice(seen).find((q) => q.method === 'POST' && q.path.endsWith('/pods'))!;
      for (let i = 0; i < 60 && post.status === undefined; i++) await new Promise((res) => setTimeout(res, 50));
      assert.equal(post.status, 201, 'the pod was created');
      assert.deepEqual(debugPodsLeft(), [], 'no debug pod left');
    } finally {
      slowCreate.remove();
    }
  });

  test('Ctrl-C while a debug pod runs: the pod is deleted, nothing is written, exit 130', async () => {
    const out = join(lab.dir, 'interrupted.json');
    const before = lab.apiserver.deletions.length;
    // Every exec hangs, so the run is surely inside a debug pod when the signal comes.
    const hang = lab.apiserver.delay({ path: /\/exec$/, ms: 60_000 });
    const seen = lab.apiserver.requests.length;
    try {
      const r = await cli(lab, snapshotArgs(out, ['--collect', 'debug-pod']), (kill) => {
        const poll = setInterval(() => {
          if (lab.apiserver.requests.slice(seen).some((q) => q.path.endsWith('/exec'))) {
            clearInterval(poll);
            kill('SIGINT');
          }
        }, 50);
      });
      assert.equal(r.code, 130, r.stderr);
      assert.match(r.stderr, /interrupted/);
      assert.equal(existsSync(out), false);
      assert.ok(lab.apiserver.deletions.length - before >= 1, 'the running debug pod was deleted');
      assert.deepEqual(debugPodsLeft(), [], 'no debug pod left');
    } finally {
      hang.remove();
    }
  });
});
