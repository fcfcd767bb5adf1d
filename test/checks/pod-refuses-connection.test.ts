import check from '../../checks/pod-refuses-connection.js';
import { probesFor } from '../support/scenario-kit/probes.js';
import { checkTester } from './tester.js';

const refused = (pod: string, node: string, ip: string, from: string) => ({
  messageId: 'refused' as const, node,
  data: { pod: `pod shop/${pod}`, node, port: 8080, protocol: 'TCP', target: `${ip}:8080`, nodePort: 30080, from },
});

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    { scenario: 'healthy-probes' },
    // Pods on other nodes time out rather than refuse: overlay-blocked's.
    { scenario: 'overlay-ipip-blocked' },
    {
      scenario: 'hostnetwork-listens-on-loopback', name: 'a hostNetwork backend whose node shows nothing listening: the replay expects the refusal (backend-not-listening\'s)',
      spec: (s) => { s.probes = probesFor(s, { fromHere: () => 'refused', toPod: () => 'refused' }); },
    },
    {
      scenario: 'healthy-etp-cluster', name: 'only the probe from here is refused, the pods answer (replay-contradicts-wire\'s)',
      spec: (s) => { s.probes = probesFor(s, { fromHere: () => 'refused' }); },
    },
    {
      scenario: 'healthy-etp-cluster', name: 'a pod refuses although its sockets were read and show it listening (replay-contradicts-wire\'s)',
      spec: (s) => { s.probes = probesFor(s, { toPod: (from, pod) => (from === 'node-1' && pod.node === 'node-3' ? 'refused' : 'connected') }); },
    },
  ],
  invalid: [
    {
      scenario: 'pod-refuses-probe',
      findings: [
        refused('frontend-xgf88pr6rs-5hr8x', 'node-2', '10.244.1.2', 'node-1, node-2 and node-3'),
        refused('frontend-xgf88pr6rs-bvvl9', 'node-3', '10.244.2.2', 'node-1, node-2 and node-3'),
      ],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'one pod refuses, probed from node-1 only',
      spec: (s) => {
        s.nodes = s.nodes.map((n) => ({ ...n, podNamespacesDenied: true }));
        s.probes = probesFor(s, { toPod: (from, pod) => (from === 'node-1' && pod.node === 'node-3' ? 'refused' : 'connected') });
      },
      findings: [refused('frontend-xgf88pr6rs-bvvl9', 'node-3', '10.244.2.2', 'node-1')],
    },
  ],
});
