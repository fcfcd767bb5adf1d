import { baseCluster } from '../../support/scenario-kit/index.js';
import { probesFor } from '../../support/scenario-kit/probes.js';
import type { Scenario } from '../scenario.js';

/** The base cluster probed: every connect the replay expects to succeed does. */
const spec = baseCluster();
spec.probes = probesFor(spec);

export default {
  about: 'the base cluster with --probe: every probe agrees with the replay',
  spec,
  expect: { top: null, findings: [] },
} satisfies Scenario;
