/**
 * The typed reads of wire objects, field by field: what the API defaults (protocol TCP, targetPort
 * = port, an unset `ready` is ready, serving follows ready), what a fallback field gives (podIP
 * for podIPs, clusterIP for clusterIPs, podCIDR for podCIDRs), and that a malformed field reads
 * as absent rather than throwing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readNode, readPod, readService, readSliceEndpoints, refText, selects, type ServicePort } from '../../src/model/kube.js';
import type { KubeObject } from '../../src/snapshot/schema.js';

const svc = (spec: Record<string, unknown>, name = 'web'): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'shop' }, spec });
const pod = (spec: Record<string, unknown>, status: Record<string, unknown>, meta: Record<string, unknown> = {}): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'shop', ...meta }, spec, status });
const node = (spec: Record<string, unknown>, status: Record<string, unknown>): KubeObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' }, spec, status });

describe('readService', () => {
  const cases: [string, Record<string, unknown>, Partial<ReturnType<typeof readService>>][] = [
    ['nothing set: ClusterIP, no selector, eTP Cluster', {}, { type: 'ClusterIP', clusterIPs: [], selector: null, ports: [], externalTrafficPolicy: 'Cluster', healthCheckNodePort: null }],
    ['clusterIP alone stands in for clusterIPs', { clusterIP: '10.96.0.5' }, { clusterIPs: ['10.96.0.5'] }],
    ['clusterIPs win over clusterIP', { clusterIP: '10.96.0.5', clusterIPs: ['10.96.0.5', 'fd00::5'] }, { clusterIPs: ['10.96.0.5', 'fd00::5'] }],
    ['a headless Service has no ClusterIP', { clusterIP: 'None' }, { clusterIPs: [] }],
    ['an empty selector reads as none (null), as a selector-less Service', { selector: {} }, { selector: null }],
    ['a selector', { selector: { app: 'web' } }, { selector: { app: 'web' } }],
    ['eTP Local', { type: 'NodePort', externalTrafficPolicy: 'Local', healthCheckNodePort: 31000 }, { type: 'NodePort', externalTrafficPolicy: 'Local', healthCheckNodePort: 31000 }],
    ['an unknown eTP reads as Cluster', { externalTrafficPolicy: 'Everywhere' }, { externalTrafficPolicy: 'Cluster' }],
    ['externalIPs, strings only', { externalIPs: ['198.51.100.1', 7] }, { externalIPs: ['198.51.100.1'] }],
  ];
  for (const [name, spec, want] of cases) {
    test(name, () => {
      const got = readService(svc(spec));
      assert.deepEqual(Object.fromEntries(Object.keys(want).map((k) => [k, got[k as keyof typeof got]])), want);
    });
  }

  const ports: [string, unknown[], ServicePort[]][] = [
    ['protocol defaults to TCP, targetPort to port', [{ port: 80 }], [{ name: '', protocol: 'TCP', port: 80, targetPort: 80, nodePort: null }]],
    ['a numeric string targetPort is a number', [{ port: 80, targetPort: '8080' }], [{ name: '', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: null }]],
    ['a named targetPort stays a name', [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30080 }], [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 'http', nodePort: 30080 }]],
    ['an empty targetPort is the port', [{ port: 53, targetPort: '', protocol: 'UDP' }], [{ name: '', protocol: 'UDP', port: 53, targetPort: 53, nodePort: null }]],
    ['SCTP kept; an unknown protocol reads as TCP', [{ name: 'a', port: 1, protocol: 'SCTP' }, { name: 'b', port: 2, protocol: 'QUIC' }],
      [{ name: 'a', protocol: 'SCTP', port: 1, targetPort: 1, nodePort: null }, { name: 'b', protocol: 'TCP', port: 2, targetPort: 2, nodePort: null }]],
    ['unnamed ports after the first are numbered #i', [{ port: 80 }, { port: 443 }],
      [{ name: '', protocol: 'TCP', port: 80, targetPort: 80, nodePort: null }, { name: '#1', protocol: 'TCP', port: 443, targetPort: 443, nodePort: null }]],
    ['a malformed port reads as 0, a fractional nodePort as none', [{ port: 'eighty', nodePort: 30080.5 }], [{ name: '', protocol: 'TCP', port: 0, targetPort: 0, nodePort: null }]],
  ];
  for (const [name, list, want] of ports) {
    test(`ports: ${name}`, () => assert.deepEqual(readService(svc({ ports: list })).ports, want));
  }

  test('a Service without a namespace is in default; its ref reads as text', () => {
    const s = readService({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'kubernetes' }, spec: {} });
    assert.equal(s.namespace, 'default');
    assert.equal(refText(s.ref), 'Service kubernetes');
    assert.equal(refText(readService(svc({})).ref), 'Service shop/web');
  });
});

describe('readPod', () => {
  const cases: [string, KubeObject, Partial<ReturnType<typeof readPod>>][] = [
    ['podIP stands in for podIPs', pod({}, { podIP: '10.244.1.5' }), { ips: ['10.244.1.5'] }],
    ['podIPs win', pod({}, { podIP: '10.244.1.5', podIPs: [{ ip: '10.244.1.5' }, { ip: 'fd00::5' }] }), { ips: ['10.244.1.5', 'fd00::5'] }],
    ['no Ready condition: readiness unknown', pod({}, { phase: 'Pending' }), { ready: null, phase: 'Pending', nodeName: null }],
    ['Ready False', pod({ nodeName: 'node-2' }, { conditions: [{ type: 'Ready', status: 'False' }] }), { ready: false, nodeName: 'node-2' }],
    ['a deletionTimestamp makes it terminating', pod({}, {}, { deletionTimestamp: '2026-11-22T08:00:00Z' }), { terminating: true }],
    ['hostNetwork only when true', pod({ hostNetwork: 'yes' }, {}), { hostNetwork: false }],
    [
      'container ports: protocol defaulted, unnamed kept without a name, a port without containerPort dropped',
      pod({ containers: [{ name: 'web', ports: [{ name: 'http', containerPort: 8080 }, { containerPort: 9090, protocol: 'UDP' }, { name: 'bad' }] }] }, {}),
      { ports: [{ container: 'web', name: 'http', port: 8080, protocol: 'TCP' }, { container: 'web', port: 9090, protocol: 'UDP' }] },
    ],
    [
      'troubled containers: waiting or restarted; a running one that never restarted is fine',
      pod({}, { containerStatuses: [
        { name: 'a', restartCount: 0, state: { running: {} } },
        { name: 'b', restartCount: 12, state: { waiting: { reason: 'CrashLoopBackOff' } } },
        { name: 'c', restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff' } } },
        { name: 'd', restartCount: 3, state: { running: {} } },
      ] }),
      { troubled: [{ container: 'b', reason: 'CrashLoopBackOff', restarts: 12 }, { container: 'c', reason: 'ImagePullBackOff', restarts: 0 }, { container: 'd', reason: null, restarts: 3 }] },
    ],
  ];
  for (const [name, o, want] of cases) {
    test(name, () => {
      const got = readPod(o);
      assert.deepEqual(Object.fromEntries(Object.keys(want).map((k) => [k, got[k as keyof typeof got]])), want);
    });
  }
});

describe('readNode', () => {
  const cases: [string, KubeObject, Partial<ReturnType<typeof readNode>>][] = [
    [
      'addresses typed, InternalIPs picked, malformed entries dropped',
      node({}, { addresses: [{ type: 'InternalIP', address: '192.168.1.101' }, { type: 'ExternalIP', address: '198.51.100.1' }, { type: 'InternalIP' }, 'junk'] }),
      { addresses: [{ type: 'InternalIP', address: '192.168.1.101' }, { type: 'ExternalIP', address: '198.51.100.1' }], internalIPs: ['192.168.1.101'] },
    ],
    ['podCIDR stands in for podCIDRs', node({ podCIDR: '10.244.0.0/24' }, {}), { podCIDRs: ['10.244.0.0/24'] }],
    ['podCIDRs win', node({ podCIDR: '10.244.0.0/24', podCIDRs: ['10.244.0.0/24', 'fd00:244::/64'] }, {}), { podCIDRs: ['10.244.0.0/24', 'fd00:244::/64'] }],
    ['no Ready condition: unknown', node({}, {}), { ready: null, readyMessage: null }],
    ['Ready Unknown is not ready; its message says why', node({}, { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' }] }),
      { ready: false, readyMessage: 'Kubelet stopped posting node status.' }],
    ['without a message, the reason', node({}, { conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }] }), { ready: true, readyMessage: 'KubeletReady' }],
  ];
  for (const [name, o, want] of cases) {
    test(name, () => {
      const got = readNode(o);
      assert.deepEqual(Object.fromEntries(Object.keys(want).map((k) => [k, got[k as keyof typeof got]])), want);
    });
  }
});

describe('readSliceEndpoints', () => {
  const http: ServicePort = { name: 'http', protocol: 'TCP', port: 80, targetPort: 'http', nodePort: 30080 };
  const unnamed: ServicePort = { name: '', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 };
  const slice = (ports: unknown[], endpoints: unknown[]): KubeObject =>
    ({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'web-abc', namespace: 'shop' }, ports, endpoints });
  const ep = (conditions: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ addresses: ['10.244.1.5'], conditions, ...extra });

  const cases: [string, ServicePort, KubeObject, [string, number | null, boolean, boolean, boolean][]][] = [
    ['conditions unset: ready, and serving follows ready', http, slice([{ name: 'http', port: 8080 }], [ep({})]), [['10.244.1.5', 8080, true, true, false]]],
    ['terminating but still serving', http, slice([{ name: 'http', port: 8080 }], [ep({ ready: false, serving: true, terminating: true })]), [['10.244.1.5', 8080, false, true, true]]],
    ['not ready and serving unset: not serving', http, slice([{ name: 'http', port: 8080 }], [ep({ ready: false })]), [['10.244.1.5', 8080, false, false, false]]],
    ['the port is matched by name and protocol: UDP http is not TCP http', http, slice([{ name: 'http', port: 8080, protocol: 'UDP' }], [ep({})]), [['10.244.1.5', null, true, true, false]]],
    ['a slice without the port: the endpoint, with no port', http, slice([{ name: 'metrics', port: 9100 }], [ep({})]), [['10.244.1.5', null, true, true, false]]],
    ['an unnamed Service port matches the slice\'s unnamed port', unnamed, slice([{ port: 8080 }], [ep({})]), [['10.244.1.5', 8080, true, true, false]]],
    ['every address of an endpoint', http, slice([{ name: 'http', port: 8080 }], [{ addresses: ['10.244.1.5', '10.244.1.6'] }]),
      [['10.244.1.5', 8080, true, true, false], ['10.244.1.6', 8080, true, true, false]]],
  ];
  for (const [name, port, o, want] of cases) {
    test(name, () => assert.deepEqual(readSliceEndpoints(o, port).map((e) => [e.address, e.port, e.ready, e.serving, e.terminating]), want));
  }

  test('targetRef: a Pod reference, namespaced like the slice when it names none; nodeName and the slice kept', () => {
    const o = slice([{ name: 'http', port: 8080 }], [ep({}, { nodeName: 'node-2', targetRef: { kind: 'Pod', name: 'web-1' } }), ep({}, { targetRef: { kind: 'Node', name: 'node-1' } })]);
    assert.deepEqual(readSliceEndpoints(o, http).map((e) => [e.pod, e.nodeName, e.slice]), [
      [{ kind: 'Pod', name: 'web-1', namespace: 'shop' }, 'node-2', 'web-abc'],
      [null, null, 'web-abc'],
    ]);
  });
});

describe('selects', () => {
  const cases: [Record<string, string>, Record<string, string>, boolean][] = [
    [{ app: 'web' }, { app: 'web', tier: 'front' }, true],
    [{ app: 'web', tier: 'front' }, { app: 'web' }, false],
    [{ app: 'web' }, { app: 'Web' }, false],
    [{}, { app: 'web' }, true],
  ];
  for (const [selector, labels, want] of cases) {
    test(`${JSON.stringify(selector)} on ${JSON.stringify(labels)}: ${want}`, () => assert.equal(selects(selector, labels), want));
  }
});
