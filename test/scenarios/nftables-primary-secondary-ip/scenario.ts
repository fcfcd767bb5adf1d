import { baseCluster, updateNode } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/**
 * nodeport-addresses-secondary-ip in nftables mode, with nodePortAddresses left unset: in nftables
 * mode that means "primary", so node-1's VIP is not in nodeport-ips (iptables mode served it).
 */
const spec = baseCluster();
spec.kubeProxy.mode = 'nftables';
updateNode(spec, 'node-1', { extraAddresses: [{ iface: 'eth0', ip: '192.168.1.201', prefix: 24 }] });

export default {
  about: "nftables mode, nodePortAddresses unset (= primary): the client dials node-1's VIP 192.168.1.201, which is not in nodeport-ips",
  spec,
  ask: { nodeIp: '192.168.1.201' },
  expect: { top: 'nodeport-addresses-excluded', findings: ['nodeport-addresses-excluded'] },
} satisfies Scenario;
