import check from '../../checks/nodeport-addresses-excluded.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-nodeport-addresses' },
    { scenario: 'healthy-nftables-mode' },
    // Loopback is localhost-nodeport-unsupported's case.
    { scenario: 'localhost-nodeports-disabled' },
  ],
  invalid: [
    {
      scenario: 'nodeport-addresses-secondary-ip',
      findings: [
        {
          messageId: 'excluded', node: 'node-1',
          data: {
            node: 'node-1',
            served: '192.168.1.101',
            config: ' = 192.168.1.0/25 in ConfigMap kube-system/kube-proxy config.conf',
            address: '192.168.1.201',
            target: '192.168.1.201:30080',
            outcome: 'connection refused, unless a process there listens on the port',
          },
        },
      ],
    },
    {
      scenario: 'nftables-primary-secondary-ip',
      findings: [
        {
          messageId: 'excludedNft', node: 'node-1',
          data: {
            node: 'node-1',
            served: '192.168.1.101',
            config: ': nodePortAddresses is unset, which in nftables mode means "primary", the node\'s primary IPs only — iptables mode served every local address, so clients of a secondary address or VIP break after the switch to nftables',
            address: '192.168.1.201',
            target: '192.168.1.201:30080',
            outcome: 'connection refused, unless a process there listens on the port',
            daddr: 'ip',
          },
        },
      ],
    },
  ],
});
