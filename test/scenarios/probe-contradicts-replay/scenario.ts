import { baseCluster } from '../../support/scenario-kit/index.js';
import { probesFor } from '../../support/scenario-kit/probes.js';
import type { Scenario } from '../scenario.js';

/**
 * The rules gathered deliver everywhere, but a REJECT with tcp-reset was added on node-2 after
 * they were read: the probe from here is refused there while the pods themselves answer.
 */
const spec = baseCluster();
spec.probes = probesFor(spec, { fromHere: (node) => (node === 'node-2' ? 'refused' : 'connected') });

export default {
  about: 'with --probe, node-2 refuses the client where its gathered rules deliver, and nothing explains it',
  spec,
  expect: { top: 'replay-contradicts-wire', findings: ['replay-contradicts-wire'] },
} satisfies Scenario;
