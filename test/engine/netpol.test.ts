import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { evaluateEgress, evaluateIngress, type PolicyDecision, type PolicyPod, type PolicyProtocol, type PolicyWorld } from '../../src/engine/netpol/index.js';

/**
 * Address plan:
 *   node-a 192.168.49.2 · fd00:49::2 · tunnel 10.244.0.1   (the node a NodePort packet arrives at)
 *   node-b 192.168.49.3 · fd00:49::3 · tunnel 10.244.1.1   (runs the backend prod/web)
 *   pod CIDRs 10.244.0.0/16, fd00:10:244::/56 · external clients 203.0.113.0/24, 2001:db8:113::/64
 */
const web: PolicyPod = {
  namespace: 'prod',
  name: 'web',
  labels: { app: 'web', tier: 'front' },
  ips: ['10.244.1.10', 'fd00:10:244:1::a'],
  nodeName: 'node-b',
  containerPorts: [
    { name: 'http', port: 8080, protocol: 'TCP' },
    { name: 'metrics', port: 9090, protocol: 'TCP' },
    { name: 'dns', port: 53, protocol: 'UDP' },
  ],
};
const pod = (namespace: string, name: string, labels: Record<string, string>, ip: string, extra: Partial<PolicyPod> = {}): PolicyPod => ({
  namespace,
  name,
  labels,
  ips: [ip],
  nodeName: 'node-a',
  containerPorts: [],
  ...extra,
});
const PODS: PolicyPod[] = [
  web,
  pod('prod', 'client', { app: 'client' }, '10.244.0.20'),
  pod('dev', 'client', { app: 'client' }, '10.244.0.30'),
  pod('monitoring', 'prometheus', { app: 'prometheus' }, '10.244.1.40'),
  pod('kube-system', 'coredns', { 'k8s-app': 'kube-dns' }, '10.244.0.53', {
    containerPorts: [
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP' },
    ],
  }),
  // A hostNetwork pod on a node whose addresses were not gathered: still not a pod to selectors.
  pod('kube-system', 'agent', { app: 'agent' }, '192.168.49.9', { hostNetwork: true, nodeName: 'node-c' }),
];

const NAMESPACES: NonNullable<PolicyWorld['namespaces']> = [
  { name: 'prod', labels: { team: 'shop' } },
  { name: 'dev', labels: { team: 'shop', env: 'dev' } },
  { name: 'monitoring', labels: { team: 'obs' } },
  { name: 'kube-system', labels: {} },
];

function world(policies: unknown[], patch: Partial<PolicyWorld> = {}): PolicyWorld {
  return {
    policies,
    pods: PODS,
    namespaces: NAMESPACES,
    nodeAddresses: { 'node-a': ['192.168.49.2', 'fd00:49::2', '10.244.0.1'], 'node-b': ['192.168.49.3/24', 'fd00:49::3', '10.244.1.1'] },
    podCidrs: ['10.244.0.0/16', 'fd00:10:244::/56'],
    ...patch,
  };
}

const np = (name: string, spec: Record<string, unknown>, namespace = 'prod') => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, namespace },
  spec,
});
const denyAll = np('deny-all', { podSelector: {}, policyTypes: ['Ingress'] });
const fromCidr = (cidr: string, ports: unknown[] = [{ port: 8080 }]) =>
  np('allow-client', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr } }], ports }] });
const fromPeers = (from: unknown[], ports?: unknown[]) =>
  np('allow-peers', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from, ...(ports ? { ports } : {}) }] });

interface Want {
  verdict: PolicyDecision['verdict'];
  /** Substrings of the reason. */
  reason?: string[];
  /** `ns/name` of each isolating policy. */
  isolatedBy?: string[];
  /** `ns/name rule N peer P`. */
  allowedBy?: string;
  /** `ns/name#rule` and substrings of its why. */
  misses?: { at: string; why: string[] }[];
  /** Each must be a substring of some unknown. */
  unknowns?: string[];
}

interface Case {
  name: string;
  policies: unknown[];
  world?: Partial<PolicyWorld>;
  /** Ingress source, or egress destination. */
  peer: string;
  pod?: PolicyPod;
  port?: number;
  protocol?: PolicyProtocol;
  want: Want;
}

function check(d: PolicyDecision, want: Want): void {
  const dump = JSON.stringify(d, null, 2);
  assert.equal(d.verdict, want.verdict, dump);
  for (const s of want.reason ?? []) assert.ok(d.reason.includes(s), `reason lacks ${JSON.stringify(s)}:\n${dump}`);
  if (want.isolatedBy) assert.deepEqual(d.isolatedBy.map((r) => `${r.namespace}/${r.name}`), want.isolatedBy, dump);
  if (want.allowedBy) {
    const a = d.allowedBy;
    assert.equal(a && `${a.policy.namespace}/${a.policy.name} rule ${a.rule} peer ${a.peer}`, want.allowedBy, dump);
  }
  if (d.verdict !== 'allowed') assert.equal(d.allowedBy, undefined, dump);
  if (d.verdict !== 'denied') assert.equal(d.misses, undefined, dump);
  if (d.verdict !== 'indeterminate') assert.equal(d.unknowns, undefined, dump);
  if (want.misses) {
    assert.deepEqual(d.misses?.map((m) => `${m.policy.namespace}/${m.policy.name}#${m.rule}`), want.misses.map((m) => m.at), dump);
    want.misses.forEach((m, i) => {
      for (const s of m.why) assert.ok(d.misses?.[i]?.why.includes(s), `miss ${i} lacks ${JSON.stringify(s)}:\n${dump}`);
    });
  }
  for (const s of want.unknowns ?? []) assert.ok(d.unknowns?.some((u) => u.includes(s)), `no unknown has ${JSON.stringify(s)}:\n${dump}`);
}

function ingress(cases: Case[]): void {
  for (const c of cases) {
    test(c.name, () => {
      const d = evaluateIngress(world(c.policies, c.world), { srcIp: c.peer, pod: c.pod ?? web, port: c.port ?? 8080, protocol: c.protocol ?? 'TCP' });
      check(d, c.want);
    });
  }
}

function egress(cases: Case[]): void {
  for (const c of cases) {
    test(c.name, () => {
      const d = evaluateEgress(world(c.policies, c.world), { pod: c.pod ?? web, dstIp: c.peer, port: c.port ?? 8080, protocol: c.protocol ?? 'TCP' });
      check(d, c.want);
    });
  }
}

describe('netpol: NodePort sources after DNAT (the masquerade trap)', () => {
  const client = fromCidr('203.0.113.0/24');
  ingress([
    {
      name: 'the ingress node masquerades: ipBlock for the client does not contain the node address',
      policies: [client],
      peer: '192.168.49.2',
      want: {
        verdict: 'denied',
        reason: ['ingress to pod prod/web on 8080/TCP from 192.168.49.2 (an address of node node-a) is denied', 'NetworkPolicy prod/allow-client isolates'],
        isolatedBy: ['prod/allow-client'],
        misses: [{ at: 'prod/allow-client#0', why: ['ipBlock 203.0.113.0/24 does not contain source 192.168.49.2 (an address of node node-a: the source NodePort traffic has when node-a masquerades it)'] }],
      },
    },
    {
      name: 'from the pod own node: always allowed, whatever the policy',
      policies: [client],
      peer: '192.168.49.3',
      want: { verdict: 'allowed', reason: ["always allows ingress from the pod's own node (node-b)"], isolatedBy: ['prod/allow-client'] },
    },
    {
      name: 'own node by its tunnel address, inside the pod CIDR',
      policies: [client],
      peer: '10.244.1.1',
      want: { verdict: 'allowed', reason: ["pod's own node"] },
    },
    {
      name: 'eTP Local keeps the client address: the ipBlock matches',
      policies: [client],
      peer: '203.0.113.7',
      want: { verdict: 'allowed', allowedBy: 'prod/allow-client rule 0 peer 0', reason: ['allowed by NetworkPolicy prod/allow-client ingress rule 0', 'ipBlock 203.0.113.0/24 contains source 203.0.113.7', 'port 8080/TCP matches 8080/TCP'] },
    },
    {
      name: 'IPv6: masqueraded to the ingress node',
      policies: [fromCidr('2001:db8:113::/64')],
      peer: 'fd00:49::2',
      want: { verdict: 'denied', misses: [{ at: 'prod/allow-client#0', why: ['ipBlock 2001:db8:113::/64 does not contain source fd00:49::2'] }] },
    },
    {
      name: 'IPv6: the client itself',
      policies: [fromCidr('2001:db8:113::/64')],
      peer: '2001:db8:113::7',
      want: { verdict: 'allowed', allowedBy: 'prod/allow-client rule 0 peer 0' },
    },
    {
      name: 'IPv6: own node written in a non-canonical form',
      policies: [fromCidr('2001:db8:113::/64')],
      peer: 'fd00:49:0:0::3',
      want: { verdict: 'allowed', reason: ["pod's own node"] },
    },
    {
      name: 'an IPv4 ipBlock never contains an IPv6 source',
      policies: [fromCidr('0.0.0.0/0')],
      peer: '2001:db8:113::7',
      want: { verdict: 'denied', misses: [{ at: 'prod/allow-client#0', why: ['ipBlock 0.0.0.0/0 does not contain source 2001:db8:113::7'] }] },
    },
    {
      name: "the pod's node is not known: a non-pod source may be that node",
      policies: [client],
      peer: '192.168.49.2',
      pod: { ...web, nodeName: undefined },
      want: { verdict: 'indeterminate', unknowns: ['the node of pod prod/web is not known', 'source 192.168.49.2'] },
    },
    {
      name: "the pod's node addresses were not gathered",
      policies: [client],
      peer: '198.51.100.1',
      pod: { ...web, nodeName: 'node-x' },
      want: { verdict: 'indeterminate', unknowns: ['the addresses of node node-x are not known'] },
    },
    {
      name: 'node addresses unknown, but a pod source is certainly not the node',
      policies: [client],
      peer: '10.244.0.20',
      pod: { ...web, nodeName: 'node-x' },
      want: { verdict: 'denied' },
    },
  ]);
});

describe('netpol: isolation and policyTypes', () => {
  ingress([
    { name: 'no policies: not isolated', policies: [], peer: '10.244.0.20', want: { verdict: 'allowed', reason: ['no NetworkPolicy selects pod prod/web for ingress'], isolatedBy: [] } },
    { name: 'a policy in another namespace does not apply', policies: [np('deny-all', { podSelector: {}, policyTypes: ['Ingress'] }, 'dev')], peer: '10.244.0.20', want: { verdict: 'allowed', isolatedBy: [] } },
    {
      name: 'a podSelector that does not match the pod does not isolate it',
      policies: [np('db-only', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress'] })],
      peer: '10.244.0.20',
      want: { verdict: 'allowed', isolatedBy: [] },
    },
    {
      name: 'policyTypes [Ingress] and no ingress rules: deny all',
      policies: [denyAll],
      peer: '10.244.0.20',
      want: { verdict: 'denied', isolatedBy: ['prod/deny-all'], misses: [{ at: 'prod/deny-all#-1', why: ['it has no ingress rules, so it allows no ingress'] }] },
    },
    { name: 'policyTypes omitted: Ingress is implied', policies: [np('implicit', { podSelector: {} })], peer: '10.244.0.20', want: { verdict: 'denied', isolatedBy: ['prod/implicit'] } },
    { name: 'policyTypes [] defaults as if omitted', policies: [np('empty-types', { podSelector: {}, policyTypes: [] })], peer: '10.244.0.20', want: { verdict: 'denied', isolatedBy: ['prod/empty-types'] } },
    {
      name: 'policyTypes [Egress]: its ingress rules are ignored and ingress is not isolated',
      policies: [np('egress-only', { podSelector: {}, policyTypes: ['Egress'], ingress: [{ from: [{ ipBlock: { cidr: '198.51.100.0/24' } }] }] })],
      peer: '10.244.0.20',
      want: { verdict: 'allowed', isolatedBy: [] },
    },
    { name: 'ingress: [{}] allows everything', policies: [np('allow-all', { podSelector: {}, ingress: [{}] })], peer: '203.0.113.7', want: { verdict: 'allowed', allowedBy: 'prod/allow-all rule 0 peer all' } },
    { name: 'from: [] allows every source', policies: [np('allow-all', { podSelector: {}, ingress: [{ from: [], ports: [{ port: 8080 }] }] })], peer: '203.0.113.7', want: { verdict: 'allowed', allowedBy: 'prod/allow-all rule 0 peer all' } },
    {
      name: 'policies are a union: deny-all plus an allow',
      policies: [denyAll, fromCidr('203.0.113.0/24')],
      peer: '203.0.113.7',
      want: { verdict: 'allowed', isolatedBy: ['prod/deny-all', 'prod/allow-client'], allowedBy: 'prod/allow-client rule 0 peer 0' },
    },
    {
      name: 'denied by two policies: a miss for each',
      policies: [denyAll, fromCidr('203.0.113.0/24')],
      peer: '198.51.100.1',
      want: {
        verdict: 'denied',
        reason: ['NetworkPolicy prod/deny-all, NetworkPolicy prod/allow-client isolate the pod'],
        misses: [
          { at: 'prod/deny-all#-1', why: ['no ingress rules'] },
          { at: 'prod/allow-client#0', why: ['does not contain source 198.51.100.1 (outside the pod CIDRs)'] },
        ],
      },
    },
    {
      name: 'hostNetwork destination: treated as not isolated, and says so',
      policies: [denyAll],
      peer: '10.244.0.20',
      pod: { ...web, hostNetwork: true, ips: ['192.168.49.3'] },
      want: { verdict: 'allowed', isolatedBy: [], reason: ['uses the host network', 'undefined', 'although NetworkPolicy prod/deny-all selects it'] },
    },
    { name: 'a pod cannot block access to itself', policies: [denyAll], peer: '10.244.1.10', want: { verdict: 'allowed', reason: ['cannot block access to itself'] } },
  ]);
});

describe('netpol: spec.podSelector label selectors', () => {
  // web has app=web, tier=front; a deny-all policy with this selector isolates it only if it selects it.
  const cases: [string, unknown, boolean][] = [
    ['{} selects every pod', {}, true],
    ['matchLabels app=web', { matchLabels: { app: 'web' } }, true],
    ['In (web, api)', { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] }, true],
    ['In (api)', { matchExpressions: [{ key: 'app', operator: 'In', values: ['api'] }] }, false],
    ['NotIn (web)', { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }, false],
    ['NotIn on an absent label matches', { matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, true],
    ['Exists tier', { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, true],
    ['DoesNotExist tier', { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, false],
    ['DoesNotExist env', { matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, true],
    ['matchLabels AND matchExpressions', { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, false],
  ];
  for (const [name, podSelector, selected] of cases) {
    test(name, () => {
      const d = evaluateIngress(world([np('p', { podSelector, policyTypes: ['Ingress'] })]), { srcIp: '10.244.0.20', pod: web, port: 8080, protocol: 'TCP' });
      assert.equal(d.verdict, selected ? 'denied' : 'allowed', JSON.stringify(d));
      assert.deepEqual(d.isolatedBy, selected ? [{ namespace: 'prod', name: 'p' }] : []);
    });
  }
});

describe('netpol: peers', () => {
  const clientSel = { podSelector: { matchLabels: { app: 'client' } } };
  ingress([
    { name: 'podSelector: a pod of the policy namespace', policies: [fromPeers([clientSel])], peer: '10.244.0.20', want: { verdict: 'allowed', allowedBy: 'prod/allow-peers rule 0 peer 0', reason: ['source 10.244.0.20 (pod prod/client) matches podSelector {app=client}'] } },
    {
      name: 'podSelector: same labels in another namespace do not match',
      policies: [fromPeers([clientSel])],
      peer: '10.244.0.30',
      want: { verdict: 'denied', misses: [{ at: 'prod/allow-peers#0', why: ['source 10.244.0.30 (pod dev/client) does not match podSelector {app=client}', "namespace dev is not the policy's namespace prod"] }] },
    },
    {
      name: 'podSelector: the failing label is shown',
      policies: [fromPeers([clientSel])],
      peer: '10.244.1.40',
      want: { verdict: 'denied', misses: [{ at: 'prod/allow-peers#0', why: ['pod labels: app=prometheus'] }] },
    },
    { name: 'namespaceSelector: every pod of a matching namespace', policies: [fromPeers([{ namespaceSelector: { matchLabels: { team: 'obs' } } }])], peer: '10.244.1.40', want: { verdict: 'allowed' } },
    {
      name: 'namespaceSelector: a namespace with other labels',
      policies: [fromPeers([{ namespaceSelector: { matchLabels: { team: 'obs' } } }])],
      peer: '10.244.0.20',
      want: { verdict: 'denied', misses: [{ at: 'prod/allow-peers#0', why: ['namespaceSelector {team=obs}', 'namespace prod: team=shop'] }] },
    },
    { name: 'both selectors: matching pod in a matching namespace', policies: [fromPeers([{ namespaceSelector: { matchLabels: { team: 'shop' } }, ...clientSel }])], peer: '10.244.0.30', want: { verdict: 'allowed' } },
    {
      name: 'both selectors: the namespace matches, the pod does not',
      policies: [fromPeers([{ namespaceSelector: { matchLabels: { team: 'obs' } }, ...clientSel }])],
      peer: '10.244.1.40',
      want: { verdict: 'denied', misses: [{ at: 'prod/allow-peers#0', why: ['namespaceSelector {team=obs} + podSelector {app=client}', 'pod labels: app=prometheus'] }] },
    },
    {
      name: 'namespace labels not gathered: a namespaceSelector on other labels is undecidable',
      policies: [fromPeers([{ namespaceSelector: { matchLabels: { team: 'obs' } } }])],
      world: { namespaces: null },
      peer: '10.244.1.40',
      want: { verdict: 'indeterminate', unknowns: ['namespace labels were not gathered, so NetworkPolicy prod/allow-peers spec.ingress[0].from[0].namespaceSelector {team=obs} cannot be evaluated for namespace monitoring'] },
    },
    {
      name: 'namespace labels not gathered: kubernetes.io/metadata.name is always known (match)',
      policies: [fromPeers([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }])],
      world: { namespaces: null },
      peer: '10.244.1.40',
      want: { verdict: 'allowed' },
    },
    {
      name: 'namespace labels not gathered: kubernetes.io/metadata.name is always known (no match)',
      policies: [fromPeers([{ namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['monitoring'] }] } }])],
      world: { namespaces: null },
      peer: '10.244.0.30',
      want: { verdict: 'denied', misses: [{ at: 'prod/allow-peers#0', why: ['kubernetes.io/metadata.name=dev'] }] },
    },
    {
      name: 'namespace labels not gathered: a known-false name requirement decides despite an unknown label',
      policies: [fromPeers([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring', team: 'obs' } } }])],
      world: { namespaces: null },
      peer: '10.244.0.30',
      want: { verdict: 'denied' },
    },
    { name: 'namespaceSelector {} selects all namespaces without their labels', policies: [fromPeers([{ namespaceSelector: {} }])], world: { namespaces: null }, peer: '10.244.0.30', want: { verdict: 'allowed' } },
    {
      name: 'a namespace missing from the gathered list',
      policies: [fromPeers([{ namespaceSelector: { matchLabels: { team: 'obs' } } }])],
      world: { namespaces: NAMESPACES.filter((n) => n.name !== 'monitoring') },
      peer: '10.244.1.40',
      want: { verdict: 'indeterminate', unknowns: ['namespace monitoring was not among the gathered namespaces'] },
    },
    {
      name: 'a node address is not a pod: selector peers certainly miss',
      policies: [fromPeers([{ namespaceSelector: {} }])],
      peer: '192.168.49.2',
      want: { verdict: 'denied', misses: [{ at: 'prod/allow-peers#0', why: ['source 192.168.49.2 (an address of node node-a', 'is not a pod, and namespaceSelector {} matches only pods'] }] },
    },
    {
      name: 'a hostNetwork pod is not a pod to selectors either',
      policies: [fromPeers([{ namespaceSelector: {}, podSelector: {} }])],
      peer: '192.168.49.9',
      want: { verdict: 'denied', misses: [{ at: 'prod/allow-peers#0', why: ['hostNetwork pod kube-system/agent on node node-c', 'is not a pod'] }] },
    },
    { name: 'outside the pod CIDRs: not a pod', policies: [fromPeers([clientSel])], peer: '203.0.113.7', want: { verdict: 'denied', misses: [{ at: 'prod/allow-peers#0', why: ['outside the pod CIDRs'] }] } },
    {
      name: 'inside the pod CIDR but no known pod has it: undecidable',
      policies: [fromPeers([clientSel])],
      peer: '10.244.3.9',
      want: { verdict: 'indeterminate', unknowns: ['source 10.244.3.9 is inside the pod CIDR 10.244.0.0/16 but no known pod has it'] },
    },
    {
      name: 'pod CIDRs unknown: an unknown address may be a pod',
      policies: [fromPeers([clientSel])],
      world: { podCidrs: undefined },
      peer: '203.0.113.7',
      want: { verdict: 'indeterminate', unknowns: ['the pod CIDRs are unknown'] },
    },
    {
      name: 'an unknown peer beside a matching peer: the rule matches',
      policies: [fromPeers([clientSel, { ipBlock: { cidr: '10.244.3.0/24' } }])],
      peer: '10.244.3.9',
      want: { verdict: 'allowed', allowedBy: 'prod/allow-peers rule 0 peer 1' },
    },
    {
      name: 'an unknown rule in one policy keeps another policy from deciding "denied"',
      policies: [fromCidr('203.0.113.0/24'), fromPeers([clientSel])],
      peer: '10.244.3.9',
      want: { verdict: 'indeterminate', isolatedBy: ['prod/allow-client', 'prod/allow-peers'], unknowns: ['10.244.3.9 is inside the pod CIDR'] },
    },
    {
      name: 'an unknown peer in a rule whose ports miss: certainly no match',
      policies: [fromPeers([clientSel], [{ port: 80 }])],
      peer: '10.244.3.9',
      want: { verdict: 'denied', misses: [{ at: 'prod/allow-peers#0', why: ['port 8080/TCP not in [80/TCP]'] }] },
    },
    {
      name: 'ipBlock except removes part of the block',
      policies: [fromPeers([{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.244.0.0/16'] } }])],
      peer: '10.244.0.20',
      want: { verdict: 'denied', misses: [{ at: 'prod/allow-peers#0', why: ['ipBlock 10.0.0.0/8 contains source 10.244.0.20 (pod prod/client) but its except 10.244.0.0/16 excludes it'] }] },
    },
    {
      name: 'ipBlock is decided by address even for a pod, with a note',
      policies: [fromPeers([{ ipBlock: { cidr: '10.244.0.0/16' } }])],
      peer: '10.244.0.20',
      want: { verdict: 'allowed', reason: ['ipBlock 10.244.0.0/16 contains source 10.244.0.20 (pod prod/client)', 'meant for cluster-external addresses'] },
    },
    {
      name: 'the closest rule is the one with more matching parts',
      policies: [
        np('two-rules', {
          podSelector: {},
          ingress: [
            { from: [{ ipBlock: { cidr: '198.51.100.0/24' } }], ports: [{ port: 80 }] },
            { from: [{ ipBlock: { cidr: '203.0.113.0/24' } }], ports: [{ port: 443 }] },
          ],
        }),
      ],
      peer: '203.0.113.7',
      want: { verdict: 'denied', misses: [{ at: 'prod/two-rules#1', why: ['port 8080/TCP not in [443/TCP]'] }] },
    },
  ]);
});

describe('netpol: ports', () => {
  const anyFrom = (ports: unknown[]) => np('ports', { podSelector: {}, ingress: [{ ports }] });
  ingress([
    { name: 'numeric port matches', policies: [anyFrom([{ port: 8080 }])], peer: '203.0.113.7', want: { verdict: 'allowed', reason: ['port 8080/TCP matches 8080/TCP'] } },
    { name: 'numeric port misses', policies: [anyFrom([{ port: 80 }, { port: 443 }])], peer: '203.0.113.7', want: { verdict: 'denied', misses: [{ at: 'prod/ports#0', why: ['port 8080/TCP not in [80/TCP, 443/TCP]'] }] } },
    { name: 'protocol defaults to TCP', policies: [anyFrom([{ port: 53 }])], peer: '203.0.113.7', port: 53, protocol: 'UDP', want: { verdict: 'denied', misses: [{ at: 'prod/ports#0', why: ['port 53/UDP not in [53/TCP]'] }] } },
    { name: 'explicit UDP', policies: [anyFrom([{ protocol: 'UDP', port: 53 }])], peer: '203.0.113.7', port: 53, protocol: 'UDP', want: { verdict: 'allowed' } },
    { name: 'no port: every port of the protocol', policies: [anyFrom([{ protocol: 'SCTP' }])], peer: '203.0.113.7', port: 9999, protocol: 'SCTP', want: { verdict: 'allowed', reason: ['matches all/SCTP'] } },
    { name: 'endPort range, lower bound', policies: [anyFrom([{ port: 8080, endPort: 8100 }])], peer: '203.0.113.7', port: 8080, want: { verdict: 'allowed' } },
    { name: 'endPort range, upper bound inclusive', policies: [anyFrom([{ port: 8000, endPort: 8100 }])], peer: '203.0.113.7', port: 8100, want: { verdict: 'allowed' } },
    { name: 'endPort range, above', policies: [anyFrom([{ port: 8000, endPort: 8100 }])], peer: '203.0.113.7', port: 8101, want: { verdict: 'denied', misses: [{ at: 'prod/ports#0', why: ['port 8101/TCP not in [8000-8100/TCP]'] }] } },
    { name: 'named port resolves on the destination pod', policies: [anyFrom([{ port: 'http' }])], peer: '203.0.113.7', port: 8080, want: { verdict: 'allowed', reason: ['http/TCP (= 8080)'] } },
    { name: 'named port, other port number', policies: [anyFrom([{ port: 'http' }])], peer: '203.0.113.7', port: 9090, want: { verdict: 'denied', misses: [{ at: 'prod/ports#0', why: ['port 9090/TCP not in [http/TCP (= 8080)]'] }] } },
    { name: 'named port needs the protocol too', policies: [anyFrom([{ port: 'dns', protocol: 'UDP' }])], peer: '203.0.113.7', port: 53, protocol: 'UDP', want: { verdict: 'allowed' } },
    {
      name: 'named port of another protocol does not match',
      policies: [anyFrom([{ port: 'dns', protocol: 'UDP' }])],
      peer: '203.0.113.7',
      port: 53,
      want: { verdict: 'denied', misses: [{ at: 'prod/ports#0', why: ['port 53/TCP not in [dns/UDP]'] }] },
    },
    { name: 'named port the pod does not have', policies: [anyFrom([{ port: 'grpc' }])], peer: '203.0.113.7', want: { verdict: 'denied', misses: [{ at: 'prod/ports#0', why: ['grpc/TCP (no such port on pod prod/web)'] }] } },
  ]);
});

describe('netpol: malformed policies name the policy and field', () => {
  const masq = '192.168.49.2';
  ingress([
    {
      name: 'cidr that is not a CIDR',
      policies: [fromPeers([{ ipBlock: { cidr: '203.0.113.0/24' } }, { ipBlock: { cidr: 'x' } }])],
      peer: masq,
      want: { verdict: 'indeterminate', unknowns: ['NetworkPolicy prod/allow-peers spec.ingress[0].from[1].ipBlock.cidr: "x" is not a CIDR'] },
    },
    {
      name: 'a dotted netmask is not a Kubernetes CIDR',
      policies: [fromPeers([{ ipBlock: { cidr: '10.0.0.0/255.0.0.0' } }])],
      peer: masq,
      want: { verdict: 'indeterminate', unknowns: ['ipBlock.cidr: "10.0.0.0/255.0.0.0" is not a CIDR'] },
    },
    {
      name: 'a malformed peer beside a matching one: still allowed',
      policies: [fromPeers([{ ipBlock: { cidr: 'x' } }, { ipBlock: { cidr: '192.168.49.0/24' } }])],
      peer: masq,
      want: { verdict: 'allowed', allowedBy: 'prod/allow-peers rule 0 peer 1' },
    },
    {
      name: 'port that is neither a number nor a name',
      policies: [fromPeers([], [{ port: true }])],
      peer: masq,
      want: { verdict: 'indeterminate', unknowns: ['NetworkPolicy prod/allow-peers spec.ingress[0].ports[0].port: true is not a port number or name'] },
    },
    {
      name: 'endPort with a named port',
      policies: [fromPeers([], [{ port: 'http', endPort: 9000 }])],
      peer: masq,
      want: { verdict: 'indeterminate', unknowns: ['spec.ingress[0].ports[0].endPort: endPort is not allowed with a named port'] },
    },
    {
      name: 'unknown operator in a peer selector',
      policies: [fromPeers([{ podSelector: { matchExpressions: [{ key: 'app', operator: 'Foo', values: ['x'] }] } }])],
      peer: '10.244.0.20',
      want: { verdict: 'indeterminate', unknowns: ['NetworkPolicy prod/allow-peers spec.ingress[0].from[0].podSelector.matchExpressions[0].operator: "Foo" is not In, NotIn, Exists or DoesNotExist'] },
    },
    {
      name: 'In without values',
      policies: [fromPeers([{ podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: [] }] } }])],
      peer: '10.244.0.20',
      want: { verdict: 'indeterminate', unknowns: ['matchExpressions[0].values: In needs at least one value'] },
    },
    {
      name: 'ipBlock combined with a selector',
      policies: [fromPeers([{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }])],
      peer: '10.244.0.20',
      want: { verdict: 'indeterminate', unknowns: ['spec.ingress[0].from[0]: ipBlock cannot be combined with podSelector or namespaceSelector'] },
    },
    {
      name: 'a malformed spec.podSelector: whether the policy isolates the pod is unknown',
      policies: [np('bad-selector', { podSelector: { matchExpressions: [{ key: 'app', operator: 'Foo' }] }, policyTypes: ['Ingress'] })],
      peer: '10.244.0.20',
      want: { verdict: 'indeterminate', isolatedBy: [], unknowns: ['NetworkPolicy prod/bad-selector spec.podSelector.matchExpressions[0].operator: "Foo"'] },
    },
    {
      name: 'a malformed spec.podSelector on a policy that allows anyway',
      policies: [np('bad-selector', { podSelector: { matchLabels: { app: 7 } }, ingress: [{}] })],
      peer: '10.244.0.20',
      want: { verdict: 'allowed', reason: ['allows this traffic either way'] },
    },
    {
      name: 'policyTypes with an unknown type',
      policies: [np('bad-types', { podSelector: {}, policyTypes: ['Inbound'] })],
      peer: '10.244.0.20',
      want: { verdict: 'indeterminate', unknowns: ['NetworkPolicy prod/bad-types spec.policyTypes: ["Inbound"] is not a list of Ingress and Egress'] },
    },
    {
      name: 'a policy without metadata.namespace',
      policies: [{ metadata: { name: 'orphan' }, spec: { podSelector: {} } }],
      peer: '10.244.0.20',
      want: { verdict: 'indeterminate', unknowns: ['NetworkPolicy policies[0] metadata.namespace: undefined is not a namespace'] },
    },
    { name: 'a policy that is not an object', policies: [null], peer: '10.244.0.20', want: { verdict: 'indeterminate', unknowns: ['NetworkPolicy policies[0] is not an object'] } },
    {
      name: 'a malformed policy in another namespace does not matter',
      policies: [np('bad', { podSelector: 'x' }, 'dev')],
      peer: '10.244.0.20',
      want: { verdict: 'allowed', isolatedBy: [] },
    },
    { name: 'a source that is not an IP address', policies: [], peer: 'web.example', want: { verdict: 'indeterminate', unknowns: ['source "web.example" is not an IP address'] } },
  ]);
});

describe('netpol: egress', () => {
  const egressPolicy = (egressRules: unknown[] | undefined, policyTypes?: string[]) =>
    np('egress', { podSelector: { matchLabels: { app: 'web' } }, ...(policyTypes ? { policyTypes } : {}), ...(egressRules ? { egress: egressRules } : {}) });
  const toDns = [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ protocol: 'UDP', port: 53 }] }];
  egress([
    { name: 'no policies: not isolated', policies: [], peer: '8.8.8.8', port: 53, protocol: 'UDP', want: { verdict: 'allowed', reason: ['no NetworkPolicy selects pod prod/web for egress'] } },
    {
      name: 'policyTypes [Egress] without rules: deny all egress',
      policies: [egressPolicy(undefined, ['Egress'])],
      peer: '8.8.8.8',
      port: 53,
      protocol: 'UDP',
      want: { verdict: 'denied', isolatedBy: ['prod/egress'], misses: [{ at: 'prod/egress#-1', why: ['it has no egress rules, so it allows no egress'] }] },
    },
    { name: 'an ingress-only policy does not isolate egress', policies: [denyAll], peer: '8.8.8.8', want: { verdict: 'allowed', isolatedBy: [] } },
    { name: 'policyTypes omitted with egress rules: Egress is implied', policies: [egressPolicy(toDns)], peer: '8.8.8.8', port: 53, protocol: 'UDP', want: { verdict: 'denied', isolatedBy: ['prod/egress'] } },
    { name: 'policyTypes omitted and egress: []: egress is not isolated', policies: [egressPolicy([])], peer: '8.8.8.8', port: 53, protocol: 'UDP', want: { verdict: 'allowed', isolatedBy: [] } },
    { name: 'to kube-dns by namespace name and pod label', policies: [egressPolicy(toDns, ['Egress'])], peer: '10.244.0.53', port: 53, protocol: 'UDP', want: { verdict: 'allowed', allowedBy: 'prod/egress rule 0 peer 0', reason: ['egress from pod prod/web to 10.244.0.53 (pod kube-system/coredns) on 53/UDP is allowed'] } },
    {
      name: 'to an outside resolver: selectors match only pods',
      policies: [egressPolicy(toDns, ['Egress'])],
      peer: '8.8.8.8',
      port: 53,
      protocol: 'UDP',
      want: { verdict: 'denied', misses: [{ at: 'prod/egress#0', why: ['destination 8.8.8.8 (outside the pod CIDRs) is not a pod'] }] },
    },
    { name: 'named port resolves on the destination pod', policies: [egressPolicy([{ ports: [{ protocol: 'UDP', port: 'dns' }] }], ['Egress'])], peer: '10.244.0.53', port: 53, protocol: 'UDP', want: { verdict: 'allowed' } },
    {
      name: 'named port to a non-pod destination cannot match',
      policies: [egressPolicy([{ ports: [{ protocol: 'UDP', port: 'dns' }] }], ['Egress'])],
      peer: '8.8.8.8',
      port: 53,
      protocol: 'UDP',
      want: { verdict: 'denied', misses: [{ at: 'prod/egress#0', why: ['dns/UDP (the destination is not a pod)'] }] },
    },
    {
      name: 'named port to an unread pod is undecidable',
      policies: [egressPolicy([{ ports: [{ protocol: 'UDP', port: 'dns' }] }], ['Egress'])],
      peer: '10.244.3.9',
      port: 53,
      protocol: 'UDP',
      want: { verdict: 'indeterminate', unknowns: ['named port dns/UDP: destination 10.244.3.9 is inside the pod CIDR 10.244.0.0/16 but no known pod has it'] },
    },
    {
      name: 'named port of another protocol to an unread pod: certainly no match',
      policies: [egressPolicy([{ ports: [{ protocol: 'TCP', port: 'dns' }] }], ['Egress'])],
      peer: '10.244.3.9',
      port: 53,
      protocol: 'UDP',
      want: { verdict: 'denied', misses: [{ at: 'prod/egress#0', why: ['port 53/UDP not in [dns/TCP]'] }] },
    },
    {
      name: 'egress to the pod own node is not exempt (API reference), with a note',
      policies: [egressPolicy([{ to: [{ ipBlock: { cidr: '203.0.113.0/24' } }] }], ['Egress'])],
      peer: '192.168.49.3',
      want: { verdict: 'denied', reason: ["the destination is the pod's own node", 'exempts only ingress'], misses: [{ at: 'prod/egress#0', why: ['does not contain destination 192.168.49.3 (an address of node node-b)'] }] },
    },
    { name: 'IPv6 egress by ipBlock', policies: [egressPolicy([{ to: [{ ipBlock: { cidr: '2001:db8::/32' } }], ports: [{ port: 443 }] }], ['Egress'])], peer: '2001:db8:5::1', port: 443, want: { verdict: 'allowed' } },
    { name: 'egress to itself', policies: [egressPolicy(undefined, ['Egress'])], peer: 'fd00:10:244:1::a', want: { verdict: 'allowed', reason: ['cannot block access to itself'] } },
    {
      name: 'egress from a hostNetwork pod: undefined, treated as not isolated',
      policies: [egressPolicy(undefined, ['Egress'])],
      pod: { ...web, hostNetwork: true },
      peer: '8.8.8.8',
      want: { verdict: 'allowed', isolatedBy: [], reason: ['uses the host network'] },
    },
  ]);
});
