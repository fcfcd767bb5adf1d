import { baseCluster } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** The user runs `curl 10.96.120.15:30080` from a laptop: the ClusterIP with the nodePort. */
export default {
  about: 'the client dials the ClusterIP 10.96.120.15 with the nodePort from outside the cluster',
  spec: baseCluster(),
  ask: { nodeIp: '10.96.120.15' },
  expect: { top: 'client-wrong-target', findings: ['client-wrong-target'] },
} satisfies Scenario;
