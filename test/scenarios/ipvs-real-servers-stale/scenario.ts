import { baseCluster, updateNode } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** IPVS mode, node-1's kube-proxy stopped syncing: its virtual service still lists a deleted pod (10.244.1.9) and lacks its replacement. */
const spec = baseCluster();
spec.kubeProxy.mode = 'ipvs';
updateNode(spec, 'node-1', { kubeProxy: { staleEndpoints: { 'shop/frontend': [{ ip: '10.244.1.9', node: 'node-2' }, { ip: '10.244.2.2', node: 'node-3' }] } } });

export default {
  about: "IPVS mode: node-1's virtual service for 30080 still sends to 10.244.1.9, a deleted pod, and lacks its replacement",
  spec,
  expect: { top: 'ipvs-real-servers-out-of-sync', findings: ['ipvs-real-servers-out-of-sync'] },
} satisfies Scenario;
