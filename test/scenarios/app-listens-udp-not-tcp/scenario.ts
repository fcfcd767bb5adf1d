import { baseCluster, updatePods } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** The frontend app serves UDP on 8080 while the Service port is TCP: every SYN is answered with a reset. */
const spec = updatePods(baseCluster(), 'shop', { app: 'frontend' }, { listens: [{ port: 8080, protocol: 'UDP' }] });

export default {
  about: 'the frontend pods listen on 8080/UDP, the Service port is TCP: connections to <pod IP>:8080 are refused',
  spec,
  expect: { top: 'backend-not-listening', findings: ['backend-not-listening'] },
} satisfies Scenario;
