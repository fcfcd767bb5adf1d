import { baseCluster, ciliumCluster } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** Cilium replaces kube-proxy, and no agent has programmed shop/frontend's nodePort 30080 (its ClusterIP frontend is there). */
const spec = ciliumCluster(baseCluster(), { missingNodePort: ['shop/frontend'] });

export default {
  about: "Cilium replaces kube-proxy, and its service table has no NodePort frontend for 30080: the eBPF load balancer does not know the nodePort",
  spec,
  expect: { top: 'cilium-service-table', findings: ['cilium-service-table', 'kube-proxy-replaced'] },
} satisfies Scenario;
