/**
 * ClusterModel and NodeData over scenario-kit snapshots, case by case: the endpoints of a Service
 * port, the pods a selector picks, addresses to pods and nodes, the pod CIDRs, and what a node's
 * data says when it was not gathered, was cut, or listens on a port.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ClusterModel } from '../../src/model/cluster.js';
import { NodeData } from '../../src/model/node-data.js';
import type { NodeState, Snapshot } from '../../src/snapshot/schema.js';
import {
  baseCluster, buildScenarioSnapshot, endpointSlice, updateNode, updatePods, type ClusterSpec,
} from '../support/scenario-kit/index.js';

/** Every NodePort Service of the cluster, as `np-doctor snapshot -A` gathers. */
const ALL = { target: { namespace: null, service: null } };
/** The snapshot gathered for one Service `ns/name`, or for every NodePort Service. */
const model = (spec: ClusterSpec, key?: string): ClusterModel => {
  const [namespace = '', service = ''] = key?.split('/') ?? [];
  return new ClusterModel(buildScenarioSnapshot(spec, key === undefined ? ALL : { target: { namespace, service } }));
};

describe('ClusterModel.endpoints: one port of a Service', () => {
  const cases: [string, ClusterSpec, string, string, [string, number | null, string | null, boolean, boolean, boolean][]][] = [
    ['two ready pods, the named targetPort resolved', baseCluster(), 'shop/frontend', 'http',
      [['10.244.1.2', 8080, 'node-2', true, true, false], ['10.244.2.2', 8080, 'node-3', true, true, false]]],
    ['a terminating pod: not ready, still serving', updatePods(baseCluster(), 'shop', { app: 'backend' }, { terminating: true }), 'shop/backend', 'http',
      [['10.244.2.3', 8080, 'node-3', false, true, true]]],
    ['a pod that is not ready', updatePods(baseCluster(), 'shop', { app: 'backend' }, { ready: false }), 'shop/backend', 'http',
      [['10.244.2.3', 8080, 'node-3', false, false, false]]],
    ['kube-dns: one port of several, UDP', baseCluster(), 'kube-system/kube-dns', 'dns',
      [['10.244.0.2', 53, 'node-1', true, true, false], ['10.244.0.3', 53, 'node-1', true, true, false]]],
  ];
  for (const [name, spec, key, portName, want] of cases) {
    test(name, () => {
      const m = model(spec, key);
      const [ns = '', svcName = ''] = key.split('/');
      const svc = m.service(ns, svcName);
      assert.ok(svc !== undefined, key);
      const port = svc.ports.find((p) => p.name === portName);
      assert.ok(port !== undefined, portName);
      assert.deepEqual(m.endpoints(svc, port, 4).map((e) => [e.address, e.port, e.nodeName, e.ready, e.serving, e.terminating]).sort(), want);
    });
  }
});

test('ClusterModel.endpoints: each address family from its own slices', () => {
  // The kit is IPv4-only: the dual-stack Service's IPv6 slice is added to its snapshot by hand.
  const snapshot = buildScenarioSnapshot(baseCluster());
  snapshot.cluster.endpointSlices.push({ ...endpointSlice('shop', 'frontend', [{ ip: 'fd00:244:1::2', node: 'node-2' }], [{ name: 'http', port: 8080 }], { name: 'frontend-v6' }), addressType: 'IPv6' });
  const m = new ClusterModel(snapshot);
  const svc = m.service('shop', 'frontend')!;
  const port = svc.ports[0]!;
  assert.deepEqual(m.endpoints(svc, port, 4).map((e) => e.address).sort(), ['10.244.1.2', '10.244.2.2']);
  assert.deepEqual(m.endpoints(svc, port, 6).map((e) => e.address), ['fd00:244:1::2']);
});

describe('ClusterModel lookups', () => {
  const m = model(updatePods(baseCluster(), 'shop', { app: 'backend' }, { hostNetwork: true }));
  const cases: [string, () => unknown, unknown][] = [
    ['a selector picks its namespace\'s pods', () => m.selectedPods(m.service('shop', 'frontend')!).map((p) => p.nodeName).sort(), ['node-2', 'node-3']],
    ['a pod by its IP', () => m.podByIp('10.244.1.2')?.labels.app, 'frontend'],
    ['a hostNetwork pod is not found by its (node\'s) IP', () => m.podByIp('192.168.1.103'), undefined],
    ['a pod by name, in any namespace when none is given', () => m.pod(undefined, m.pods.find((p) => p.labels.app === 'frontend')!.name)?.namespace, 'shop'],
    ['a node by any of its addresses', () => m.nodeByAddress('192.168.1.102')?.name, 'node-2'],
    ['an address no node lists', () => m.nodeByAddress('192.168.1.250'), undefined],
    ['pod CIDRs: kube-proxy\'s clusterCIDR', () => m.podCidrs(), ['10.244.0.0/16']],
    ['inside the pod CIDRs', () => m.inPodCidr('10.244.7.7'), true],
    ['outside the pod CIDRs', () => m.inPodCidr('10.96.0.10'), false],
    ['not an address at all', () => m.inPodCidr('frontend'), false],
  ];
  for (const [name, got, want] of cases) test(name, () => assert.deepEqual(got(), want));

  test('a Service without a selector picks none', () => {
    const api = model(baseCluster(), 'default/kubernetes');
    assert.deepEqual(api.selectedPods(api.service('default', 'kubernetes')!), []);
  });

  test('pod CIDRs without kube-proxy\'s configuration: the nodes\' podCIDRs', () => {
    const snapshot = buildScenarioSnapshot(baseCluster(), ALL);
    snapshot.cluster.kubeProxy.config = null;
    assert.deepEqual(new ClusterModel(snapshot).podCidrs(), ['10.244.0.0/24', '10.244.1.0/24', '10.244.2.0/24']);
  });
});

describe('NodeData: what a node says, and why not', () => {
  const snapshot = buildScenarioSnapshot(updateNode(baseCluster(), 'node-3', { access: false }), ALL);
  const node1 = snapshot.nodes.find((n) => n.name === 'node-1')!;

  const unavailable: [string, () => NodeData, string | null][] = [
    ['a gathered node', () => new ClusterModel(snapshot).nodeDataOf('node-1'), null],
    ['a node SSH did not reach: the gather error', () => new ClusterModel(snapshot).nodeDataOf('node-3'), 'connect to 192.168.1.103:22: no answer from 192.168.1.103:22 within 10 s'],
    ['--collect none', () => new NodeData('node-1', null, [], 'none'), 'node state was not collected (--collect none)'],
    ['a node not asked about', () => new NodeData('node-1', null, [], 'ssh'), 'the node was not part of the gathering'],
    ['a node whose state holds no command', () => new NodeData('node-1', { ...node1, commands: {} }, [], 'ssh'), 'the node was not part of the gathering'],
  ];
  for (const [name, data, want] of unavailable) {
    test(`unavailable: ${name}`, () => {
      const d = data();
      assert.equal(d.unavailable, want);
      const rules = d.rulesFor(4);
      assert.equal(rules.ok, want === null);
      if (!rules.ok) assert.equal(rules.why, want ?? 'not gathered');
    });
  }

  const withCommand = (id: string, stdout: string, o: Partial<NodeState['commands'][string]> = {}): NodeData =>
    new NodeData('node-1', { ...node1, commands: { ...node1.commands, [id]: { argv: [id], stdout, stderr: '', exitCode: 0, ...o } } }, [], 'ssh');

  const listening: [string, string, string[] | null][] = [
    ['tcp and udp sockets on every address', 'tcp LISTEN 0 4096 0.0.0.0:30080 0.0.0.0:*\nudp UNCONN 0 0 *:53 *:*', ['tcp/30080', 'udp/53']],
    ['IPv6 and scoped addresses', 'tcp LISTEN 0 128 [::]:22 [::]:*\ntcp LISTEN 0 128 [fe80::1%eth0]:8080 [::]:*', ['tcp/22', 'tcp/8080']],
    ['loopback-only sockets are out of a client\'s reach', 'tcp LISTEN 0 128 127.0.0.1:10248 0.0.0.0:*\ntcp LISTEN 0 128 [::1]:9099 [::]:*', []],
    ['other socket kinds and short lines are skipped', 'u_str LISTEN 0 0 /run/x 1\ntcp LISTEN', []],
  ];
  for (const [name, stdout, want] of listening) {
    test(`listening: ${name}`, () => assert.deepEqual([...withCommand('listening-sockets', stdout).listening ?? []].sort(), want));
  }
  test('listening: not gathered when ss failed', () => assert.equal(withCommand('listening-sockets', '', { exitCode: 1 }).listening, null));

  test('a command cut at the output limit is not read as the node\'s state', () => {
    const cut = withCommand('sysctls', 'net.ipv4.ip_forward = 1\n', { truncated: { stdout: true, stderr: false, limitBytes: 1024 } });
    assert.equal(cut.command('sysctls'), undefined);
    assert.equal(cut.sysctl('net.ipv4.ip_forward'), undefined);
    assert.equal(withCommand('sysctls', 'net.ipv4.ip_forward = 1\n').sysctl('net.ipv4.ip_forward'), '1');
  });

  const dumps: [string, string, number | null][] = [
    ['a dump with tables', '*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n', 1],
    ['an empty backend', '', null],
    ['a dump that does not parse', '*filter\n-A NOWHERE -j ACCEPT\n', null],
  ];
  for (const [name, stdout, tables] of dumps) {
    test(`backendDump: ${name}`, () => assert.equal(withCommand('iptables-legacy-save', stdout).backendDump('legacy', 4)?.tables.size ?? null, tables));
  }
});

/** The snapshot keeps what each node printed; the model must not change it. */
test('the model reads a snapshot without changing it', () => {
  const snapshot: Snapshot = buildScenarioSnapshot(baseCluster(), ALL);
  const before = JSON.stringify(snapshot);
  const m = new ClusterModel(snapshot);
  for (const n of m.nodes) m.nodeDataOf(n.name).rulesFor(4);
  assert.equal(JSON.stringify(snapshot), before);
});
