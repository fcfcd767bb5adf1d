/**
 * The lab's address plan, in one place so scenarios, topology and README agree.
 *
 *   client            203.0.113.7/24           fd00:113::7/64     on the LAN bridge, no router:
 *                                                                  nodes and client reach each other on-link
 *   node k (0-based)  192.168.49.(2+k)/24      fd00:49::(2+k)/64  LAN interface eth0
 *   pods on node k    10.244.k.N/32            fd00:244:k::N/128  Calico-style routed veths
 *   pod gateway       169.254.1.1 (proxy ARP)  fe80::1 (on the node's veth)
 *   node default route: via 192.168.49.1 (nothing answers there; proxy ARP needs a default route)
 */

export const CLIENT_IP = '203.0.113.7';
export const CLIENT_IP6 = 'fd00:113::7';
export const CLIENT_NET = '203.0.113.0/24';
export const CLIENT_NET6 = 'fd00:113::/64';
export const LAN_NET = '192.168.49.0/24';
export const LAN_NET6 = 'fd00:49::/64';
export const LAN_GW = '192.168.49.1';
export const POD_GW = '169.254.1.1';
export const POD_GW6 = 'fe80::1';

export const nodeIp = (k: number): string => `192.168.49.${2 + k}`;
export const nodeIp6 = (k: number): string => `fd00:49::${2 + k}`;
export const podNet = (k: number): string => `10.244.${k}.0/24`;
export const podNet6 = (k: number): string => `fd00:244:${k}::/64`;

/** The node-side veth of a pod (Calico names them cali<hash>; ours carry the pod name). */
export const hostVeth = (pod: string): string => `cali${pod}`.slice(0, 15);

/**
 * The LAN's IPv4 plan: the subnet, the default gateway nobody answers for, node k's address. The
 * kernel lab uses LAN; a lab that puts a leg into the machine's own namespace takes a /24 of its own
 * (test/support/k8s-lab/lan.ts), since two labs routing the same subnet there would collide.
 */
export interface LanPlan {
  net: string;
  gw: string;
  nodeIp: (k: number) => string;
}

export const LAN: LanPlan = { net: LAN_NET, gw: LAN_GW, nodeIp };
