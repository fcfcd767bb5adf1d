import check from '../../checks/iptables-version-skew.js';
import { nodeCommand } from './snapshot-edits.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    { scenario: 'healthy-legacy-backend' },
  ],
  invalid: [
    {
      scenario: 'iptables-unsupported-revision',
      findings: [
        {
          messageId: 'unsupported', node: 'node-1',
          data: {
            node: 'node-1',
            tool: 'iptables-save',
            version: 'v1.6.1',
            count: 10,
            s: 's',
            table: 'nat',
            chain: 'KUBE-SEP-4AKULUCDQDGVJCL7',
            line: 84,
          },
        },
      ],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'iptables-nft-save says a table is incompatible',
      snapshot: (s) => { nodeCommand(s, 'node-1', 'iptables-nft-save').stderr = "iptables-nft-save v1.8.9 (nf_tables): table `nat' is incompatible, use 'nft' tool.\n"; },
      findings: [
        {
          messageId: 'incompatible', node: 'node-1',
          data: {
            tool: 'iptables-nft-save',
            node: 'node-1',
            excerpt: 'iptables-nft-save v1.8.9 (nf_tables): table `nat\' is incompatible, use \'nft\' tool.',
          },
        },
      ],
    },
    {
      scenario: 'healthy-etp-cluster', name: "the node's iptables is another version than its save tools",
      snapshot: (s) => { nodeCommand(s, 'node-1', 'iptables-version').stdout = 'iptables v1.6.1\n'; },
      findings: [
        {
          messageId: 'versionDiffers', node: 'node-1',
          data: { node: 'node-1', hostVersion: 'iptables v1.6.1', tool: 'iptables-nft-save', dumpVersion: 'v1.8.9' },
        },
        {
          messageId: 'versionDiffers', node: 'node-1',
          data: { node: 'node-1', hostVersion: 'iptables v1.6.1', tool: 'iptables-save', dumpVersion: 'v1.8.9' },
        },
      ],
    },
  ],
});
