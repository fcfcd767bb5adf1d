import { baseCluster } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** A namespace scan snapshot is diagnosed for "frontent": no such Service. */
export default {
  about: 'the Service asked about (shop/frontent) does not exist; the snapshot has shop/frontend',
  spec: baseCluster(),
  gather: { namespace: 'shop', service: null },
  target: { namespace: 'shop', service: 'frontent' },
  expect: { top: 'service-missing', findings: ['service-missing'] },
} satisfies Scenario;
