import check from '../../checks/netpol-blocks-traffic.js';
import { updateService } from '../support/scenario-kit/spec.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-netpol-allows-nodes' },
    // Only the masquerade address is refused: netpol-blocks-snated-source.
    { scenario: 'netpol-ipblock-client-only' },
  ],
  invalid: [
    {
      scenario: 'netpol-deny-all',
      findings: [
        {
          messageId: 'deniedSnated', node: 'node-2',
          data: {
            policies: 'shop/default-deny-ingress',
            pod: 'shop/frontend-xgf88pr6rs-5hr8x',
            podNode: 'node-2',
            sources: '192.168.1.101, 192.168.1.103',
            target: '8080/TCP',
            misses: 'default-deny-ingress: it has no ingress rules, so it allows no ingress',
            client: '203.0.113.7',
            clientWhy: 'ingress to pod shop/frontend-xgf88pr6rs-5hr8x on 8080/TCP from 203.0.113.7 (outside the pod CIDRs) is denied: NetworkPolicy shop/default-deny-ingress isolates the pod for ingress and none of its ingress rules match',
            port: 30080,
            affected: '50% of the connections that enter through node-1 (192.168.1.101), 50% of the connections that enter through node-3 (192.168.1.103)',
          },
        },
        {
          messageId: 'deniedSnated', node: 'node-3',
          data: {
            policies: 'shop/default-deny-ingress',
            pod: 'shop/frontend-xgf88pr6rs-bvvl9',
            podNode: 'node-3',
            sources: '192.168.1.101, 192.168.1.102',
            target: '8080/TCP',
            misses: 'default-deny-ingress: it has no ingress rules, so it allows no ingress',
            client: '203.0.113.7',
            clientWhy: 'ingress to pod shop/frontend-xgf88pr6rs-bvvl9 on 8080/TCP from 203.0.113.7 (outside the pod CIDRs) is denied: NetworkPolicy shop/default-deny-ingress isolates the pod for ingress and none of its ingress rules match',
            port: 30080,
            affected: '50% of the connections that enter through node-1 (192.168.1.101), 50% of the connections that enter through node-2 (192.168.1.102)',
          },
        },
      ],
    },
    {
      scenario: 'netpol-deny-all', name: 'externalTrafficPolicy Local: the pod sees the client itself',
      ask: { node: 'node-2' },
      spec: (s) => { updateService(s, 'shop/frontend', { externalTrafficPolicy: 'Local' }); },
      findings: [
        {
          messageId: 'denied', node: 'node-2',
          data: {
            policies: 'shop/default-deny-ingress',
            pod: 'shop/frontend-xgf88pr6rs-5hr8x',
            podNode: 'node-2',
            sources: '203.0.113.7',
            target: '8080/TCP',
            misses: 'default-deny-ingress: it has no ingress rules, so it allows no ingress',
            port: 30080,
            affected: '100% of the connections that enter through node-2 (192.168.1.102)',
          },
        },
      ],
    },
  ],
});
