import { baseCluster, updatePods } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** Both frontend pods crash on start (CrashLoopBackOff): their endpoints are listed, never ready. */
const spec = updatePods(baseCluster(), 'shop', { app: 'frontend' }, { crashLoop: true });

export default {
  about: 'the frontend pods crash-loop: endpoints exist but none is ready, kube-proxy rejects the nodePort',
  spec,
  expect: { top: 'endpoints-not-ready', findings: ['endpoints-not-ready'] },
} satisfies Scenario;
