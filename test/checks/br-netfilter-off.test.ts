import check from '../../checks/br-netfilter-off.js';
import { updateNode } from '../support/scenario-kit/spec.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    // Calico routes pods without a bridge.
    { scenario: 'healthy-calico-udp' },
  ],
  invalid: [
    {
      scenario: 'br-netfilter-not-loaded',
      findings: [
        {
          messageId: 'notLoaded', node: 'node-2',
          data: {
            node: 'node-2',
            bridge: 'cni0',
            cidr: '10.244.1.1/24',
            pods: 'shop/frontend-xgf88pr6rs-5hr8x',
            sysctl: 'net.bridge.bridge-nf-call-iptables',
          },
        },
      ],
    },
    {
      scenario: 'br-netfilter-not-loaded', name: 'loaded, but bridge-nf-call-iptables is 0',
      spec: (s) => { updateNode(s, 'node-2', { sysctls: { brNetfilter: true, bridgeNfCallIptables: false } }); },
      findings: [
        {
          messageId: 'disabled', node: 'node-2',
          data: {
            node: 'node-2',
            bridge: 'cni0',
            cidr: '10.244.1.1/24',
            pods: 'shop/frontend-xgf88pr6rs-5hr8x',
            sysctl: 'net.bridge.bridge-nf-call-iptables',
          },
        },
      ],
    },
  ],
});
