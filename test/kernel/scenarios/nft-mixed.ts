/**
 * A node with both kinds of nf_tables rules: kubelet's iptables rules (KUBE-FIREWALL, the
 * KUBE-KUBELET-CANARY chains, loaded with iptables-restore, i.e. iptables-nft tables `ip filter`,
 * `ip nat`, `ip mangle`) and Docker's `:FORWARD DROP`, next to kube-proxy's native
 * `table ip kube-proxy` in the v1.34 layout. kube-proxy's filter-input and filter-forward sit at
 * priority 0, the same as iptables' filter INPUT and FORWARD, so the LOAD ORDER decides which of the
 * two the kernel runs first at those hooks (the hook registered last runs first). Both orders:
 *
 *   mixed-iptables-first  kubelet/Docker loaded first, kube-proxy's table after: kube-proxy's
 *                         filter chains run before iptables' at input and forward;
 *   mixed-nftables-first  kube-proxy's table first, kubelet/Docker after: iptables' run first.
 *
 * Probes (verdicts are the same in both orders; the rule path shows the order):
 *   - pod NodePort: DNATed by kube-proxy, then Docker's FORWARD policy DROP → timeout (nothing in
 *     kube-proxy's nftables mode accepts forwarded traffic the way KUBE-FORWARD did);
 *   - eTP=Local NodePort without a local endpoint: @no-endpoint-nodeports drop in filter-input;
 *     with iptables first, KUBE-FIREWALL and the INPUT policy run before it;
 *   - host-network NodePort (hostA on 9090): both INPUT chains accept, delivered, not masqueraded.
 */
import type { Scenario } from '../lab/scenario.js';
import { kubeProxyNft, type NftServicePort } from './nft-rules.js';

const A = '192.168.49.2';
const CLIENT = '203.0.113.7';

/** kubelet (≥ 1.25: only KUBE-FIREWALL's localnet rule and the canaries) plus Docker's filter chains. */
const KUBELET_AND_DOCKER = [
  '*mangle',
  ':PREROUTING ACCEPT [0:0]',
  ':INPUT ACCEPT [0:0]',
  ':FORWARD ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  ':POSTROUTING ACCEPT [0:0]',
  ':KUBE-IPTABLES-HINT - [0:0]',
  ':KUBE-KUBELET-CANARY - [0:0]',
  'COMMIT',
  '*nat',
  ':PREROUTING ACCEPT [0:0]',
  ':INPUT ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  ':POSTROUTING ACCEPT [0:0]',
  ':KUBE-KUBELET-CANARY - [0:0]',
  'COMMIT',
  '*filter',
  ':INPUT ACCEPT [0:0]',
  ':FORWARD DROP [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  ':DOCKER-USER - [0:0]',
  ':KUBE-FIREWALL - [0:0]',
  ':KUBE-KUBELET-CANARY - [0:0]',
  '-A INPUT -j KUBE-FIREWALL',
  '-A FORWARD -j DOCKER-USER',
  '-A OUTPUT -j KUBE-FIREWALL',
  '-A DOCKER-USER -j RETURN',
  '-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
  'COMMIT',
  '',
].join('\n');

const services: NftServicePort[] = [
  {
    namespace: 'shop',
    name: 'frontend',
    portName: 'http',
    proto: 'tcp',
    clusterIp: '10.96.0.10',
    port: 80,
    nodePort: 30080,
    endpoints: [{ ip: '10.244.0.5', port: 8080, local: true }],
  },
  {
    namespace: 'shop',
    name: 'checkout',
    portName: 'http',
    proto: 'tcp',
    clusterIp: '10.96.0.11',
    port: 80,
    nodePort: 30081,
    externalTrafficPolicy: 'Local',
    // The endpoint is on another node: none here.
    endpoints: [{ ip: '10.244.1.5', port: 8080, local: false }],
  },
  {
    namespace: 'monitoring',
    name: 'node-exporter',
    portName: 'metrics',
    proto: 'tcp',
    clusterIp: '10.96.0.40',
    port: 9090,
    nodePort: 30082,
    endpoints: [{ ip: A, port: 9090, local: true }],
  },
];

function mixed(name: string, order: 'iptables-first' | 'nftables-first'): Scenario {
  return {
    name,
    about: `iptables-nft (kubelet, Docker FORWARD DROP) + kube-proxy nft v1.34 at equal priorities, ${order}`,
    nodes: [
      {
        hostServers: [{ name: 'hostA', ports: [9090] }],
        rules: { nft: KUBELET_AND_DOCKER, nftables: kubeProxyNft({ layout: 'v1.34', services }) },
        loadOrder: order === 'iptables-first' ? ['nft', 'nftables'] : ['nftables', 'nft'],
      },
    ],
    pods: [{ name: 'a1', node: 0, ip: '10.244.0.5', ports: [8080] }],
    probes: [
      {
        name: 'nodeport-to-pod',
        from: { kind: 'client' },
        to: { ip: A, port: 30080 },
        proto: 'tcp',
        node: 0,
        intended: { result: 'timeout' },
      },
      {
        name: 'etp-local-without-endpoint',
        from: { kind: 'client' },
        to: { ip: A, port: 30081 },
        proto: 'tcp',
        node: 0,
        intended: { result: 'timeout' },
      },
      {
        name: 'nodeport-to-hostnet',
        from: { kind: 'client' },
        to: { ip: A, port: 30082 },
        proto: 'tcp',
        node: 0,
        intended: { result: 'delivered', pods: ['hostA'], peerIp: CLIENT },
      },
    ],
  };
}

export const nftMixedIptablesFirst = mixed('nft-mixed-iptables-first', 'iptables-first');
export const nftMixedNftablesFirst = mixed('nft-mixed-nftables-first', 'nftables-first');
