import { baseCluster, updatePods } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** A rollout deleted both frontend pods, which already fail readiness while shutting down; no replacement is ready. */
const spec = updatePods(baseCluster(), 'shop', { app: 'frontend' }, { terminating: true, ready: false });

export default {
  about: 'every frontend pod is terminating and no longer serving, with no ready replacement: kube-proxy rejects the nodePort',
  spec,
  expect: { top: 'endpoints-not-ready', findings: ['endpoints-not-ready'] },
} satisfies Scenario;
