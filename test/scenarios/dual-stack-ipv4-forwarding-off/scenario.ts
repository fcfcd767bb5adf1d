import { baseCluster, dualStack, updateNode, updateService } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** The mirror image: a hardening baseline set net.ipv4.ip_forward=0 and left IPv6 forwarding on. */
const spec = updateService(dualStack(baseCluster()), 'shop/frontend', { ipFamilyPolicy: 'PreferDualStack' });
for (const n of ['node-1', 'node-2', 'node-3']) updateNode(spec, n, { sysctls: { ipForward: false } });

export default {
  about: 'dual-stack frontend, net.ipv4.ip_forward=0 on every node: IPv6 answers, IPv4 times out',
  spec,
  expect: { top: 'ip-forward-disabled', findings: ['ip-forward-disabled'] },
} satisfies Scenario;
