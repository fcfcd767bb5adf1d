import { baseCluster, updateNode } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** node-1 runs Ubuntu 18.04's iptables 1.6.1 under a kube-proxy image with iptables 1.8: its iptables-save prints "-j DNAT [unsupported revision]". */
const spec = updateNode(baseCluster(), 'node-1', { iptablesVersionSkew: true });

export default {
  about: "node-1's iptables 1.6.1 cannot decode kube-proxy's DNAT rules ([unsupported revision])",
  spec,
  expect: { top: 'iptables-version-skew', findings: ['iptables-version-skew'] },
} satisfies Scenario;
