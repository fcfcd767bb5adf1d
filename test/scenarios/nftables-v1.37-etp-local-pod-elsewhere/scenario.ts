import { baseCluster, updateService } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** nftables-etp-local-pod-elsewhere with kube-proxy v1.37's table layout: node-1 still drops 30080 via @no-endpoint-nodeports. */
const spec = updateService(baseCluster({ kubernetesVersion: 'v1.37.2' }), 'shop/frontend', { externalTrafficPolicy: 'Local' });
spec.kubeProxy.mode = 'nftables';
spec.kubeProxy.nftablesLayout = 'v1.37';

export default {
  about: 'kube-proxy v1.37 in nftables mode, externalTrafficPolicy Local: node-1 runs no frontend pod, so kube-proxy drops 30080 there via @no-endpoint-nodeports',
  spec,
  expect: { top: 'etp-local-no-local-endpoint', findings: ['etp-local-no-local-endpoint'] },
} satisfies Scenario;
