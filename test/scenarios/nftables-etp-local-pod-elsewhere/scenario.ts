import { baseCluster, updateService } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** etp-local-pod-elsewhere with kube-proxy in nftables mode: node-1 lists 30080 in no-endpoint-nodeports with verdict drop. */
const spec = updateService(baseCluster(), 'shop/frontend', { externalTrafficPolicy: 'Local' });
spec.kubeProxy.mode = 'nftables';

export default {
  about: 'nftables mode, externalTrafficPolicy Local: node-1 runs no frontend pod, so kube-proxy drops 30080 there via @no-endpoint-nodeports',
  spec,
  expect: { top: 'etp-local-no-local-endpoint', findings: ['etp-local-no-local-endpoint'] },
} satisfies Scenario;
