import { baseCluster } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** kube-proxy in nftables mode (v1.34 layout, nodePortAddresses unset = "primary"); the client dials node-1's primary IP. */
const spec = baseCluster();
spec.kubeProxy.mode = 'nftables';

export default {
  about: 'kube-proxy in nftables mode, eTP Cluster: every node forwards 30080 to a frontend pod, masqueraded',
  spec,
  expect: { top: null, findings: [] },
} satisfies Scenario;
