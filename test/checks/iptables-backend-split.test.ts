import check from '../../checks/iptables-backend-split.js';
import { firewalld } from '../support/scenario-kit/host-firewall.js';
import { updateNode } from '../support/scenario-kit/spec.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    // Everything in iptables-legacy: one backend, no split.
    { scenario: 'healthy-legacy-backend' },
  ],
  invalid: [
    {
      scenario: 'iptables-legacy-nft-split',
      findings: [
        {
          messageId: 'both', node: 'node-1',
          data: {
            node: 'node-1',
            program: 'iptables',
            legacyCount: 7,
            nftCount: 7,
            current: ' (kubelet, and so kube-proxy\'s backend detection, uses iptables-nft: the copy in iptables-legacy is the leftover)',
            hostTool: 'the nft backend ("iptables v1.8.9 (nf_tables)")',
          },
        },
      ],
    },
    {
      scenario: 'healthy-etp-cluster', name: "kubelet writes iptables-legacy, kube-proxy iptables-nft",
      spec: (s) => { updateNode(s, 'node-1', { splitBackend: { kubelet: 'legacy' } }); },
      findings: [
        {
          messageId: 'hintElsewhere', node: 'node-1',
          data: {
            node: 'node-1',
            program: 'iptables',
            proxy: 'nft',
            kubelet: 'legacy',
            hint: 'KUBE-IPTABLES-HINT',
            hostTool: 'the nft backend ("iptables v1.8.9 (nf_tables)")',
          },
        },
      ],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'firewalld drops in iptables-legacy, which kube-proxy does not use',
      ask: { node: 'node-1' },
      spec: (s) => { updateNode(s, 'node-2', { hostFirewall: firewalld({ ports: ['6443/tcp', '10250/tcp', '30000:32767/tcp'] }), splitBackend: { hostFirewall: 'legacy' } }); },
      findings: [
        {
          messageId: 'firewallOtherBackend', node: 'node-2', severity: 'warning',
          data: {
            node: 'node-2',
            program: 'iptables',
            verdict: 'rejected',
            table: 'filter',
            chain: 'FORWARD',
            line: 42,
            other: 'legacy',
            proxy: 'nft',
            hostTool: 'the nft backend ("iptables v1.8.9 (nf_tables)")',
            hidden: '`iptables -L` does not show the rule that drops it (use iptables-legacy-save)',
          },
        },
      ],
    },
  ],
});
