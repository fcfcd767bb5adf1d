import { baseCluster, updateNode } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/**
 * kube-proxy on node-1 stopped syncing before the frontend pod on node-2 was replaced: its rules
 * still DNAT to the old pod's 10.244.1.9 and lack the new 10.244.1.2.
 */
const spec = updateNode(baseCluster(), 'node-1', {
  kubeProxy: { staleEndpoints: { 'shop/frontend': [{ ip: '10.244.1.9', node: 'node-2' }, { ip: '10.244.2.2', node: 'node-3' }] } },
});

export default {
  about: "node-1's kube-proxy rules still send half the connections to a deleted pod (10.244.1.9) and lack its replacement",
  spec,
  expect: { top: 'kube-proxy-out-of-sync', findings: ['kube-proxy-out-of-sync'] },
} satisfies Scenario;
