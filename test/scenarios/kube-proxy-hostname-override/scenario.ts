import { baseCluster, updateNode, updateService } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** kube-proxy knows every node by its FQDN, not the Node name: no endpoint is ever local, so eTP Local drops everywhere. */
const spec = updateService(baseCluster(), 'shop/frontend', { externalTrafficPolicy: 'Local' });
for (const n of ['node-1', 'node-2', 'node-3']) updateNode(spec, n, { kubeProxy: { hostnameOverride: `${n}.shop-prod.internal` } });

export default {
  about: "kube-proxy's node name is the FQDN, not the Node name: with eTP Local even node-2 and node-3, which run the pods, drop 30080",
  spec,
  expect: { top: 'kube-proxy-node-name-mismatch', findings: ['kube-proxy-node-name-mismatch'] },
} satisfies Scenario;
