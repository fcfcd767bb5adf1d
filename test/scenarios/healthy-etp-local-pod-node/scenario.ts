import { baseCluster, updateService } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** eTP Local works on the nodes that run a pod; the client dials one of them. */
export default {
  about: 'externalTrafficPolicy Local, the client dials node-2, which runs a pod: delivered, client IP kept',
  spec: updateService(baseCluster(), 'shop/frontend', { externalTrafficPolicy: 'Local' }),
  ask: { node: 'node-2' },
  expect: { top: null, findings: [] },
} satisfies Scenario;
