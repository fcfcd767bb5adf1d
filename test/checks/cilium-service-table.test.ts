import check from '../../checks/cilium-service-table.js';
import type { Snapshot } from '../../src/snapshot/schema.js';
import { dualStack } from '../support/dual-stack-fixture.js';
import { ciliumCluster, updateService } from '../support/scenario-kit/index.js';
import { checkTester } from './tester.js';

/** Rewrites every agent's `cilium-dbg service list -o json` (the kit prints the same table on each node). */
const editTable = (edit: (entries: { spec: { flags: { type: string }; 'backend-addresses': { ip: string; port: number; state: string }[] } }[]) => void) => (s: Snapshot) => {
  for (const out of s.cluster.proxyReplacement?.agentOutputs ?? []) {
    const entries = JSON.parse(out.stdout) as Parameters<typeof edit>[0];
    edit(entries);
    out.stdout = JSON.stringify(entries);
  }
};

const NODE_PORT_FRONTENDS = '0.0.0.0:30080/TCP, 192.168.1.101:30080/TCP, 192.168.1.102:30080/TCP and 192.168.1.103:30080/TCP';
const ENDPOINTS = '2 ready endpoints (10.244.1.2:8080 and 10.244.2.2:8080)';

checkTester(check, {
  valid: [
    { scenario: 'cilium-kpr-healthy' },
    // kube-proxy, not Cilium: there is no table to compare.
    { scenario: 'healthy-etp-cluster' },
    // Gathered without --exec-agent: nothing to compare (kube-proxy-replaced names the command).
    { scenario: 'cilium-nodeport-missing-from-table', name: 'without --exec-agent', snapshot: (s) => { delete s.cluster.proxyReplacement!.agentOutputs; } },
    {
      scenario: 'cilium-nodeport-missing-from-table', name: 'an agent printed something that is not the table',
      snapshot: (s) => { for (const o of s.cluster.proxyReplacement!.agentOutputs!) o.stdout = '{"error": "agent not ready"}'; },
    },
    // externalTrafficPolicy Local: each node's NodePort frontends hold its own endpoints; node-1 has none, and an empty list there is by design.
    { scenario: 'cilium-kpr-healthy', name: 'externalTrafficPolicy Local', spec: (s) => { updateService(s, 'shop/frontend', { externalTrafficPolicy: 'Local' }); } },
    {
      scenario: 'cilium-kpr-healthy', name: 'externalTrafficPolicy Local, no backends on node-1 which has no endpoint', ask: { node: 'node-1' },
      spec: (s) => { updateService(ciliumCluster(s, { noBackends: ['shop/frontend'] }), 'shop/frontend', { externalTrafficPolicy: 'Local' }); },
    },
    // One active backend among several terminating ones is enough.
    {
      scenario: 'cilium-kpr-healthy', name: 'one of two backends terminating',
      snapshot: editTable((es) => { for (const e of es) if (e.spec['backend-addresses'][0] !== undefined) e.spec['backend-addresses'][0].state = 'terminating'; }),
    },
  ],
  invalid: [
    {
      // The agents list IPv4 frontends only: the IPv6 nodePort is not programmed, whatever the IPv4 ones' backends.
      scenario: 'cilium-kpr-healthy', name: 'an IPv6 client of a dual-stack Service, IPv4 frontends only', ask: { node: 'node-1', from: '2001:db8::9' },
      snapshot: (s) => Object.assign(s, dualStack(s)),
      findings: [{
        messageId: 'absent', node: 'node-1',
        data: {
          node: 'node-1', pod: 'cilium-bedfc', nodePort: 30080, protocol: 'TCP', service: 'shop/frontend',
          seen: 'it has no NodePort frontend at all; it does have 10.96.120.15:80/TCP, 0.0.0.0:30080/TCP, 192.168.1.101:30080/TCP, 192.168.1.102:30080/TCP and 1 more for the Service',
        },
      }],
    },
    {
      scenario: 'cilium-nodeport-missing-from-table',
      findings: ['node-1', 'node-2', 'node-3'].map((node, i) => ({
        messageId: 'absent' as const, node,
        data: {
          node, pod: ['cilium-bedfc', 'cilium-eeeda', 'cilium-bccda'][i]!, nodePort: 30080, protocol: 'TCP', service: 'shop/frontend',
          seen: 'it has no NodePort frontend at all; it does have 10.96.120.15:80/TCP for the Service',
        },
      })),
    },
    {
      scenario: 'cilium-kpr-healthy', name: 'the agents list the nodePort without backends', ask: { node: 'node-2' },
      spec: (s) => { ciliumCluster(s, { noBackends: ['shop/frontend'] }); },
      findings: [{
        messageId: 'noActiveBackends', node: 'node-2',
        data: { node: 'node-2', pod: 'cilium-eeeda', service: 'shop/frontend', nodePort: 30080, plural: 's', frontends: NODE_PORT_FRONTENDS, backends: 'they have no backends', endpoints: ENDPOINTS },
      }],
    },
    {
      scenario: 'cilium-kpr-healthy', name: 'externalTrafficPolicy Local, no backends on node-2, which has an endpoint', ask: { node: 'node-2' },
      spec: (s) => { updateService(ciliumCluster(s, { noBackends: ['shop/frontend'] }), 'shop/frontend', { externalTrafficPolicy: 'Local' }); },
      findings: [{
        messageId: 'noActiveBackends', node: 'node-2',
        data: {
          node: 'node-2', pod: 'cilium-eeeda', service: 'shop/frontend', nodePort: 30080, plural: 's', frontends: NODE_PORT_FRONTENDS, backends: 'they have no backends',
          endpoints: '1 ready endpoint on node-2 (externalTrafficPolicy Local) (10.244.1.2:8080)',
        },
      }],
    },
    {
      scenario: 'cilium-kpr-healthy', name: 'every backend terminating', ask: { node: 'node-1' },
      snapshot: editTable((es) => { for (const e of es) for (const b of e.spec['backend-addresses']) b.state = 'terminating'; }),
      findings: [{
        messageId: 'noActiveBackends', node: 'node-1',
        data: { node: 'node-1', pod: 'cilium-bedfc', service: 'shop/frontend', nodePort: 30080, plural: 's', frontends: NODE_PORT_FRONTENDS, backends: 'none of their backends is active (terminating)', endpoints: ENDPOINTS },
      }],
    },
    {
      scenario: 'cilium-kpr-healthy', name: 'backends from before a rollout (addresses no endpoint has)', ask: { node: 'node-3' },
      snapshot: editTable((es) => { for (const e of es) for (const b of e.spec['backend-addresses']) b.ip = b.ip.replace(/\.2$/, '.99'); }),
      findings: [{
        messageId: 'noActiveBackends', node: 'node-3',
        data: {
          node: 'node-3', pod: 'cilium-bccda', service: 'shop/frontend', nodePort: 30080, plural: 's', frontends: NODE_PORT_FRONTENDS,
          backends: "their backends (10.244.1.99:8080 and 10.244.2.99:8080) are none of the Service's endpoints", endpoints: ENDPOINTS,
        },
      }],
    },
  ],
});
