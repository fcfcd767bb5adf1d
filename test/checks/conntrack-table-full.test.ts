import check from '../../checks/conntrack-table-full.js';
import { updateNode } from '../support/scenario-kit/spec.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    {
      scenario: 'conntrack-table-full', name: 'below 80 %',
      spec: (s) => { updateNode(s, 'node-3', { sysctls: { conntrackCount: 100000 } }); },
    },
  ],
  invalid: [
    {
      scenario: 'conntrack-table-full',
      findings: [
        {
          messageId: 'full', node: 'node-3', severity: 'error',
          data: { node: 'node-3', percent: 99, count: 130912, max: 131072, port: 30080 },
        },
      ],
    },
    {
      scenario: 'conntrack-table-full', name: 'from 80 %, a warning',
      spec: (s) => { updateNode(s, 'node-3', { sysctls: { conntrackCount: 110000 } }); },
      findings: [
        {
          messageId: 'nearlyFull', node: 'node-3', severity: 'warning',
          data: { node: 'node-3', percent: 83, count: 110000, max: 131072, port: 30080 },
        },
      ],
    },
  ],
});
