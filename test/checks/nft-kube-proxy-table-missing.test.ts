import check from '../../checks/nft-kube-proxy-table-missing.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-nftables-mode' },
    // Another mode runs there: kube-proxy-mode-conflict.
    { scenario: 'kube-proxy-mode-mismatch' },
  ],
  invalid: [
    {
      scenario: 'nftables-old-kernel',
      findings: [
        {
          messageId: 'missing', node: 'node-1',
          data: {
            source: 'ConfigMap kube-system/kube-proxy config.conf',
            node: 'node-1',
            table: 'ip kube-proxy',
            why: ' Its kernel is 5.10.0-28-amd64; kube-proxy\'s nftables mode needs 5.13 or later and refuses to start on older kernels.',
          },
        },
      ],
    },
  ],
});
