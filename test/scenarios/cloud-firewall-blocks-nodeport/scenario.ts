import { baseCluster } from '../../support/scenario-kit/index.js';
import { probesFor } from '../../support/scenario-kit/probes.js';
import type { Scenario } from '../scenario.js';

/** A security group opens 22 and 6443 only: the probes from here time out, each node's own probe connects. */
const spec = baseCluster();
spec.probes = probesFor(spec, { fromAddress: '198.51.100.20', fromHere: () => 'timed-out' });

export default {
  about: 'with --probe, every node answers its own nodePort but the connects from where np-doctor runs time out: a cloud firewall',
  spec,
  expect: { top: 'nodeport-blocked-before-node', findings: ['nodeport-blocked-before-node'] },
} satisfies Scenario;
