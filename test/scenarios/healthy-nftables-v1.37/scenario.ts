import { baseCluster } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/**
 * kube-proxy v1.37 in nftables mode: no mark-for-masquerade chain, hairpin masquerading through
 * @hairpin-connections, the service chains DNAT themselves (frontend through a numgen map, backend
 * with one endpoint plainly).
 */
const spec = baseCluster({ kubernetesVersion: 'v1.37.2' });
spec.kubeProxy.mode = 'nftables';
spec.kubeProxy.nftablesLayout = 'v1.37';

export default {
  about: 'kube-proxy v1.37 in nftables mode, eTP Cluster: every node forwards 30080 to a frontend pod, masqueraded',
  spec,
  expect: { top: null, findings: [] },
} satisfies Scenario;
