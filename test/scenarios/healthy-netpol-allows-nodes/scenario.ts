import { baseCluster, networkPolicy } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/**
 * A default-deny namespace whose frontend policy admits the client range and the node subnet
 * (the source NodePort traffic has after masquerade): every path is allowed.
 */
const spec = baseCluster();
spec.networkPolicies.push(
  networkPolicy('shop', 'default-deny', { podSelector: {}, policyTypes: ['Ingress'] }),
  networkPolicy('shop', 'frontend-from-lb-and-nodes', {
    podSelector: { matchLabels: { app: 'frontend' } },
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ ipBlock: { cidr: '203.0.113.0/24' } }, { ipBlock: { cidr: '192.168.1.0/24' } }], ports: [{ port: 'http', protocol: 'TCP' }] }],
  }),
);

export default {
  about: 'default deny plus a policy admitting the client range and the node subnet (named port): allowed on every node',
  spec,
  expect: { top: null, findings: [] },
} satisfies Scenario;
