import check from '../../checks/nodeport-out-of-range.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
  ],
  invalid: [
    {
      scenario: 'nodeport-range-changed',
      findings: [
        {
          messageId: 'outside',
          data: { nodePort: 30080, service: 'shop/frontend', range: '31000-31999' },
        },
      ],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'the range could not be read and the nodePort is outside the default',
      snapshot: (s) => {
        s.cluster.apiServer.serviceNodePortRange = null;
        const [frontend] = s.cluster.services;
        const [port] = (frontend?.spec as { ports?: { nodePort?: number }[] } | undefined)?.ports ?? [];
        if (port === undefined) throw new Error('shop/frontend has no port');
        port.nodePort = 29080;
      },
      findings: [
        {
          messageId: 'outsideDefault', severity: 'warning',
          data: { nodePort: 29080, service: 'shop/frontend' },
        },
      ],
    },
  ],
});
