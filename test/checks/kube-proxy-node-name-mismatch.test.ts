import check from '../../checks/kube-proxy-node-name-mismatch.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-local-pod-node' },
    // node-1 runs no pod: dropping there is the policy working (etp-local-no-local-endpoint).
    { scenario: 'etp-local-pod-elsewhere' },
  ],
  invalid: [
    {
      scenario: 'kube-proxy-hostname-override',
      findings: [
        {
          messageId: 'mismatch', node: 'node-2',
          data: {
            node: 'node-2',
            comment: 'shop/frontend:http has no local endpoints',
            table: 'filter',
            chain: 'KUBE-EXTERNAL-SERVICES',
            line: 41,
            nodePort: 30080,
            protocol: 'TCP',
            endpoints: '10.244.1.2 (frontend-xgf88pr6rs-5hr8x)',
            override: ' — kube-proxy runs without --hostname-override, so it uses the machine\'s hostname',
          },
        },
        {
          messageId: 'mismatch', node: 'node-3',
          data: {
            node: 'node-3',
            comment: 'shop/frontend:http has no local endpoints',
            table: 'filter',
            chain: 'KUBE-EXTERNAL-SERVICES',
            line: 41,
            nodePort: 30080,
            protocol: 'TCP',
            endpoints: '10.244.2.2 (frontend-xgf88pr6rs-bvvl9)',
            override: ' — kube-proxy runs without --hostname-override, so it uses the machine\'s hostname',
          },
        },
      ],
    },
  ],
});
