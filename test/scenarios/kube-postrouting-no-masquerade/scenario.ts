import { baseCluster, updateNode } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** node-1's KUBE-POSTROUTING lost its MASQUERADE rule; no flannel masquerade rule stands in (Calico-style routing). */
const spec = updateNode(baseCluster({ cni: 'calico' }), 'node-1', { kubeProxy: { noMasqueradeRule: true } });

export default {
  about: 'KUBE-POSTROUTING on node-1 has no MASQUERADE rule: connections it forwards to pods on node-2/node-3 leave unmasqueraded and the replies never come back (node-2 and node-3 work)',
  spec,
  expect: { top: 'masquerade-missing', findings: ['masquerade-missing'] },
} satisfies Scenario;
