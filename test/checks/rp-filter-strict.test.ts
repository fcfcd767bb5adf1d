import check from '../../checks/rp-filter-strict.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
  ],
  invalid: [
    {
      scenario: 'rp-filter-strict-multi-nic',
      findings: [
        {
          messageId: 'strict', node: 'node-3',
          data: {
            node: 'node-3',
            port: 30080,
            source: '203.0.113.7',
            iface: 'eth1',
            back: 'eth0',
            effective: 1,
            all: '1',
            dev: '1',
            affected: '100% of the connections that enter through node-3 (10.0.7.103)',
          },
        },
      ],
    },
  ],
});
