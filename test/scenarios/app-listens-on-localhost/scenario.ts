import { baseCluster, updatePods } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** The frontend app binds 127.0.0.1:8080 inside its pod: connections to the pod IP are refused. */
const spec = updatePods(baseCluster(), 'shop', { app: 'frontend' }, { listens: [{ port: 8080, address: '127.0.0.1' }] });

export default {
  about: 'the frontend pods listen on 127.0.0.1:8080 only: connections DNATed to <pod IP>:8080 are refused',
  spec,
  expect: { top: 'backend-not-listening', findings: ['backend-not-listening'] },
} satisfies Scenario;
