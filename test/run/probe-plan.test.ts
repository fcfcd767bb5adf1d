/**
 * --probe's plan and its bounds: which probes each ingress node gets, in which order, how many pod
 * probes a node sends, and what is not sent (UDP, over MAX_PROBES, a target that is not an address).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admitProbes } from '../../src/collect/probe/admit.js';
import type { PlannedProbe } from '../../src/collect/probe/plan.js';
import { planProbes, POD_PROBES_PER_NODE } from '../../src/run/probe-plan.js';
import { MAX_PROBES, NOT_A_CONNECT, OVER_BOUND, ProbeTargetError } from '../../src/snapshot/probe.js';
import { baseCluster, buildScenarioSnapshot, deploymentPods, dualStack, updateService, type ClusterSpec } from '../support/scenario-kit/index.js';

const line = (p: PlannedProbe) => `${p.kind} ${p.from} → ${p.ip}:${p.port}/${p.protocol} ${p.node}${p.pod ? ` ${p.pod.namespace}/${p.pod.name}` : ''}`;
const frontend = { namespace: 'shop', service: 'frontend' };

test('every ingress node: from here to its nodePort, from itself to it, then to the pods (its own first)', () => {
  const spec = baseCluster();
  const snapshot = buildScenarioSnapshot(spec);
  const [a, b] = spec.pods.filter((p) => p.labels.app === 'frontend').map((p) => `${p.ip}:8080/TCP ${p.node} shop/${p.name}`);
  assert.deepEqual(planProbes(snapshot, frontend).probes.map(line), [
    'client-to-node here → 192.168.1.101:30080/TCP node-1',
    'node-to-self node-1 → 192.168.1.101:30080/TCP node-1',
    `node-to-pod node-1 → ${a}`,
    `node-to-pod node-1 → ${b}`,
    'client-to-node here → 192.168.1.102:30080/TCP node-2',
    'node-to-self node-2 → 192.168.1.102:30080/TCP node-2',
    `node-to-pod node-2 → ${a}`,
    `node-to-pod node-2 → ${b}`,
    'client-to-node here → 192.168.1.103:30080/TCP node-3',
    'node-to-self node-3 → 192.168.1.103:30080/TCP node-3',
    `node-to-pod node-3 → ${b}`,
    `node-to-pod node-3 → ${a}`,
  ]);
  assert.deepEqual(planProbes(snapshot, { ...frontend, node: 'node-2' }).probes.map((p) => p.from), ['here', 'node-2', 'node-2', 'node-2'], '--node: that node only');
  // Dialling loopback is the node's own business: from here it would reach this machine.
  assert.deepEqual(planProbes(snapshot, { ...frontend, node: 'node-2', nodeIp: '127.0.0.1' }).probes.map((p) => `${p.kind} ${p.ip}`),
    ['node-to-self 127.0.0.1', `node-to-pod ${a!.split(':')[0]}`, `node-to-pod ${b!.split(':')[0]}`]);
  assert.deepEqual(planProbes(snapshot, { namespace: 'shop', service: 'backend' }).probes, [], 'no nodePort: nothing to probe');
  assert.deepEqual(planProbes(snapshot, { namespace: 'shop', service: 'nope' }).probes, []);
  assert.deepEqual(planProbes(snapshot, { ...frontend, nodeIp: '10.9.9.9' }).probes, [], 'a question the diagnosis refuses plans nothing');
  // An address from the API that is not an IP is never dialled.
  const odd = structuredClone(snapshot);
  (odd.cluster.nodes[0]!.status as { addresses: { address: string }[] }).addresses[0]!.address = 'node-1.example;reboot';
  const dialled = planProbes(odd, frontend).probes.filter((p) => p.node === 'node-1' && p.kind !== 'node-to-pod').map((p) => p.ip);
  assert.deepEqual(dialled, ['192.168.1.101', '192.168.1.101'], 'node-1 is dialled where np-doctor reached it, never at the Node object\'s non-address');
  const unreachable = structuredClone(odd);
  unreachable.nodes[0]!.address = null;
  assert.deepEqual(planProbes(unreachable, frontend).probes.filter((p) => p.from === 'node-1' || p.node === 'node-1' && p.kind !== 'node-to-pod'), [], 'no usable address at all: node-1 is neither probed nor probes');
  const slice = odd.cluster.endpointSlices.find((s) => s.metadata.name.startsWith('frontend'))!;
  (slice.endpoints as { addresses: string[] }[])[0]!.addresses = ['$(reboot)'];
  assert.equal(planProbes({ ...odd, cluster: { ...odd.cluster, nodes: snapshot.cluster.nodes } }, frontend).probes.filter((p) => p.kind === 'node-to-pod').length, 3, 'one pod left, probed from each node');
});

/** 12 nodes, three frontend pods on each: more than a node may probe, and more than a run may send. */
function bigCluster(): ClusterSpec {
  const spec = baseCluster();
  for (let k = 4; k <= 12; k++) spec.nodes.push({ name: `node-${k}`, ip: `192.168.1.${100 + k}`, podCIDR: `10.244.${k - 1}.0/24` });
  spec.pods = spec.pods.filter((p) => p.labels.app !== 'frontend');
  spec.pods.push(...deploymentPods(spec, 'shop', 'frontend', { nodes: spec.nodes.flatMap((n) => [n.name, n.name, n.name]), ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }));
  return spec;
}

test('a node probes at most POD_PROBES_PER_NODE pods: one of its own, then one per other node', () => {
  const plan = planProbes(buildScenarioSnapshot(bigCluster()), frontend).probes;
  for (const node of ['node-1', 'node-7', 'node-12']) {
    const pods = plan.filter((p) => p.kind === 'node-to-pod' && p.from === node);
    assert.equal(pods.length, POD_PROBES_PER_NODE);
    assert.equal(pods[0]!.node, node, 'its own pod first');
    assert.equal(new Set(pods.map((p) => p.node)).size, POD_PROBES_PER_NODE, 'then other nodes, one pod each');
  }
  assert.equal(plan.length, 12 * (2 + POD_PROBES_PER_NODE));
});

test('past MAX_PROBES, the rest is recorded as not run; UDP is never sent, nor anything but an address', () => {
  const plan = planProbes(buildScenarioSnapshot(bigCluster()), frontend).probes;
  assert.ok(plan.length > MAX_PROBES);
  const { send, notRun } = admitProbes(plan, '2026-01-01T00:00:00.000Z');
  assert.equal(send.length, MAX_PROBES);
  assert.deepEqual(send.map((a) => a.index), [...Array(MAX_PROBES).keys()], 'the first ones, in the plan\'s order');
  assert.equal(notRun.size, plan.length - MAX_PROBES);
  assert.ok([...notRun.values()].every((p) => p.result === 'not-run' && p.detail === OVER_BOUND && p.ms === null));

  const udp: PlannedProbe = { kind: 'client-to-node', from: 'here', node: 'node-1', ip: '192.168.1.101', port: 30053, protocol: 'UDP' };
  const bad: PlannedProbe = { ...udp, protocol: 'TCP', ip: '$(reboot)' };
  const few = admitProbes([udp, { ...udp, protocol: 'TCP', ip: '::ffff:192.168.1.101' }], 'now');
  assert.deepEqual(few.send.map((a) => a.target), [{ ip: '::ffff:c0a8:165', port: 30053 }], 'the address in its canonical form');
  assert.equal(few.notRun.get(0)?.detail, NOT_A_CONNECT);
  assert.throws(() => admitProbes([bad], 'now'), ProbeTargetError);
});

test('a dual-stack Service is probed in each family its diagnosis replays; --from pins one', () => {
  const snapshot = buildScenarioSnapshot(updateService(dualStack(baseCluster()), 'shop/frontend', { ipFamilyPolicy: 'PreferDualStack' }));
  const toNodes = (ask: object) => planProbes(snapshot, { ...frontend, node: 'node-1', ...ask }).probes.filter((p) => p.kind !== 'node-to-pod').map((p) => `${p.kind} ${p.ip}`);
  const both = toNodes({});
  assert.equal(both.length, 4, both.join('\n'));
  assert.deepEqual(both.map((l) => l.includes(':') ? 6 : 4), [4, 4, 6, 6], 'the primary family first, as diagnose asks');
  assert.deepEqual(toNodes({ from: '[2001:db8::7]:40000' }).map((l) => l.includes(':')), [true, true]);
});
