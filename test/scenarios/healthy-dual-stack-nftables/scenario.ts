import { baseCluster, dualStack, updateService } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** kube-proxy in nftables mode (v1.34 layout, nodePortAddresses unset = primary of each family): `table ip kube-proxy` and `table ip6 kube-proxy`. */
const spec = updateService(dualStack(baseCluster({ kubernetesVersion: 'v1.34.1' })), 'shop/frontend', { ipFamilyPolicy: 'RequireDualStack' });
spec.kubeProxy.mode = 'nftables';

export default {
  about: 'a RequireDualStack NodePort Service, kube-proxy in nftables mode: both families answer on every node',
  spec,
  expect: { top: null, findings: [] },
} satisfies Scenario;
