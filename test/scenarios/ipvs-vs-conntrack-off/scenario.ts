import { baseCluster, updateNode } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** IPVS mode with net.ipv4.vs.conntrack reset to 0 on node-1: IPVS traffic skips conntrack, nothing masquerades it. */
const spec = baseCluster();
spec.kubeProxy.mode = 'ipvs';
updateNode(spec, 'node-1', { sysctls: { ipvsConntrack: false } });

export default {
  about: 'IPVS mode, net.ipv4.vs.conntrack=0 on node-1: 30080 reaches pods on other nodes unmasqueraded and the replies bypass node-1',
  spec,
  expect: { top: 'ipvs-nodeport-masquerade-missing', findings: ['ipvs-nodeport-masquerade-missing'] },
} satisfies Scenario;
