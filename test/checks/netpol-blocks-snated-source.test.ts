import check from '../../checks/netpol-blocks-snated-source.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-netpol-allows-nodes' },
    // The client itself is denied too: netpol-blocks-traffic.
    { scenario: 'netpol-deny-all' },
  ],
  invalid: [
    {
      scenario: 'netpol-ipblock-client-only',
      findings: [
        {
          // Connections fail through node-1 and node-3, two nodes: none is named; node-2, which runs the pod, works.
          messageId: 'snated', workingNodes: ['node-2'],
          data: {
            policies: 'shop/frontend-allow-clients',
            port: 30080,
            via: 'node-1 (192.168.1.101), node-3 (192.168.1.103)',
            pod: 'shop/frontend-xgf88pr6rs-5hr8x',
            podNode: 'node-2',
            sources: '192.168.1.101 (node-1\'s address), 192.168.1.103 (node-3\'s address)',
            miss: 'its closest rule (ingress rule 0 of frontend-allow-clients) does not match: ipBlock 203.0.113.0/24 does not contain source 192.168.1.101 (an address of node node-1: the source NodePort traffic has when node-1 masquerades it)',
            client: '203.0.113.7',
            allowedBy: 'frontend-allow-clients ingress rule 0, peer 0',
            etp: 'Cluster',
          },
        },
        {
          messageId: 'snated', workingNodes: ['node-3'],
          data: {
            policies: 'shop/frontend-allow-clients',
            port: 30080,
            via: 'node-1 (192.168.1.101), node-2 (192.168.1.102)',
            pod: 'shop/frontend-xgf88pr6rs-bvvl9',
            podNode: 'node-3',
            sources: '192.168.1.101 (node-1\'s address), 192.168.1.102 (node-2\'s address)',
            miss: 'its closest rule (ingress rule 0 of frontend-allow-clients) does not match: ipBlock 203.0.113.0/24 does not contain source 192.168.1.101 (an address of node node-1: the source NodePort traffic has when node-1 masquerades it)',
            client: '203.0.113.7',
            allowedBy: 'frontend-allow-clients ingress rule 0, peer 0',
            etp: 'Cluster',
          },
        },
      ],
    },
    {
      scenario: 'netpol-ipblock-client-only', name: 'dialled on node-1 alone: the finding is about node-1, where it fails',
      ask: { node: 'node-1' },
      findings: [
        {
          messageId: 'snated', node: 'node-1', workingNodes: ['node-2'],
          data: {
            policies: 'shop/frontend-allow-clients',
            port: 30080,
            via: 'node-1 (192.168.1.101)',
            pod: 'shop/frontend-xgf88pr6rs-5hr8x',
            podNode: 'node-2',
            sources: '192.168.1.101 (node-1\'s address)',
            miss: 'its closest rule (ingress rule 0 of frontend-allow-clients) does not match: ipBlock 203.0.113.0/24 does not contain source 192.168.1.101 (an address of node node-1: the source NodePort traffic has when node-1 masquerades it)',
            client: '203.0.113.7',
            allowedBy: 'frontend-allow-clients ingress rule 0, peer 0',
            etp: 'Cluster',
          },
        },
        {
          messageId: 'snated', node: 'node-1', workingNodes: ['node-3'],
          data: {
            policies: 'shop/frontend-allow-clients',
            port: 30080,
            via: 'node-1 (192.168.1.101)',
            pod: 'shop/frontend-xgf88pr6rs-bvvl9',
            podNode: 'node-3',
            sources: '192.168.1.101 (node-1\'s address)',
            miss: 'its closest rule (ingress rule 0 of frontend-allow-clients) does not match: ipBlock 203.0.113.0/24 does not contain source 192.168.1.101 (an address of node node-1: the source NodePort traffic has when node-1 masquerades it)',
            client: '203.0.113.7',
            allowedBy: 'frontend-allow-clients ingress rule 0, peer 0',
            etp: 'Cluster',
          },
        },
      ],
    },
  ],
});
