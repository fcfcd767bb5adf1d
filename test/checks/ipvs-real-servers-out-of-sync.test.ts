import check from '../../checks/ipvs-real-servers-out-of-sync.js';
import { nodeCommand } from './snapshot-edits.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-ipvs-mode' },
    { scenario: 'ipvs-etp-local-pod-elsewhere' },
  ],
  invalid: [
    {
      scenario: 'ipvs-real-servers-stale',
      findings: [
        {
          messageId: 'outOfSync', node: 'node-1',
          data: {
            node: 'node-1',
            target: '192.168.1.101:30080',
            protocol: 'TCP',
            reals: '10.244.1.9:8080 and 10.244.2.2:8080',
            service: 'shop/frontend',
            endpoints: '10.244.1.2:8080 and 10.244.2.2:8080',
            stale: ' 10.244.1.9:8080 is no longer a ready endpoint: connections sent there time out.',
            missing: ' 10.244.1.2:8080 gets no traffic from node-1.',
          },
        },
      ],
    },
    {
      scenario: 'healthy-ipvs-mode', name: "node-1's virtual services have another NodePort on its address, not this one",
      ask: { node: 'node-1' },
      snapshot: (s) => {
        const ipvs = nodeCommand(s, 'node-1', 'ipvsadm-save');
        ipvs.stdout = ipvs.stdout.replaceAll('192.168.1.101:30080', '192.168.1.101:30099');
      },
      findings: [
        {
          messageId: 'noService', node: 'node-1',
          data: { node: 'node-1', address: '192.168.1.101', target: '192.168.1.101:30080', protocol: 'TCP', service: 'shop/frontend' },
        },
      ],
    },
  ],
});
