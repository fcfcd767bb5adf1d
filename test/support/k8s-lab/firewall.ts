/**
 * The cloud firewall: a hop between everything outside the cluster (the machine's namespace, where
 * np-doctor runs and the apiserver listens, and the lab's client namespace) and the nodes, which can
 * drop the NodePort range inbound, as an AWS security group, a GCP VPC firewall rule, an Azure NSG
 * or a corporate firewall does.
 *
 * It is a transparent L2 hop: a bridge in a namespace of its own (`…fw`) whose uplink is a port of
 * the LAN bridge, with the host leg and the client's veth moved onto it. Every address stays as it
 * was (the apiserver on the host leg, the nodes, the client), so nothing in the machine's routing
 * changes; a routed hop would need a second subnet and routes in the machine's namespace, another
 * claim beside lan.ts's.
 *
 * Blocked, it drops TCP and UDP to 30000-32767 arriving from outside; the traffic the lab needs
 * still passes: SSH (port 22), the nodes' kube-proxy dialling the apiserver (it arrives from the
 * uplink), and the apiserver's replies, which go to the nodes' ephemeral ports (Linux's default
 * ip_local_port_range, 32768-60999, starts above the NodePort range).
 */
import { run } from '../../kernel/lab/exec.js';
import { addNamespace, veth } from '../../kernel/lab/topology.js';
import { bridgeFilter, type LabSwitch } from './bridge-filter.js';

/** Kubernetes' default --service-node-port-range. */
export const NODE_PORT_RANGE = '30000-32767';
/** The firewall bridge's ports towards the outside (the host leg from lan.ts, the client from topology.ts). */
const OUTSIDE = ['p-host', 'p-client'];

/**
 * Creates namespace `fw` with bridge br0 and an uplink into `lan`'s br0, and moves the client's LAN
 * veth (`p-client`) onto it. The host leg (lan.ts addHostLeg) is attached to `fw` by the caller.
 */
export async function addFirewallHop(lan: string, fw: string): Promise<LabSwitch> {
  const ip = (ns: string, ...args: string[]) => run('ip', ['-n', ns, ...args]);
  await addNamespace(fw);
  await ip(fw, 'link', 'add', 'br0', 'type', 'bridge');
  await ip(fw, 'link', 'set', 'br0', 'up');
  await veth(fw, 'uplink', lan, 'p-fw');
  await ip(lan, 'link', 'set', 'p-fw', 'master', 'br0', 'up');
  await ip(fw, 'link', 'set', 'uplink', 'master', 'br0', 'up');
  await ip(lan, 'link', 'set', 'p-client', 'netns', fw);
  await ip(fw, 'link', 'set', 'p-client', 'master', 'br0', 'up');
  return bridgeFilter(fw, 'npd-cloud-firewall', [
    `iifname { ${OUTSIDE.map((p) => `"${p}"`).join(', ')} } meta l4proto { tcp, udp } th dport ${NODE_PORT_RANGE} drop`,
  ]);
}
