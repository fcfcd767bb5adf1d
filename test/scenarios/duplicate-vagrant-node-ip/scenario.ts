import { baseCluster, updateNode } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** Vagrant: every VM has the NAT address 10.0.2.15, and kubelet registered it as the InternalIP. */
const spec = baseCluster();
for (const n of ['node-1', 'node-2', 'node-3']) {
  updateNode(spec, n, { internalIP: '10.0.2.15', extraAddresses: [{ iface: 'enp0s3', ip: '10.0.2.15', prefix: 24 }] });
}

export default {
  about: 'every node registered the Vagrant NAT address 10.0.2.15 as its InternalIP',
  spec,
  expect: { top: 'duplicate-node-address', findings: ['duplicate-node-address'] },
} satisfies Scenario;
