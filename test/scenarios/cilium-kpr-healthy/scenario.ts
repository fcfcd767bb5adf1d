import { baseCluster, ciliumCluster } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/**
 * Cilium with its kube-proxy replacement on, no kube-proxy anywhere, gathered with --exec-agent:
 * every agent's service table has 30080 with the frontend pods as active backends. The replay of
 * each node is undecided (NodePorts are handled in eBPF), so the diagnosis exits 3, not 0: nothing
 * is wrong that np-doctor can see, but it cannot prove the path either, and says which command shows more.
 */
const spec = ciliumCluster(baseCluster());

export default {
  about: 'Cilium replaces kube-proxy (eBPF): named first, no kube-proxy-missing, replay undecided; its service table agrees with the Service',
  spec,
  expect: { top: 'kube-proxy-replaced', findings: ['kube-proxy-replaced'] },
} satisfies Scenario;
