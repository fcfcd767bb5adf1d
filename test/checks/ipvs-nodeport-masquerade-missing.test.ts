import check from '../../checks/ipvs-nodeport-masquerade-missing.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-ipvs-mode' },
    // Local policy skips masquerade on purpose: ipvs-etp-local-fallback.
    { scenario: 'ipvs-etp-local-pod-elsewhere' },
  ],
  invalid: [
    {
      scenario: 'ipvs-vs-conntrack-off',
      findings: [
        {
          messageId: 'notMasqueraded', node: 'node-1',
          data: {
            node: 'node-1',
            target: '192.168.1.101:30080',
            protocol: 'TCP',
            backend: 'shop/frontend-xgf88pr6rs-5hr8x (10.244.1.2:8080 on node-2)',
            cause: 'net.ipv4.vs.conntrack is 0, so IPVS traffic bypasses conntrack and KUBE-POSTROUTING\'s MASQUERADE never applies (kube-proxy sets it to 1; something reset it).',
            client: '203.0.113.7',
          },
        },
      ],
    },
  ],
});
