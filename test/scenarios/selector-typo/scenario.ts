import { baseCluster, updateService } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** The Service selects `app: fronted`; the pods are labelled `app: frontend`. */
const spec = updateService(baseCluster(), 'shop/frontend', { selector: { app: 'fronted' } });

export default {
  about: 'a typo in the Service selector (app: fronted) matches no pod: no endpoints, kube-proxy rejects the nodePort',
  spec,
  expect: { top: 'no-ready-endpoints', findings: ['no-ready-endpoints'] },
} satisfies Scenario;
