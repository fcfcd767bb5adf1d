/**
 * analysePaths, case by case: each row is a scenario-kit cluster (its nodes' real-shaped rules and
 * routes), one ingress node and the question's backends and policies, and the path the client's
 * connection takes: the node's result, the share delivered, and per branch the result, the stage
 * that decided it, the backend and the source address the pod sees.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analysePaths, type NodePath, type PathBackend, type PathNode, type PathQuestion } from '../../src/engine/path.js';
import { NodeData } from '../../src/model/node-data.js';
import {
  baseCluster, buildScenarioSnapshot, deploymentPods, findNode, networkPolicy, podIPOf, service, updateNode, updateService, type ClusterSpec,
} from '../support/scenario-kit/index.js';

const CLIENT = { ip: '203.0.113.7', port: 40000 };

type PolicyInput = PathQuestion['policy'];
type PolicyPod = NonNullable<PathBackend['pod']>;

/** The spec's pods as NetworkPolicy sees them (every pod of the kit declares its ports). */
function policyPods(spec: ClusterSpec): PolicyPod[] {
  return spec.pods.filter((p) => p.node !== null).map((p) => ({
    namespace: p.namespace, name: p.name, labels: p.labels, ips: [podIPOf(spec, p) ?? ''], nodeName: p.node ?? undefined, hostNetwork: p.hostNetwork === true,
    containerPorts: p.containers.flatMap((c) => c.ports ?? []).map((c) => ({ ...(c.name ? { name: c.name } : {}), port: c.containerPort, protocol: c.protocol ?? 'TCP' })),
  }));
}

interface Case {
  name: string;
  spec: ClusterSpec;
  /** The ingress node (default node-1) and the address the client dials (default its InternalIP). */
  ingress?: { node: string; address?: string; localProcess?: boolean };
  /** Default 203.0.113.7:40000, outside the cluster. */
  client?: { ip: string; port: number };
  nodePort?: number;
  /** The Service whose pods (labelled app=<name> in shop) are the backends; default frontend. */
  app?: string;
  /** Drop these backends from the question (rules that still point at them: stale). */
  withoutBackends?: string[];
  /** Leave these nodes out of the question (not gathered). */
  notGathered?: string[];
  /** null: NetworkPolicies unknown. */
  policies?: 'unknown';
  want: {
    result: NodePath['result'];
    deliveredShare: number;
    unavailable?: string;
    /** [probability, result, failedAt, backend ip, source at the pod], sorted. */
    branches: [number, string, string | null, string | null, string | null][];
    /** Substrings of the deciding branch's `why`, when a branch fails. */
    why?: RegExp;
    assumptions?: RegExp;
  };
}

function question(c: Case): PathQuestion {
  const snapshot = buildScenarioSnapshot(c.spec, { target: { namespace: 'shop', service: null } });
  const ingress = c.ingress ?? { node: 'node-1' };
  const nodes = new Map<string, PathNode>();
  for (const state of snapshot.nodes.filter((n) => !(c.notGathered ?? []).includes(n.name))) {
    const data = new NodeData(state.name, state, [], 'ssh');
    const r = data.rulesFor(4);
    nodes.set(state.name, { name: state.name, rules: r.ok ? { plane: r.plane, context: r.context } : { unavailable: r.why }, sysctls: data.sysctls, listening: data.listening });
  }
  const pods = policyPods(c.spec);
  const app = c.app ?? 'frontend';
  const backends: PathBackend[] = pods
    .filter((p) => p.namespace === 'shop' && p.labels.app === app && !(c.withoutBackends ?? []).includes(p.ips[0] ?? ''))
    .map((p) => ({ ip: p.ips[0] ?? '', port: p.containerPorts[0]?.port ?? 0, node: p.nodeName ?? null, pod: p, hostNetwork: p.hostNetwork === true }));
  const nodeAddresses = Object.fromEntries(c.spec.nodes.map((n) => [n.name, [n.internalIP ?? n.ip]]));
  const policy: PolicyInput = c.policies === 'unknown'
    ? { unavailable: 'list networkpolicies: Forbidden (403)' }
    : { policies: c.spec.networkPolicies, pods, namespaces: c.spec.namespaces.map((n) => ({ name: n.name, labels: { 'kubernetes.io/metadata.name': n.name } })), nodeAddresses, podCidrs: [c.spec.clusterCIDR] };
  const node = findNode(c.spec, ingress.node);
  return {
    client: c.client ?? CLIENT,
    protocol: 'tcp',
    nodePort: c.nodePort ?? 30080,
    ingress: [{ node: ingress.node, address: ingress.address ?? node.internalIP ?? node.ip, ...(ingress.localProcess ? { localProcess: true } : {}) }],
    nodes,
    backends,
    policy,
    nodeAddresses,
  };
}

const etpLocal = (): ClusterSpec => updateService(baseCluster(), 'shop/frontend', { externalTrafficPolicy: 'Local' });

const CASES: Case[] = [
  {
    name: 'eTP Cluster: half to each pod, masqueraded to the ingress node, replies come back through it',
    spec: baseCluster(),
    want: {
      result: 'delivered', deliveredShare: 1,
      branches: [[0.5, 'delivered', null, '10.244.1.2', '192.168.1.101'], [0.5, 'delivered', null, '10.244.2.2', '192.168.1.101']],
    },
  },
  {
    name: 'eTP Local on a node without a pod: kube-proxy drops it in filter KUBE-EXTERNAL-SERVICES',
    spec: etpLocal(),
    want: { result: 'timeout', deliveredShare: 0, branches: [[1, 'timeout', 'ingress', null, null]], why: /dropped by filter\/KUBE-EXTERNAL-SERVICES line \d+ on node-1/ },
  },
  {
    name: 'eTP Local on a node with a pod: the local pod, with the client\'s own address',
    spec: etpLocal(),
    ingress: { node: 'node-2' },
    want: { result: 'delivered', deliveredShare: 1, branches: [[1, 'delivered', null, '10.244.1.2', '203.0.113.7']] },
  },
  {
    name: 'a NetworkPolicy that admits only the client network meets the masqueraded source and drops it',
    spec: (() => {
      const s = baseCluster();
      s.networkPolicies.push(networkPolicy('shop', 'from-clients', {
        podSelector: { matchLabels: { app: 'frontend' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr: '203.0.113.0/24' } }] }],
      }));
      return s;
    })(),
    want: {
      result: 'timeout', deliveredShare: 0,
      branches: [[0.5, 'timeout', 'policy', '10.244.1.2', '192.168.1.101'], [0.5, 'timeout', 'policy', '10.244.2.2', '192.168.1.101']],
      why: /^NetworkPolicy drops it at shop\/frontend-/,
    },
  },
  {
    name: 'NetworkPolicies that could not be read leave the policy stage open; the packet still arrives',
    spec: baseCluster(),
    policies: 'unknown',
    want: { result: 'delivered', deliveredShare: 1, branches: [[0.5, 'delivered', null, '10.244.1.2', '192.168.1.101'], [0.5, 'delivered', null, '10.244.2.2', '192.168.1.101']] },
  },
  {
    name: 'kube-proxy without its MASQUERADE rule (no flannel rule stands in): the remote pod answers the client directly, and the client drops the reply',
    spec: updateNode(baseCluster({ cni: 'calico' }), 'node-1', { kubeProxy: { noMasqueradeRule: true } }),
    want: {
      result: 'timeout', deliveredShare: 0,
      branches: [[0.5, 'timeout', 'return', '10.244.1.2', '203.0.113.7'], [0.5, 'timeout', 'return', '10.244.2.2', '203.0.113.7']],
      why: /the reply leaves node-[23] straight to 203\.0\.113\.7, bypassing node-1/,
    },
  },
  {
    name: 'rules that send to an address that is no ready endpoint (stale rules) time out at the backend; the node\'s result is that failure',
    spec: baseCluster(),
    withoutBackends: ['10.244.2.2'],
    want: {
      result: 'timeout', deliveredShare: 0.5,
      branches: [[0.5, 'delivered', null, '10.244.1.2', '192.168.1.101'], [0.5, 'timeout', 'backend-node', '10.244.2.2', '192.168.1.101']],
      why: /the rules send it to 10\.244\.2\.2:8080, which is not a ready endpoint of the Service/,
    },
  },
  {
    name: 'a backend node that was not gathered cannot be replayed: indeterminate there',
    spec: baseCluster(),
    notGathered: ['node-3'],
    want: {
      result: 'indeterminate', deliveredShare: 0.5,
      branches: [[0.5, 'delivered', null, '10.244.1.2', '192.168.1.101'], [0.5, 'indeterminate', 'backend-node', '10.244.2.2', '192.168.1.101']],
      why: /node node-3 \(the backend's\) was not gathered/,
    },
  },
  {
    name: 'an ingress node that was not gathered has no branches at all',
    spec: baseCluster(),
    notGathered: ['node-1'],
    want: { result: 'indeterminate', deliveredShare: 0, unavailable: 'node node-1 was not gathered', branches: [] },
  },
  {
    name: 'a Service without endpoints: kube-proxy rejects the NodePort, the client is refused',
    spec: (() => {
      const s = baseCluster();
      s.services.push(service('shop', 'empty', { ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30099 }], selector: { app: 'nothing' } }));
      return s;
    })(),
    app: 'nothing',
    nodePort: 30099,
    want: { result: 'refused', deliveredShare: 0, branches: [[1, 'refused', 'ingress', null, null]], why: /^rejected with icmp-port-unreachable by filter\/KUBE-EXTERNAL-SERVICES line \d+ on node-1$/ },
  },
  {
    name: 'strict rp_filter: a client dialling the second NIC\'s address is dropped, the route back to it leaves by eth0',
    spec: updateNode(baseCluster(), 'node-1', { extraAddresses: [{ iface: 'eth1', ip: '10.0.7.101', prefix: 24 }], sysctls: { rpFilter: 1, rpFilterDefault: 1 } }),
    ingress: { node: 'node-1', address: '10.0.7.101' },
    want: {
      result: 'timeout', deliveredShare: 0,
      branches: [[0.5, 'timeout', 'ingress', null, null], [0.5, 'timeout', 'ingress', null, null]],
      why: /^strict rp_filter on node-1: the packet from 203\.0\.113\.7 arrives on eth1, but the route back to 203\.0\.113\.7 leaves by eth0$/,
    },
  },
  {
    name: 'all.rp_filter=1 but eth1\'s own 2: the larger value (loose) applies, delivered',
    spec: updateNode(baseCluster(), 'node-1', { extraAddresses: [{ iface: 'eth1', ip: '10.0.7.101', prefix: 24 }], sysctls: { rpFilter: 1, rpFilterInterfaces: { eth1: 2 } } }),
    ingress: { node: 'node-1', address: '10.0.7.101' },
    want: {
      result: 'delivered', deliveredShare: 1,
      branches: [[0.5, 'delivered', null, '10.244.1.2', '192.168.1.101'], [0.5, 'delivered', null, '10.244.2.2', '192.168.1.101']],
    },
  },
  {
    name: 'an address the node does not hold (an ExternalIP): assumed translated to its own, and said so',
    spec: updateNode(baseCluster(), 'node-1', { externalIP: '198.51.100.21' }),
    ingress: { node: 'node-1', address: '198.51.100.21' },
    want: {
      result: 'delivered', deliveredShare: 1,
      branches: [[0.5, 'delivered', null, '10.244.1.2', '192.168.1.101'], [0.5, 'delivered', null, '10.244.2.2', '192.168.1.101']],
      assumptions: /198\.51\.100\.21 is not configured on node-1; assumed the network translates it to 192\.168\.1\.101/,
    },
  },
  {
    name: 'a process on the node dialling 127.0.0.1 (localhost NodePorts on): the OUTPUT path, masqueraded to the node\'s address',
    spec: baseCluster(),
    ingress: { node: 'node-1', address: '127.0.0.1', localProcess: true },
    client: { ip: '127.0.0.1', port: 40000 },
    want: {
      result: 'delivered', deliveredShare: 1,
      branches: [[0.5, 'delivered', null, '10.244.1.2', '192.168.1.101'], [0.5, 'delivered', null, '10.244.2.2', '192.168.1.101']],
    },
  },
  {
    name: 'the same with localhost NodePorts off: nothing translates it and nothing listens, refused',
    spec: (() => {
      const s = baseCluster();
      s.kubeProxy.localhostNodePorts = false;
      return s;
    })(),
    ingress: { node: 'node-1', address: '127.0.0.1', localProcess: true },
    client: { ip: '127.0.0.1', port: 40000 },
    want: { result: 'refused', deliveredShare: 0, branches: [[1, 'refused', 'ingress', null, null]], why: /no rule translated it, so it reached node-1 itself, where nothing listens on tcp\/30080/ },
  },
  {
    name: 'a hostNetwork backend with nothing listening on its port is refused at the pod',
    spec: (() => {
      const s = baseCluster();
      s.services.push(service('shop', 'agent', { ports: [{ name: 'http', port: 80, targetPort: 9100, nodePort: 30091 }], selector: { app: 'agent' } }));
      s.pods.push(...deploymentPods(s, 'shop', 'agent', { nodes: ['node-2'], ports: [{ name: 'http', containerPort: 9100 }] }).map((p) => ({ ...p, hostNetwork: true, listening: false as const })));
      return s;
    })(),
    app: 'agent',
    nodePort: 30091,
    want: { result: 'refused', deliveredShare: 0, branches: [[1, 'refused', 'pod', '192.168.1.102', '192.168.1.101']], why: /nothing listens on 9100 on node-2 \(hostNetwork backend\)/ },
  },
];

describe('analysePaths: one row per path', () => {
  for (const c of CASES) {
    test(c.name, () => {
      const [path] = analysePaths(question(c));
      assert.ok(path !== undefined);
      const got = {
        result: path.result,
        deliveredShare: path.deliveredShare,
        unavailable: path.unavailable,
        branches: path.branches.map((b) => [b.probability, b.result, b.failedAt, b.backend?.ip ?? null, b.sourceAtPod]).sort(),
      };
      assert.deepEqual(got, { result: c.want.result, deliveredShare: c.want.deliveredShare, unavailable: c.want.unavailable ?? null, branches: c.want.branches });
      if (c.want.why !== undefined) {
        const failed = path.branches.filter((b) => b.failedAt !== null);
        assert.ok(failed.length > 0 && failed.every((b) => c.want.why!.test(b.why)), failed.map((b) => b.why).join('\n'));
      }
      if (c.want.assumptions !== undefined) assert.match(path.assumptions.join('\n'), c.want.assumptions);
      else assert.deepEqual(path.assumptions.filter((a) => a.includes('not configured')), []);
      const sum = path.branches.reduce((s, b) => s + b.probability, 0);
      if (path.unavailable === null) assert.ok(Math.abs(sum - 1) < 1e-9, `branches sum to ${sum}`);
    });
  }
});
