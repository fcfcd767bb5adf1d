import check from '../../checks/host-firewall-drop.js';
import { firewalldNft } from '../support/scenario-kit/host-firewall.js';
import { updateNode } from '../support/scenario-kit/spec.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    // filter FORWARD's policy DROP is forward-policy-drop's finding.
    { scenario: 'docker-forward-drop' },
  ],
  invalid: [
    {
      scenario: 'firewalld-rejects-nodeport',
      findings: [
        {
          messageId: 'dropped', node: 'node-2',
          data: {
            node: 'node-2',
            verb: 'rejects',
            port: 30080,
            toWhat: 'forwarded to shop/frontend-xgf88pr6rs-5hr8x',
            tool: 'the firewalld',
            table: 'filter',
            chain: 'FORWARD',
            line: 71,
            rule: '-A FORWARD -j REJECT --reject-with icmp-host-prohibited',
            rejectNote: ' (the client gets icmp-host-prohibited, "No route to host")',
            affected: '50% of the connections that enter through node-1 (192.168.1.101), 50% of the connections that enter through node-3 (192.168.1.103)',
          },
        },
        {
          messageId: 'dropped', node: 'node-3',
          data: {
            node: 'node-3',
            verb: 'rejects',
            port: 30080,
            toWhat: 'forwarded to shop/frontend-xgf88pr6rs-bvvl9',
            tool: 'the firewalld',
            table: 'filter',
            chain: 'FORWARD',
            line: 71,
            rule: '-A FORWARD -j REJECT --reject-with icmp-host-prohibited',
            rejectNote: ' (the client gets icmp-host-prohibited, "No route to host")',
            affected: '50% of the connections that enter through node-1 (192.168.1.101), 50% of the connections that enter through node-2 (192.168.1.102)',
          },
        },
      ],
    },
    {
      scenario: 'ufw-blocks-hostnetwork-backend',
      findings: [
        {
          messageId: 'policy', node: 'node-2',
          data: {
            node: 'node-2',
            port: 30080,
            toWhat: 'to 192.168.1.102:8080 on the node itself (shop/frontend-xgf88pr6rs-5hr8x, host network)',
            table: 'filter',
            chain: 'INPUT',
            proto: 'tcp',
            dport: 8080,
            owner: ', set by ufw',
            affected: '50% of the connections that enter through node-1 (192.168.1.101), 50% of the connections that enter through node-2 (192.168.1.102), 50% of the connections that enter through node-3 (192.168.1.103)',
          },
        },
        {
          messageId: 'policy', node: 'node-3',
          data: {
            node: 'node-3',
            port: 30080,
            toWhat: 'to 192.168.1.103:8080 on the node itself (shop/frontend-xgf88pr6rs-bvvl9, host network)',
            table: 'filter',
            chain: 'INPUT',
            proto: 'tcp',
            dport: 8080,
            owner: ', set by ufw',
            affected: '50% of the connections that enter through node-1 (192.168.1.101), 50% of the connections that enter through node-2 (192.168.1.102), 50% of the connections that enter through node-3 (192.168.1.103)',
          },
        },
      ],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'native nftables firewalld on node-2',
      ask: { node: 'node-1' },
      spec: (s) => { updateNode(s, 'node-2', { hostFirewall: firewalldNft({ ports: ['6443/tcp', '10250/tcp', '30000-32767/tcp'] }) }); },
      findings: [
        {
          messageId: 'droppedNft', node: 'node-2',
          data: {
            node: 'node-2',
            verb: 'rejects',
            port: 30080,
            toWhat: 'to 10.244.1.2:8080 on the node itself (shop/frontend-xgf88pr6rs-5hr8x, host network)',
            tool: 'a',
            family: 'inet',
            table: 'firewalld',
            chain: 'filter_FWD_public',
            line: 150,
            rule: 'reject with icmpx admin-prohibited',
            rejectNote: ' (the client gets icmp-admin-prohibited)',
            affected: '50% of the connections that enter through node-1 (192.168.1.101)',
          },
        },
      ],
    },
  ],
});
