import { baseCluster, dualStack, updateService } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** kube-proxy in iptables mode runs one proxier per family: KUBE-NODEPORTS in iptables and in ip6tables. */
const spec = updateService(dualStack(baseCluster()), 'shop/frontend', { ipFamilyPolicy: 'PreferDualStack' });

export default {
  about: 'a PreferDualStack NodePort Service, kube-proxy in iptables mode: both families answer on every node',
  spec,
  expect: { top: null, findings: [] },
} satisfies Scenario;
