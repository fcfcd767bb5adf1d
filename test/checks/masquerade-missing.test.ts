import check from '../../checks/masquerade-missing.js';
import { updateNode } from '../support/scenario-kit/spec.js';
import { editRules } from './snapshot-edits.js';
import { checkTester } from './tester.js';

/** kube-postrouting-no-masquerade's cluster (Calico-style routing: no CNI masquerade) with kube-proxy's MASQUERADE rule back. */
const withMasquerade = (s: Parameters<typeof updateNode>[0]) => { updateNode(s, 'node-1', { kubeProxy: { noMasqueradeRule: false } }); };

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    { scenario: 'healthy-calico-udp' },
    // IPVS mode: ipvs-nodeport-masquerade-missing.
    { scenario: 'ipvs-vs-conntrack-off' },
  ],
  invalid: [
    {
      scenario: 'kube-postrouting-no-masquerade',
      findings: [
        {
          messageId: 'noMasquerade', node: 'node-1',
          data: {
            node: 'node-1',
            port: 30080,
            pods: 'shop/frontend-xgf88pr6rs-5hr8x (node-2), shop/frontend-xgf88pr6rs-bvvl9 (node-3)',
            why: 'KUBE-POSTROUTING has no MASQUERADE rule ("kubernetes service traffic requiring SNAT")',
            client: '203.0.113.7',
            affected: '100% of the connections that enter through node-1 (192.168.1.101)',
          },
        },
      ],
    },
    {
      scenario: 'kube-postrouting-no-masquerade', name: 'KUBE-EXT never jumps to KUBE-MARK-MASQ',
      ask: { node: 'node-1' },
      spec: withMasquerade,
      snapshot: (s) => editRules(s, 'node-1', (l) => (/^-A KUBE-EXT-\S+ .*-j KUBE-MARK-MASQ$/.test(l) ? null : l)),
      findings: [
        {
          messageId: 'notMarked', node: 'node-1',
          data: {
            node: 'node-1',
            port: 30080,
            pods: 'shop/frontend-xgf88pr6rs-5hr8x (node-2), shop/frontend-xgf88pr6rs-bvvl9 (node-3)',
            why: 'KUBE-EXT-PY4JZH2ITZYEO4CN never jumps to KUBE-MARK-MASQ (kube-proxy\'s "masquerade traffic for … external destinations" rule is missing), so the connection is not marked for SNAT',
            client: '203.0.113.7',
            affected: '100% of the connections that enter through node-1 (192.168.1.101)',
          },
        },
      ],
    },
    {
      scenario: 'kube-postrouting-no-masquerade', name: 'nat POSTROUTING does not jump to KUBE-POSTROUTING',
      ask: { node: 'node-1' },
      spec: withMasquerade,
      snapshot: (s) => editRules(s, 'node-1', (l) => (/^-A POSTROUTING .*-j KUBE-POSTROUTING$/.test(l) ? null : l)),
      findings: [
        {
          messageId: 'noJump', node: 'node-1',
          data: {
            node: 'node-1',
            port: 30080,
            pods: 'shop/frontend-xgf88pr6rs-5hr8x (node-2), shop/frontend-xgf88pr6rs-bvvl9 (node-3)',
            why: 'nat POSTROUTING does not jump to KUBE-POSTROUTING, so kube-proxy\'s MASQUERADE rule never runs',
            client: '203.0.113.7',
            affected: '100% of the connections that enter through node-1 (192.168.1.101)',
          },
        },
      ],
    },
    {
      scenario: 'kube-postrouting-no-masquerade', name: 'KUBE-POSTROUTING tests another mark than KUBE-MARK-MASQ sets',
      ask: { node: 'node-1' },
      spec: withMasquerade,
      snapshot: (s) => editRules(s, 'node-1', (l) => (l.startsWith('-A KUBE-POSTROUTING -m mark') ? l.replace('0x4000/0x4000', '0x8000/0x8000') : l)),
      findings: [
        {
          messageId: 'markMismatch', node: 'node-1',
          data: {
            node: 'node-1',
            port: 30080,
            pods: 'shop/frontend-xgf88pr6rs-5hr8x (node-2), shop/frontend-xgf88pr6rs-bvvl9 (node-3)',
            why: 'KUBE-MARK-MASQ sets mark 0x4000 but KUBE-POSTROUTING masquerades only packets marked 0x8000 (the masquerade bit differs between the rules), so the marked packet RETURNs unmasqueraded',
            client: '203.0.113.7',
            affected: '100% of the connections that enter through node-1 (192.168.1.101)',
          },
        },
      ],
    },
    {
      scenario: 'kube-postrouting-no-masquerade', name: 'a rule accepts in nat POSTROUTING before KUBE-POSTROUTING',
      ask: { node: 'node-1' },
      spec: withMasquerade,
      snapshot: (s) => editRules(s, 'node-1', (l) => (/^-A POSTROUTING .*-j KUBE-POSTROUTING$/.test(l) ? `-A POSTROUTING -j ACCEPT\n${l}` : l)),
      findings: [
        {
          messageId: 'other', node: 'node-1',
          data: {
            node: 'node-1',
            port: 30080,
            pods: 'shop/frontend-xgf88pr6rs-5hr8x (node-2), shop/frontend-xgf88pr6rs-bvvl9 (node-3)',
            why: 'nat POSTROUTING ended without SNAT (POSTROUTING line 74 → ACCEPT)',
            client: '203.0.113.7',
            affected: '100% of the connections that enter through node-1 (192.168.1.101)',
          },
        },
      ],
    },
  ],
});
