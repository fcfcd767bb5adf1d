import check from '../../checks/unexpected-snat.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-local-pod-node' },
    // externalTrafficPolicy Cluster masquerades by design.
    { scenario: 'healthy-etp-cluster' },
  ],
  invalid: [
    {
      scenario: 'ip-masq-agent-snats-local',
      findings: [
        {
          messageId: 'snat', node: 'node-2',
          data: {
            service: 'shop/frontend',
            node: 'node-2',
            owner: 'ip-masq-agent\'s',
            chain: 'IP-MASQ-AGENT',
            line: 92,
            rule: '-A IP-MASQ-AGENT -m comment --comment "ip-masq-agent: outbound traffic is subject to MASQUERADE (must be last in chain)" -j MASQUERADE',
            action: 'masquerade',
            port: 30080,
            pods: 'shop/frontend-xgf88pr6rs-5hr8x',
            seen: '10.244.1.1',
            client: '203.0.113.7',
            affected: '100% of the connections that enter through node-2 (192.168.1.102)',
          },
        },
      ],
    },
  ],
});
