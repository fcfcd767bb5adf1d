import { baseCluster } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** --service-node-port-range was narrowed to 31000-31999 after the Service got nodePort 30080. */
const spec = baseCluster({ nodePortRange: '31000-31999' });

export default {
  about: 'the API server node-port range was changed to 31000-31999 after the Service got 30080: firewalls opened for the range block it',
  spec,
  expect: { top: 'nodeport-out-of-range', findings: ['nodeport-out-of-range'] },
} satisfies Scenario;
