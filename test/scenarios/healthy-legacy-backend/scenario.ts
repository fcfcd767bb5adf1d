import { baseCluster, updateNode } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** An older distribution: every writer uses iptables-legacy, consistently. */
const spec = baseCluster();
for (const n of ['node-1', 'node-2', 'node-3']) updateNode(spec, n, { iptablesBackend: 'legacy' });

export default {
  about: 'all rules in the iptables-legacy backend on every node (no split): works',
  spec,
  expect: { top: null, findings: [] },
} satisfies Scenario;
