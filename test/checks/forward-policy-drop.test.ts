import check from '../../checks/forward-policy-drop.js';
import { updateService } from '../support/scenario-kit/spec.js';
import { editRules } from './snapshot-edits.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    // A REJECT rule in FORWARD, not the policy: host-firewall-drop's finding.
    { scenario: 'firewalld-rejects-nodeport' },
  ],
  invalid: [
    {
      scenario: 'docker-forward-drop',
      findings: [
        {
          messageId: 'unmarkedBackend', node: 'node-2',
          data: {
            node: 'node-2',
            port: 30080,
            pods: 'shop/frontend-xgf88pr6rs-5hr8x',
            owner: ', set by Docker (dockerd sets it when it turns on ip_forward itself)',
            mark: '0x4000/0x4000',
            from: 'node-1, node-3',
            podCidr: '10.244.0.0/16',
            also: '',
            affected: '50% of the connections that enter through node-1 (192.168.1.101), 50% of the connections that enter through node-3 (192.168.1.103)',
          },
        },
        {
          messageId: 'unmarkedBackend', node: 'node-3',
          data: {
            node: 'node-3',
            port: 30080,
            pods: 'shop/frontend-xgf88pr6rs-bvvl9',
            owner: ', set by Docker (dockerd sets it when it turns on ip_forward itself)',
            mark: '0x4000/0x4000',
            from: 'node-1, node-2',
            podCidr: '10.244.0.0/16',
            also: '',
            affected: '50% of the connections that enter through node-1 (192.168.1.101), 50% of the connections that enter through node-2 (192.168.1.102)',
          },
        },
      ],
    },
    {
      scenario: 'docker-forward-drop', name: "node-1's FORWARD does not jump to KUBE-FORWARD",
      ask: { node: 'node-1' },
      snapshot: (s) => editRules(s, 'node-1', (l) => (/^-A FORWARD .*-j KUBE-FORWARD$/.test(l) ? null : l)),
      findings: [
        {
          messageId: 'noKubeForward', node: 'node-1',
          data: {
            node: 'node-1',
            port: 30080,
            pods: 'shop/frontend-xgf88pr6rs-5hr8x, shop/frontend-xgf88pr6rs-bvvl9',
            owner: ', set by Docker (dockerd sets it when it turns on ip_forward itself)',
            missing: 'FORWARD never jumps to KUBE-FORWARD',
            mark: '0x4000/0x4000',
            affected: '100% of the connections that enter through node-1 (192.168.1.101)',
          },
        },
      ],
    },
    {
      scenario: 'docker-forward-drop', name: 'externalTrafficPolicy Local leaves the connection to the local pod unmarked',
      ask: { node: 'node-2' },
      spec: (s) => { updateService(s, 'shop/frontend', { externalTrafficPolicy: 'Local' }); },
      findings: [
        {
          messageId: 'unmarkedIngress', node: 'node-2',
          data: {
            node: 'node-2',
            port: 30080,
            pods: 'shop/frontend-xgf88pr6rs-5hr8x',
            owner: ', set by Docker (dockerd sets it when it turns on ip_forward itself)',
            mark: '0x4000/0x4000',
            etp: 'Local',
            podCidr: '10.244.0.0/16',
            affected: '100% of the connections that enter through node-2 (192.168.1.102)',
          },
        },
      ],
    },
    {
      scenario: 'docker-forward-drop', name: 'kube-proxy in nftables mode',
      ask: { node: 'node-1' },
      spec: (s) => { s.kubeProxy.mode = 'nftables'; },
      findings: [
        {
          messageId: 'nftablesMode', node: 'node-1',
          data: {
            node: 'node-1',
            port: 30080,
            pods: 'shop/frontend-xgf88pr6rs-5hr8x, shop/frontend-xgf88pr6rs-bvvl9',
            owner: ', set by Docker (dockerd sets it when it turns on ip_forward itself)',
            affected: '100% of the connections that enter through node-1 (192.168.1.101)',
          },
        },
      ],
    },
    {
      scenario: 'docker-forward-drop', name: 'KUBE-FORWARD accepts another mark than KUBE-MARK-MASQ sets',
      ask: { node: 'node-1' },
      snapshot: (s) => editRules(s, 'node-1', (l) => (l.startsWith('-A KUBE-FORWARD ') ? l.replace('--mark 0x4000/0x4000', '--mark 0x8000/0x8000') : l)),
      findings: [
        {
          messageId: 'markMismatch', node: 'node-1',
          data: {
            node: 'node-1',
            port: 30080,
            pods: 'shop/frontend-xgf88pr6rs-5hr8x, shop/frontend-xgf88pr6rs-bvvl9',
            owner: ', set by Docker (dockerd sets it when it turns on ip_forward itself)',
            mark: '0x8000/0x8000',
            packetMark: '0x4000',
            affected: '100% of the connections that enter through node-1 (192.168.1.101)',
          },
        },
      ],
    },
  ],
});
