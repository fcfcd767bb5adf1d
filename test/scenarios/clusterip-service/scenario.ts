import { baseCluster, updateService } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** The frontend was exposed with the default type: a ClusterIP Service, no nodePort. */
const spec = updateService(baseCluster(), 'shop/frontend', { type: 'ClusterIP', ports: [{ name: 'http', port: 80, targetPort: 'http' }] });

export default {
  about: 'the Service is type ClusterIP: there is no nodePort for clients outside the cluster',
  spec,
  expect: { top: 'service-not-nodeport', findings: ['service-not-nodeport'] },
} satisfies Scenario;
