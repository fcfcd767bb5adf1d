import { baseCluster } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

export default {
  about: 'the base cluster: eTP Cluster, pods on node-2 and node-3, every node answers',
  spec: baseCluster(),
  expect: { top: null, findings: [] },
} satisfies Scenario;
