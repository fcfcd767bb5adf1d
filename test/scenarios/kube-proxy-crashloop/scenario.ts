import { baseCluster, updateNode } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** kube-proxy on node-1 crash-loops before its first sync (as on kind/minikube with the nf_conntrack_max error): no rules there. */
const spec = updateNode(baseCluster(), 'node-1', { kubeProxy: { crashLooping: true } });

export default {
  about: 'kube-proxy on node-1 is in CrashLoopBackOff and never wrote its rules, so 30080 is refused there',
  spec,
  expect: { top: 'kube-proxy-crashlooping', findings: ['kube-proxy-crashlooping'] },
} satisfies Scenario;
