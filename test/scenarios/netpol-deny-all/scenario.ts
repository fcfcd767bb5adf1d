import { baseCluster, networkPolicy } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

const spec = baseCluster();
spec.networkPolicies.push(networkPolicy('shop', 'default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] }));

export default {
  about: 'a default-deny ingress NetworkPolicy in shop and no allow rule: NodePort traffic reaches the frontend pods only from their own node',
  spec,
  expect: { top: 'netpol-blocks-traffic', findings: ['netpol-blocks-traffic'] },
} satisfies Scenario;
