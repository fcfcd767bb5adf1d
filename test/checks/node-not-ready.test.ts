import check from '../../checks/node-not-ready.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
  ],
  invalid: [
    {
      scenario: 'node-notready',
      findings: [
        {
          messageId: 'backend', node: 'node-2', severity: 'warning',
          data: {
            node: 'node-2',
            pods: 'frontend-xgf88pr6rs-5hr8x',
            status: 'Unknown',
            reason: ', NodeStatusUnknown',
            since: '2026-11-22T07:30:40.000Z',
            message: 'Kubelet stopped posting node status.',
          },
        },
      ],
    },
    {
      scenario: 'node-notready', name: 'the client connects to the NotReady node',
      ask: { node: 'node-2' },
      findings: [
        {
          messageId: 'ingress', node: 'node-2',
          data: {
            node: 'node-2',
            address: '192.168.1.102',
            status: 'Unknown',
            reason: ', NodeStatusUnknown',
            since: '2026-11-22T07:30:40.000Z',
            message: 'Kubelet stopped posting node status.',
            port: ':30080',
          },
        },
      ],
    },
  ],
});
