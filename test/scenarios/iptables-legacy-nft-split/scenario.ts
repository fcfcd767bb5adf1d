import { baseCluster, updateNode } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/**
 * node-1 was upgraded from an iptables-legacy host: today's kube-proxy writes iptables-nft, but a
 * full copy of the old kube-proxy's rules (with a pod that is long gone) is still in iptables-legacy.
 */
const spec = updateNode(baseCluster(), 'node-1', {
  splitBackend: { staleKubeProxy: { backend: 'legacy', endpoints: { 'shop/frontend': [{ ip: '10.244.1.7', node: 'node-2' }] } } },
});

export default {
  about: 'node-1 has kube-proxy rules in both iptables-legacy (a stale copy) and iptables-nft',
  spec,
  expect: { top: 'iptables-backend-split', findings: ['iptables-backend-split'] },
} satisfies Scenario;
