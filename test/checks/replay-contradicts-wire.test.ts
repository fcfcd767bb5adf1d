import check from '../../checks/replay-contradicts-wire.js';
import { updatePods } from '../support/scenario-kit/index.js';
import { probesFor } from '../support/scenario-kit/probes.js';
import { checkTester } from './tester.js';

const delivered = (n: number) => `100% of connections to 192.168.1.10${n}:30080 reach a pod`;
const refusedFromHere = (n: number) => `client-to-node from here to 192.168.1.10${n}:30080/TCP refused, where ${delivered(n)}`;

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    { scenario: 'healthy-probes' },
    // Each explained by its own cause, which its own check reports.
    { scenario: 'cloud-firewall-blocks-nodeport' },
    { scenario: 'overlay-ipip-blocked' },
    { scenario: 'pod-refuses-probe' },
    {
      scenario: 'healthy-etp-cluster', name: 'an undecided replay never contradicts (node-2 was not gathered)',
      spec: (s) => { s.probes = probesFor(s, { fromHere: () => 'timed-out', self: () => 'timed-out', toPod: (_from, pod) => (pod.node === 'node-2' ? 'timed-out' : 'connected') }); },
      snapshot: (s) => { s.nodes = s.nodes.filter((n) => n.name !== 'node-2'); },
    },
    {
      scenario: 'healthy-etp-cluster', name: 'probes that could not run say nothing',
      spec: (s) => { s.probes = probesFor(s, { fromHere: () => 'error', self: () => 'error', toPod: () => 'not-run' }); },
    },
  ],
  invalid: [
    {
      scenario: 'probe-contradicts-replay',
      findings: [{ messageId: 'contradicts', node: 'node-2', data: { probes: refusedFromHere(2), from: '' } }],
    },
    {
      scenario: 'selector-typo', name: 'connects where the replay rejects, from another address than the replay\'s client',
      spec: (s) => { s.probes = probesFor(s, { fromAddress: '192.168.1.50' }); },
      findings: [{
        messageId: 'contradicts',
        data: {
          probes: [1, 2, 3].map((n) => `client-to-node from here to 192.168.1.10${n}:30080/TCP connected, where 100% of connections to 192.168.1.10${n}:30080 are refused (rejected with icmp-port-unreachable by filter/KUBE-EXTERNAL-SERVICES line 41 on node-${n})`).join('; '),
          from: ' The probe from here left from 192.168.1.50, but the replay follows a client at 203.0.113.7: diagnose again with --from 192.168.1.50, so both ask about the same client.',
        },
      }],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'the nodes time out on their own nodePort too (no firewall between explains it)',
      spec: (s) => { s.probes = probesFor(s, { fromHere: () => 'timed-out', self: () => 'timed-out' }); },
      findings: [{
        messageId: 'contradicts',
        data: { probes: [1, 2, 3].map((n) => `client-to-node from here to 192.168.1.10${n}:30080/TCP timed-out, where ${delivered(n)}`).join('; '), from: '' },
      }],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'hostNetwork backends on other nodes do not answer (no overlay carries them)',
      spec: (s) => {
        updatePods(s, 'shop', { app: 'frontend' }, { hostNetwork: true });
        s.probes = probesFor(s, { toPod: (from, pod) => (pod.node === from ? 'connected' : 'timed-out') });
      },
      findings: [{
        messageId: 'contradicts',
        data: {
          probes: [['1', '2', 'xgf88pr6rs-5hr8x'], ['1', '3', 'xgf88pr6rs-bvvl9'], ['2', '3', 'xgf88pr6rs-bvvl9'], ['3', '2', 'xgf88pr6rs-5hr8x']]
            .map(([from = '', to = '', pod = '']) => `node-to-pod from node-${from} to 192.168.1.10${to}:8080/TCP timed-out, where the replay through node-${from} reaches shop/frontend-${pod} on node-${to} at 192.168.1.10${to}:8080`)
            .join('; '),
          from: '',
        },
      }],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'a pod does not answer its own node, and every probe is listed once named six',
      spec: (s) => {
        const wire = { fromHere: () => 'refused' as const, toPod: (from: string, pod: { node: string | null }) => (pod.node === from ? 'timed-out' as const : 'connected' as const) };
        s.probes = [...probesFor(s, wire), ...probesFor(s, wire)];
      },
      findings: [{
        messageId: 'contradicts',
        data: {
          probes: [
            refusedFromHere(1), refusedFromHere(2), refusedFromHere(3),
            'node-to-pod from node-2 to 10.244.1.2:8080/TCP timed-out, where the replay through node-2 reaches shop/frontend-xgf88pr6rs-5hr8x on node-2 at 10.244.1.2:8080',
            'node-to-pod from node-3 to 10.244.2.2:8080/TCP timed-out, where the replay through node-3 reaches shop/frontend-xgf88pr6rs-bvvl9 on node-3 at 10.244.2.2:8080',
            refusedFromHere(1),
          ].join('; ') + '; and 4 more',
          from: '',
        },
      }],
    },
  ],
});
