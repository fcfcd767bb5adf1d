import { baseCluster, updateNode } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** kube-proxy on node-1 programs every Service but has no KUBE-NODEPORTS rule for shop/frontend's 30080. */
const spec = updateNode(baseCluster(), 'node-1', { kubeProxy: { missingNodePort: ['shop/frontend'] } });

export default {
  about: "node-1's KUBE-NODEPORTS has no rule for 30080 although kube-proxy programs the other Services: the connection reaches the host and is refused",
  spec,
  expect: { top: 'nodeport-rule-missing', findings: ['nodeport-rule-missing'] },
} satisfies Scenario;
