import check from '../../checks/nodeport-rule-missing.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    // No kube-proxy rules at all: kube-proxy-missing.
    { scenario: 'kube-proxy-not-running' },
  ],
  invalid: [
    {
      scenario: 'nodeport-rule-missing',
      findings: [
        {
          messageId: 'missing', node: 'node-1',
          data: {
            node: 'node-1',
            nodePort: 30080,
            protocol: 'TCP',
            service: 'shop/frontend',
            others: 'is empty',
            known: ' (it does have the Service\'s cluster IP rule, line 118: the nodePort changed after its last sync, or it skipped the port)',
            target: '192.168.1.101:30080',
            outcome: 'the kernel refuses them (connection refused)',
          },
        },
      ],
    },
  ],
});
