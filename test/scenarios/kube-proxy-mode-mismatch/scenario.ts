import { baseCluster, updateNode } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** The ConfigMap says nftables, but node-1's kube-proxy still runs iptables mode (started with --proxy-mode=iptables). */
const spec = baseCluster();
spec.kubeProxy.mode = 'nftables';
updateNode(spec, 'node-1', { kubeProxy: { mode: 'iptables' } });

export default {
  about: "kube-proxy is configured for nftables, but node-1 runs iptables mode: 30080 still works there, the configuration is not what runs",
  spec,
  expect: { top: 'kube-proxy-mode-conflict', findings: ['kube-proxy-mode-conflict'] },
} satisfies Scenario;
