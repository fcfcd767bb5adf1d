import { baseCluster, networkPolicy } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** The policy admits the clients' network, but eTP Cluster masquerades cross-node connections to the ingress node's address. */
const spec = baseCluster();
spec.networkPolicies.push(networkPolicy('shop', 'frontend-allow-clients', {
  podSelector: { matchLabels: { app: 'frontend' } },
  policyTypes: ['Ingress'],
  ingress: [{ from: [{ ipBlock: { cidr: '203.0.113.0/24' } }], ports: [{ protocol: 'TCP', port: 8080 }] }],
}));

export default {
  about: 'NetworkPolicy allows only the client network 203.0.113.0/24; cross-node NodePort traffic arrives SNATed to the ingress node and is dropped (works only via the pod\'s node)',
  spec,
  expect: { top: 'netpol-blocks-snated-source', findings: ['netpol-blocks-snated-source'] },
} satisfies Scenario;
