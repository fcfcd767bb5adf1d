import check from '../../checks/nodeport-blocked-before-node.js';
import { probesFor } from '../support/scenario-kit/probes.js';
import { checkTester } from './tester.js';

const ALL = 'node-1 (192.168.1.101), node-2 (192.168.1.102) and node-3 (192.168.1.103)';

checkTester(check, {
  valid: [
    // Without --probe nothing was sent, so nothing is known of the wire.
    { scenario: 'healthy-etp-cluster' },
    { scenario: 'healthy-probes' },
    // node-1's client probe times out because its every pod is across the blocked overlay: overlay-blocked's.
    { scenario: 'overlay-ipip-blocked' },
    {
      scenario: 'healthy-etp-cluster', name: 'the nodes do not answer their own nodePort either (replay-contradicts-wire\'s)',
      spec: (s) => { s.probes = probesFor(s, { fromHere: () => 'timed-out', self: () => 'timed-out' }); },
    },
    {
      scenario: 'healthy-etp-cluster', name: 'the probes from here could not run',
      spec: (s) => { s.probes = probesFor(s, { fromHere: () => 'error' }); },
    },
    {
      scenario: 'cloud-firewall-blocks-nodeport', name: 'probe targets that are not addresses are ignored (never words of a command)',
      snapshot: (s) => { for (const p of s.probes ?? []) p.ip = `-oProxyCommand=${p.ip}`; },
    },
    {
      scenario: 'healthy-calico-udp', name: 'a UDP Service: no probe is sent, so none times out',
      spec: (s) => { s.probes = probesFor(s, { fromHere: () => 'timed-out' }, { namespace: 'shop', service: 'syslog' }); },
    },
  ],
  invalid: [
    {
      scenario: 'cloud-firewall-blocks-nodeport',
      findings: [{
        messageId: 'blocked',
        data: {
          client: '198.51.100.20', port: 30080, protocol: 'TCP', seen: 'time out', nodes: ALL, each: 'each node',
          range: '30000-32767', rangeFrom: 'the API server\'s --service-node-port-range',
        },
      }],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'node-3 only, answered by an ICMP error, the range not read',
      spec: (s) => { s.probes = probesFor(s, { fromHere: (n) => (n === 'node-3' ? 'unreachable' : 'connected') }); },
      snapshot: (s) => { s.cluster.apiServer.serviceNodePortRange = null; },
      findings: [{
        messageId: 'blocked', node: 'node-3',
        data: {
          client: 'this machine', port: 30080, protocol: 'TCP', seen: 'are answered with an ICMP error (unreachable)', nodes: 'node-3 (192.168.1.103)', each: 'the node',
          range: '30000-32767', rangeFrom: 'the default: the API server\'s --service-node-port-range could not be read',
        },
      }],
    },
    {
      scenario: 'selector-typo', name: 'the replay rejects (no endpoints) and the node rejects itself, but from here it times out',
      spec: (s) => { s.probes = probesFor(s, { fromHere: () => 'timed-out', self: () => 'refused' }); },
      findings: [{
        messageId: 'blocked',
        data: {
          client: 'this machine', port: 30080, protocol: 'TCP', seen: 'time out', nodes: ALL, each: 'each node',
          range: '30000-32767', rangeFrom: 'the API server\'s --service-node-port-range',
        },
      }],
    },
  ],
});
