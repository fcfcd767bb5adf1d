import { baseCluster, updateNode } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** No kube-proxy pod on node-1 (the DaemonSet does not tolerate its control-plane taint) and so no KUBE-* service rules there. */
const spec = updateNode(baseCluster(), 'node-1', { kubeProxy: { running: false } });

export default {
  about: 'kube-proxy does not run on node-1: no pod and no KUBE-SERVICES/KUBE-NODEPORTS, so 30080 is refused there',
  spec,
  expect: { top: 'kube-proxy-missing', findings: ['kube-proxy-missing'] },
} satisfies Scenario;
