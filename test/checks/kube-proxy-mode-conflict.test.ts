import check from '../../checks/kube-proxy-mode-conflict.js';
import { nodeCommand } from './snapshot-edits.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    { scenario: 'healthy-ipvs-mode' },
    { scenario: 'healthy-nftables-mode' },
  ],
  invalid: [
    {
      scenario: 'kube-proxy-mode-mismatch',
      findings: [
        {
          messageId: 'mismatch', node: 'node-1',
          data: {
            configured: 'nftables',
            source: 'ConfigMap kube-system/kube-proxy config.conf',
            node: 'node-1',
            observed: 'iptables',
            evidence: 'nat KUBE-NODEPORTS / KUBE-SVC-* chains in node-1:iptables-nft-save',
          },
        },
      ],
    },
    {
      scenario: 'healthy-ipvs-mode', name: "iptables mode's KUBE-NODEPORTS chain left beside IPVS mode's rules",
      ask: { node: 'node-1' },
      snapshot: (s) => {
        const dump = nodeCommand(s, 'node-1', 'iptables-nft-save');
        dump.stdout = dump.stdout.replace('*nat\n', '*nat\n:KUBE-NODEPORTS - [0:0]\n');
      },
      findings: [
        {
          messageId: 'twoModes', node: 'node-1', severity: 'error',
          data: {
            node: 'node-1',
            evidence: 'ipvs (8 IPVS virtual services and nat chain KUBE-NODE-PORT) and iptables (nat KUBE-NODEPORTS / KUBE-SVC-* chains in node-1:iptables-nft-save)',
            configured: 'ipvs',
          },
        },
      ],
    },
    {
      scenario: 'healthy-ipvs-mode', name: 'Cilium beside kube-proxy in IPVS mode',
      ask: { node: 'node-1' },
      snapshot: (s) => {
        const ipAddr = nodeCommand(s, 'node-1', 'ip-addr');
        ipAddr.stdout = JSON.stringify([...(JSON.parse(ipAddr.stdout) as unknown[]), { ifindex: 99, ifname: 'cilium_host', flags: ['UP'], addr_info: [] }]);
      },
      findings: [
        {
          messageId: 'cilium', node: 'node-1',
          data: { node: 'node-1', cilium: 'interfaces cilium_host' },
        },
      ],
    },
  ],
});
