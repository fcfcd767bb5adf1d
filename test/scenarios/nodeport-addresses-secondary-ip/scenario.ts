import { baseCluster, updateNode } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** nodePortAddresses 192.168.1.0/25 serves the nodes' primary addresses but not node-1's keepalived VIP 192.168.1.201. */
const spec = baseCluster();
spec.kubeProxy.nodePortAddresses = ['192.168.1.0/25'];
updateNode(spec, 'node-1', { extraAddresses: [{ iface: 'eth0', ip: '192.168.1.201', prefix: 24 }] });

export default {
  about: "the client dials node-1's VIP 192.168.1.201, which nodePortAddresses (192.168.1.0/25) leaves out: 30080 is not translated there",
  spec,
  ask: { nodeIp: '192.168.1.201' },
  expect: { top: 'nodeport-addresses-excluded', findings: ['nodeport-addresses-excluded'] },
} satisfies Scenario;
