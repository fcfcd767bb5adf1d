import check from '../../checks/etp-local-no-local-endpoint.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    { scenario: 'healthy-etp-local-pod-node' },
    // Every node with a pod drops too: that is kube-proxy-node-name-mismatch, with no node to point to.
    { scenario: 'kube-proxy-hostname-override' },
  ],
  invalid: [
    {
      scenario: 'etp-local-pod-elsewhere',
      findings: [
        {
          messageId: 'dropped', node: 'node-1', workingNodes: ['node-2', 'node-3'],
          data: {
            node: 'node-1',
            target: '192.168.1.101:30080',
            protocol: 'TCP',
            service: 'shop/frontend',
            comment: 'shop/frontend:http has no local endpoints',
            table: 'filter',
            chain: 'KUBE-EXTERNAL-SERVICES',
            line: 41,
            working: 'node-2 (192.168.1.102) and node-3 (192.168.1.103)',
          },
        },
      ],
    },
    {
      scenario: 'nftables-etp-local-pod-elsewhere',
      findings: [
        {
          messageId: 'droppedNft', node: 'node-1', workingNodes: ['node-2', 'node-3'],
          data: {
            node: 'node-1',
            target: '192.168.1.101:30080',
            protocol: 'TCP',
            service: 'shop/frontend',
            key: 'tcp . 30080',
            comment: 'shop/frontend:http',
            family: 'ip',
            table: 'kube-proxy',
            chain: 'nodeport-endpoints-check',
            line: 48,
            working: 'node-2 (192.168.1.102) and node-3 (192.168.1.103)',
          },
        },
      ],
    },
    {
      scenario: 'nftables-v1.37-etp-local-pod-elsewhere',
      findings: [
        {
          messageId: 'droppedNft', node: 'node-1', workingNodes: ['node-2', 'node-3'],
          data: {
            node: 'node-1',
            target: '192.168.1.101:30080',
            protocol: 'TCP',
            service: 'shop/frontend',
            key: 'tcp . 30080',
            comment: 'shop/frontend:http',
            family: 'ip',
            table: 'kube-proxy',
            chain: 'nodeport-endpoints-check',
            line: 46,
            working: 'node-2 (192.168.1.102) and node-3 (192.168.1.103)',
          },
        },
      ],
    },
  ],
});
