import check from '../../checks/duplicate-node-address.js';
import { updateNode } from '../support/scenario-kit/spec.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    // A second NIC and a VIP, but every InternalIP is the node's own.
    { scenario: 'rp-filter-strict-multi-nic' },
  ],
  invalid: [
    {
      scenario: 'duplicate-vagrant-node-ip',
      findings: [
        {
          messageId: 'duplicate',
          data: {
            nodes: 'node-1, node-2, node-3',
            address: '10.0.2.15',
            hint: 'Their other addresses: node-1 192.168.1.101 (eth0), node-2 192.168.1.102 (eth0), node-3 192.168.1.103 (eth0); start each kubelet with --node-ip set to the address of the network the nodes share.',
          },
        },
      ],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'a node reports an InternalIP it does not have',
      spec: (s) => { updateNode(s, 'node-2', { internalIP: '192.168.1.250' }); },
      findings: [
        {
          messageId: 'notLocal', node: 'node-2',
          data: { node: 'node-2', address: '192.168.1.250', local: '192.168.1.102 on eth0' },
        },
      ],
    },
  ],
});
