import { baseCluster, updateService } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** selector-typo with kube-proxy in nftables mode (v1.33 layout): no endpoints, 30080 goes to reject-chain. */
const spec = updateService(baseCluster(), 'shop/frontend', { selector: { app: 'fronted' } });
spec.kubeProxy.mode = 'nftables';
spec.kubeProxy.nftablesLayout = 'v1.33';

export default {
  about: 'nftables mode (v1.33 layout), a typo in the selector: no endpoints, kube-proxy rejects 30080 via @no-endpoint-nodeports → reject-chain',
  spec,
  expect: { top: 'no-ready-endpoints', findings: ['no-ready-endpoints'] },
} satisfies Scenario;
