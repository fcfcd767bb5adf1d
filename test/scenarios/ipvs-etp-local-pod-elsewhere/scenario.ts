import { baseCluster, updateService } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/**
 * eTP Local in IPVS mode on a routed (Calico-style) network: node-1 has no frontend pod, IPVS falls
 * back to all endpoints without masquerade. (With flannel, its own MASQUERADE of traffic into the pod
 * network would hide this, at the cost of the client address.)
 */
const spec = updateService(baseCluster({ cni: 'calico' }), 'shop/frontend', { externalTrafficPolicy: 'Local' });
spec.kubeProxy.mode = 'ipvs';

export default {
  about: 'IPVS mode, externalTrafficPolicy Local: node-1 forwards 30080 to node-2/3 pods unmasqueraded, the replies bypass node-1',
  spec,
  expect: { top: 'ipvs-etp-local-fallback', findings: ['ipvs-etp-local-fallback'] },
} satisfies Scenario;
