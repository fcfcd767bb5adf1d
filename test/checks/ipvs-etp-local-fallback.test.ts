import check from '../../checks/ipvs-etp-local-fallback.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-ipvs-mode' },
    // iptables mode drops the NodePort instead: etp-local-no-local-endpoint.
    { scenario: 'etp-local-pod-elsewhere' },
  ],
  invalid: [
    {
      scenario: 'ipvs-etp-local-pod-elsewhere',
      findings: [
        {
          messageId: 'fallback', node: 'node-1', workingNodes: ['node-2', 'node-3'],
          data: {
            node: 'node-1',
            service: 'shop/frontend',
            reals: '10.244.1.2:8080 and 10.244.2.2:8080',
            target: '192.168.1.101:30080',
            protocol: 'TCP',
            client: '203.0.113.7',
            working: 'node-2 (192.168.1.102) and node-3 (192.168.1.103)',
          },
        },
      ],
    },
  ],
});
