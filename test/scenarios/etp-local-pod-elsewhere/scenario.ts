import { baseCluster, updateService } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** externalTrafficPolicy Local with pods only on node-2 and node-3: node-1 drops its NodePort by design. */
const spec = updateService(baseCluster(), 'shop/frontend', { externalTrafficPolicy: 'Local' });

export default {
  about: 'externalTrafficPolicy Local: node-1 runs no frontend pod, so kube-proxy drops 30080 there (node-2 and node-3 answer)',
  spec,
  expect: { top: 'etp-local-no-local-endpoint', findings: ['etp-local-no-local-endpoint'] },
} satisfies Scenario;
