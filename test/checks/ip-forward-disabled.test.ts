import check from '../../checks/ip-forward-disabled.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    { scenario: 'healthy-ipvs-mode' },
  ],
  invalid: [
    {
      scenario: 'ip-forward-off',
      findings: [
        {
          messageId: 'disabled', node: 'node-3',
          data: {
            node: 'node-3',
            sysctl: 'net.ipv4.ip_forward',
            role: 'it is the ingress node for 192.168.1.103:30080 and it runs shop/frontend-xgf88pr6rs-bvvl9',
            port: 30080,
            affected: '50% of the connections that enter through node-1 (192.168.1.101), 50% of the connections that enter through node-2 (192.168.1.102), 100% of the connections that enter through node-3 (192.168.1.103)',
          },
        },
      ],
    },
  ],
});
