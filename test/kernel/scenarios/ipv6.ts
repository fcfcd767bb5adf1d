/**
 * IPv6 and dual-stack NodePorts. kube-proxy runs one proxier per family (metaproxier): the IPv4 one
 * writes iptables / `table ip kube-proxy`, the IPv6 one ip6tables / `table ip6 kube-proxy`, each
 * only for the Services with a ClusterIP of its family. So a SingleStack Service has no NodePort
 * in the other family, and one family can break while the other answers.
 *
 *   ipv6-only-nodeport          a SingleStack IPv6 Service (iptables mode), endpoints on both
 *                               nodes: IPv6 is delivered to both, masqueraded to node A's IPv6
 *                               address; IPv4 has no such NodePort: refused by the node's stack.
 *   nft-dual-stack              kube-proxy nftables (v1.34) with `table ip kube-proxy` and
 *                               `table ip6 kube-proxy`, nodePortAddresses per family (@nodeport-ips
 *                               of ipv4_addr and of ipv6_addr): both families delivered.
 *   dual-stack-ipv6-forwarding-off
 *                               net.ipv6.conf.all.forwarding=0 on node A, the pod on node B: IPv4
 *                               is forwarded; IPv6 is DNATed, then dropped without a word (timeout).
 *   dual-stack-ipv6-forward-drop
 *                               ip6tables FORWARD policy DROP and no KUBE-FORWARD mark accept in
 *                               ip6tables: IPv6 times out, IPv4 is delivered.
 *   dual-stack-ipv4-forward-drop
 *                               the mirror image in iptables; and a SingleStack IPv4 Service, whose
 *                               NodePort the IPv6 proxier never wrote: refused over IPv6.
 */
import type { PodSpec, Probe, Scenario } from '../lab/scenario.js';
import { clusterService, kubeRules } from './kube.js';
import { kubeProxyNft, type NftServicePort } from './nft-rules.js';

const A = '192.168.49.2';
const A6 = 'fd00:49::2';

const a1: PodSpec = { name: 'a1', node: 0, ip: '10.244.0.5', ip6: 'fd00:244::5', ports: [8080] };
const b1: PodSpec = { name: 'b1', node: 1, ip: '10.244.1.5', ip6: 'fd00:244:1::5', ports: [8080] };

const probe = (name: string, to: string, port: number, intended: Probe['intended']): Probe =>
  ({ name, from: { kind: 'client' }, to: { ip: to, port }, proto: 'tcp', node: 0, intended });

// ---------------------------------------------------------------------------------------------

const v6only = clusterService({
  svc: 'default/v6only:http', tag: 'VSIX', proto: 'tcp', nodePort: 30092,
  endpoints: [{ ip: 'fd00:244::5', port: 8080 }, { ip: 'fd00:244:1::5', port: 8080 }],
});

/** The IPv4 proxier skips the Service: its iptables hold only the fixed rules. */
const v6onlyNode = (trace: boolean) => ({
  rules: {
    nft: kubeRules({ noTrace: !trace }),
    nft6: kubeRules({ natChains: v6only.chains, nat: v6only.nat, family: 6, noTrace: !trace }),
  },
});

export const ipv6OnlyNodePort: Scenario = {
  name: 'ipv6-only-nodeport',
  about: 'SingleStack IPv6 Service in ip6tables: IPv6 reaches pods on both nodes, masqueraded; no IPv4 NodePort (refused)',
  ipv6: true,
  nodes: [v6onlyNode(true), v6onlyNode(false)],
  pods: [a1, b1],
  probes: [
    probe('ipv6-client-to-nodeA', A6, 30092, { result: 'delivered', pods: ['a1', 'b1'], peerIp: A6 }),
    probe('ipv4-client-to-nodeA', A, 30092, { result: 'refused' }),
  ],
};

// ---------------------------------------------------------------------------------------------

const dsPort = (clusterIp: string, ip: string): NftServicePort => ({
  namespace: 'shop', name: 'web', portName: 'http', proto: 'tcp', clusterIp, port: 80, nodePort: 30093,
  endpoints: [{ ip, port: 8080, local: true }],
});

export const nftDualStack: Scenario = {
  name: 'nft-dual-stack',
  about: 'kube-proxy nft v1.34 in both families (table ip and table ip6 kube-proxy, @nodeport-ips each): both delivered, masqueraded',
  ipv6: true,
  nodes: [{
    rules: {
      nftables: [
        kubeProxyNft({ layout: 'v1.34', services: [dsPort('10.96.0.20', a1.ip)], nodePortIps: [A] }),
        kubeProxyNft({ layout: 'v1.34', family: 'ip6', services: [dsPort('fd00:96::20', a1.ip6!)], nodePortIps: [A6] }),
      ].join(''),
    },
  }],
  pods: [a1],
  probes: [
    probe('ipv6-client', A6, 30093, { result: 'delivered', pods: ['a1'], peerIp: A6 }),
    probe('ipv4-client', A, 30093, { result: 'delivered', pods: ['a1'], peerIp: A }),
  ],
};

// ---------------------------------------------------------------------------------------------

const ds4 = clusterService({ svc: 'shop/ds:http', tag: 'DSFOUR', proto: 'tcp', nodePort: 30094, endpoints: [{ ip: b1.ip, port: 8080 }] });
const ds6 = clusterService({ svc: 'shop/ds:http', tag: 'DSSIX', proto: 'tcp', nodePort: 30094, endpoints: [{ ip: b1.ip6!, port: 8080 }] });

/** Node A's rules for the dual-stack Service (its pod runs on node B); `v4` / `v6` tweak one family. */
function dualStackNode(o: { v4?: Parameters<typeof kubeRules>[0]; v6?: Parameters<typeof kubeRules>[0]; ipv6Forwarding?: boolean; extraV4?: ReturnType<typeof clusterService> } = {}) {
  return {
    ...(o.ipv6Forwarding !== undefined ? { ipv6Forwarding: o.ipv6Forwarding } : {}),
    rules: {
      nft: kubeRules({ natChains: [...ds4.chains, ...(o.extraV4?.chains ?? [])], nat: [...ds4.nat, ...(o.extraV4?.nat ?? [])], ...o.v4 }),
      nft6: kubeRules({ natChains: ds6.chains, nat: ds6.nat, family: 6, ...o.v6 }),
    },
  };
}

export const dualStackIpv6ForwardingOff: Scenario = {
  name: 'dual-stack-ipv6-forwarding-off',
  about: 'net.ipv6.conf.all.forwarding=0 on node A, pod on node B: IPv4 forwarded; IPv6 DNATed then dropped (timeout)',
  ipv6: true,
  nodes: [dualStackNode({ ipv6Forwarding: false }), {}],
  pods: [b1],
  probes: [
    probe('ipv4-client', A, 30094, { result: 'delivered', pods: ['b1'], peerIp: A }),
    probe('ipv6-client', A6, 30094, { result: 'timeout' }),
  ],
};

export const dualStackIpv6ForwardDrop: Scenario = {
  name: 'dual-stack-ipv6-forward-drop',
  about: 'ip6tables FORWARD policy DROP without the KUBE-FORWARD mark accept: IPv6 times out, IPv4 delivered',
  ipv6: true,
  nodes: [dualStackNode({ v6: { forwardPolicy: 'DROP', forwardMarkAccept: false } }), {}],
  pods: [b1],
  probes: [
    probe('ipv4-client', A, 30094, { result: 'delivered', pods: ['b1'], peerIp: A }),
    probe('ipv6-client', A6, 30094, { result: 'timeout' }),
  ],
};

const v4only = clusterService({ svc: 'shop/legacy:http', tag: 'LEGACY', proto: 'tcp', nodePort: 30095, endpoints: [{ ip: b1.ip, port: 8080 }] });

export const dualStackIpv4ForwardDrop: Scenario = {
  name: 'dual-stack-ipv4-forward-drop',
  about: 'iptables FORWARD policy DROP without the mark accept: IPv4 times out, IPv6 delivered; a SingleStack IPv4 Service is refused over IPv6',
  ipv6: true,
  nodes: [dualStackNode({ v4: { forwardPolicy: 'DROP', forwardMarkAccept: false }, extraV4: v4only }), {}],
  pods: [b1],
  probes: [
    probe('ipv4-client', A, 30094, { result: 'timeout' }),
    probe('ipv6-client', A6, 30094, { result: 'delivered', pods: ['b1'], peerIp: A6 }),
    probe('ipv6-client-to-ipv4-only-service', A6, 30095, { result: 'refused' }),
  ],
};

export const ipv6Scenarios: Scenario[] = [ipv6OnlyNodePort, nftDualStack, dualStackIpv6ForwardingOff, dualStackIpv6ForwardDrop, dualStackIpv4ForwardDrop];
