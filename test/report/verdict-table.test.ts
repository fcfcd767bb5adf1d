/**
 * The Report's verdict, case by case: a scenario-kit cluster and a question in, the one-line
 * summary and the per-node verdicts (result, share delivered, why) out. The summary says what the
 * client sees on each ingress node, grouped worst first, with the share of connections when only
 * some fail, and then the top finding's message (or, without one, why the first failing node fails).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CHECKS } from '../../checks/index.js';
import { diagnose } from '../../src/diagnose.js';
import type { Ask } from '../../src/run/question.js';
import { baseCluster, buildScenarioSnapshot, updateNode, updateService, type ClusterSpec } from '../support/scenario-kit/index.js';
import { probesFor } from '../support/scenario-kit/probes.js';

interface Case {
  name: string;
  spec: ClusterSpec;
  ask: Omit<Ask, 'namespace'>;
  /** The summary, whole or (a RegExp) in part. */
  summary: string | RegExp;
  /** [node, result, deliveredShare] per ingress node. */
  nodes: [string, string, number][];
  /** The first failing node's why, when it matters. */
  why?: RegExp;
}

const etpLocal = (): ClusterSpec => updateService(baseCluster(), 'shop/frontend', { externalTrafficPolicy: 'Local' });

/** node-1 rejects what it DNATs to one stale endpoint: half of its connections fail. */
const staleOnNode1 = (): ClusterSpec => updateNode(baseCluster(), 'node-1', {
  kubeProxy: { staleEndpoints: { 'shop/frontend': [{ ip: '10.244.1.2', node: 'node-2' }, { ip: '10.244.2.99', node: 'node-3' }] } },
});

/** The rules deliver, but --probe saw connections from here time out while each node answers itself. */
const firewalled = (): ClusterSpec => {
  const spec = baseCluster();
  spec.probes = probesFor(spec, { fromHere: () => 'timed-out' });
  return spec;
};

const CASES: Case[] = [
  {
    name: 'one healthy node: where the client connects and that it reaches a pod, nothing more',
    spec: baseCluster(),
    ask: { service: 'frontend', node: 'node-1' },
    summary: 'connections to 192.168.1.101:30080 reach a pod',
    nodes: [['node-1', 'delivered', 1]],
  },
  {
    name: 'every node healthy: one group, every node with its address',
    spec: baseCluster(),
    ask: { service: 'frontend', allNodes: true },
    summary: 'connections to port 30080 reach a pod on node-1 (192.168.1.101), node-2 (192.168.1.102), node-3 (192.168.1.103)',
    nodes: [['node-1', 'delivered', 1], ['node-2', 'delivered', 1], ['node-3', 'delivered', 1]],
  },
  {
    name: 'eTP Local: the failing node first, the working ones after, then the top finding',
    spec: etpLocal(),
    ask: { service: 'frontend', allNodes: true },
    summary: /^connections to port 30080 time out on node-1 \(192\.168\.1\.101\); reach a pod on node-2 \(192\.168\.1\.102\), node-3 \(192\.168\.1\.103\): Node node-1 drops connections/,
    nodes: [['node-1', 'timeout', 0], ['node-2', 'delivered', 1], ['node-3', 'delivered', 1]],
    why: /KUBE-EXTERNAL-SERVICES/,
  },
  {
    name: 'three groups, worst first: time out, cannot be decided, reach a pod',
    spec: updateNode(etpLocal(), 'node-3', { access: false }),
    ask: { service: 'frontend', allNodes: true },
    summary: /^connections to port 30080 time out on node-1 \(192\.168\.1\.101\); cannot be decided on node-3 \(192\.168\.1\.103\); reach a pod on node-2 \(192\.168\.1\.102\): /,
    nodes: [['node-1', 'timeout', 0], ['node-2', 'delivered', 1], ['node-3', 'indeterminate', 0]],
    why: /KUBE-EXTERNAL-SERVICES/,
  },
  {
    name: 'some connections fail: the share that fails is said',
    spec: staleOnNode1(),
    ask: { service: 'frontend', node: 'node-1' },
    summary: /^connections to 192\.168\.1\.101:30080 time out \(50% of connections\): /,
    nodes: [['node-1', 'timeout', 0.5]],
    why: /10\.244\.2\.99:8080, which is not a ready endpoint of the Service/,
  },
  {
    name: 'a cause only --probe saw: what the rules say, then what the wire says',
    spec: firewalled(),
    ask: { service: 'frontend', node: 'node-1' },
    summary: /^by the nodes' rules, connections to 192\.168\.1\.101:30080 reach a pod; on the wire: Connections from .* time out on node-1/,
    nodes: [['node-1', 'delivered', 1]],
  },
  {
    name: 'a ClusterIP Service has no NodePort to replay',
    spec: baseCluster(),
    ask: { service: 'backend' },
    summary: /^Service shop\/backend: /,
    nodes: [],
  },
  {
    name: 'an ingress node that was not gathered cannot be decided',
    spec: updateNode(baseCluster(), 'node-1', { access: false }),
    ask: { service: 'frontend', node: 'node-1' },
    summary: /^connections to 192\.168\.1\.101:30080 cannot be decided/,
    nodes: [['node-1', 'indeterminate', 0]],
    why: /connect to 192\.168\.1\.101:22: no answer from 192\.168\.1\.101:22 within 10 s/,
  },
];

describe('the verdict: one row per question', () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const report = await diagnose(buildScenarioSnapshot(c.spec), { namespace: 'shop', ...c.ask }, { checks: CHECKS });
      if (typeof c.summary === 'string') assert.equal(report.verdict.summary, c.summary);
      else assert.match(report.verdict.summary, c.summary);
      assert.deepEqual(report.verdict.nodes.map((n) => [n.node, n.result, n.deliveredShare]), c.nodes);
      const failing = report.verdict.nodes.find((n) => n.result !== 'delivered');
      if (c.why !== undefined) assert.match(failing?.why ?? '', c.why);
      else if (failing === undefined) assert.ok(report.verdict.nodes.every((n) => n.why === 'every branch reaches a pod'));
    });
  }
});
