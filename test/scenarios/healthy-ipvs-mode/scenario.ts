import { baseCluster } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** kube-proxy in IPVS mode: a virtual service per node address and NodePort, masqueraded through KUBE-NODE-PORT. */
const spec = baseCluster();
spec.kubeProxy.mode = 'ipvs';

export default {
  about: 'kube-proxy in IPVS mode, eTP Cluster: IPVS sends 30080 to the frontend pods, KUBE-POSTROUTING masquerades it',
  spec,
  expect: { top: null, findings: [] },
} satisfies Scenario;
