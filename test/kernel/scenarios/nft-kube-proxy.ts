/**
 * kube-proxy in nftables mode (reference kube-proxy-dataplane.md §3), each case in both base-chain
 * layouts: ≤ v1.33 (every filter chain at -110, before DNAT) and v1.34+ (filter-input/-forward/
 * -output at 0, after DNAT; only the firewall check stays before DNAT). Nodes carry only
 * `table ip kube-proxy` (plus the lab's trace table, which no dump shows). Rules: nft-rules.ts.
 *
 *   etp-cluster      two endpoints (a1 on node A, b1 on node B) behind `numgen random mod 2 vmap`:
 *                    an outside client reaches both through node A, masqueraded (mark-for-masquerade
 *                    in external-…, masquerading in nat-postrouting); a node process too (nat-output);
 *                    pod a1 → ClusterIP (service-ips) keeps its source unless it lands on itself.
 *   etp-local        node A has a local endpoint: only a1, the client's address kept (goto local-…);
 *                    node B has none: external-… falls through, @no-endpoint-nodeports drops
 *                    (timeout); a pod on B short-circuits to service-… (source kept); a process on B
 *                    is `fib saddr type local`: masqueraded, then short-circuited.
 *   no-endpoints     @no-endpoint-nodeports / @no-endpoint-services → goto reject-chain: refused
 *                    for TCP (RST) and UDP (port unreachable), and for a pod calling the ClusterIP.
 *   nodeport-ips     --nodeport-addresses = 192.168.49.2: the node's other address .102 is not in
 *                    @nodeport-ips, so nothing translates it: refused by the node's stack.
 *   udp              a UDP NodePort with endpoints on both nodes, masqueraded.
 */
import type { Probe, Scenario } from '../lab/scenario.js';
import { kubeProxyNft, type KubeProxyLayout, type NftServicePort } from './nft-rules.js';

const A = '192.168.49.2';
const B = '192.168.49.3';
const CLIENT = '203.0.113.7';

/** The same service port as node `k` sees it: endpoints on node k are local. */
function onNode(s: NftServicePort, k: number): NftServicePort {
  return { ...s, endpoints: s.endpoints.map((e) => ({ ...e, local: e.ip.startsWith(`10.244.${k}.`) })) };
}

const nodeRules = (layout: KubeProxyLayout, services: NftServicePort[], k: number, extra: { nodePortIps?: string[] } = {}) => ({
  rules: { nftables: kubeProxyNft({ layout, services: services.map((s) => onNode(s, k)), ...extra }) },
});

const slug = (layout: KubeProxyLayout) => (layout === 'v1.33' ? 'v133' : 'v134');

// ---------------------------------------------------------------------------------------------

const frontend: NftServicePort = {
  namespace: 'shop',
  name: 'frontend',
  portName: 'http',
  proto: 'tcp',
  clusterIp: '10.96.0.10',
  port: 80,
  nodePort: 30080,
  endpoints: [
    { ip: '10.244.0.5', port: 8080, local: false },
    { ip: '10.244.1.5', port: 8080, local: false },
  ],
};

export function nftEtpCluster(layout: KubeProxyLayout): Scenario {
  return {
    name: `nft-${slug(layout)}-etp-cluster`,
    about: `kube-proxy nft ${layout}: eTP=Cluster, numgen over two nodes' pods, masqueraded; node process; pod → ClusterIP`,
    nodes: [nodeRules(layout, [frontend], 0), nodeRules(layout, [frontend], 1)],
    pods: [
      { name: 'a1', node: 0, ip: '10.244.0.5', ports: [8080] },
      { name: 'b1', node: 1, ip: '10.244.1.5', ports: [8080] },
    ],
    probes: [
      {
        name: 'client-to-nodeA',
        from: { kind: 'client' },
        to: { ip: A, port: 30080 },
        proto: 'tcp',
        node: 0,
        intended: { result: 'delivered', pods: ['a1', 'b1'], peerIp: A },
      },
      {
        name: 'nodeA-process-to-own-nodeport',
        from: { kind: 'node', node: 0, srcIp: A },
        to: { ip: A, port: 30080 },
        proto: 'tcp',
        node: 0,
        intended: { result: 'delivered', pods: ['a1', 'b1'], peerIp: A },
      },
      {
        name: 'pod-a1-to-clusterip',
        from: { kind: 'pod', pod: 'a1' },
        to: { ip: '10.96.0.10', port: 80 },
        proto: 'tcp',
        node: 0,
        // b1 sees a1's own address; a1 reached through itself is hairpin-masqueraded to the node.
        intended: { result: 'delivered', pods: ['a1', 'b1'] },
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------

const localSvc: NftServicePort = {
  namespace: 'shop',
  name: 'checkout',
  portName: 'http',
  proto: 'tcp',
  clusterIp: '10.96.0.11',
  port: 80,
  nodePort: 30081,
  externalTrafficPolicy: 'Local',
  endpoints: [{ ip: '10.244.0.5', port: 8080, local: false }],
};

export function nftEtpLocal(layout: KubeProxyLayout): Scenario {
  return {
    name: `nft-${slug(layout)}-etp-local`,
    about: `kube-proxy nft ${layout}: eTP=Local: local endpoint keeps the client address; none → @no-endpoint-nodeports drop`,
    nodes: [nodeRules(layout, [localSvc], 0), nodeRules(layout, [localSvc], 1)],
    pods: [
      { name: 'a1', node: 0, ip: '10.244.0.5', ports: [8080] },
      // Not an endpoint: a client pod on node B.
      { name: 'b2', node: 1, ip: '10.244.1.6', ports: [8080] },
    ],
    probes: [
      {
        name: 'client-to-node-with-local-endpoint',
        from: { kind: 'client' },
        to: { ip: A, port: 30081 },
        proto: 'tcp',
        node: 0,
        tries: 3,
        intended: { result: 'delivered', pods: ['a1'], peerIp: CLIENT },
      },
      {
        name: 'client-to-node-without-local-endpoint',
        from: { kind: 'client' },
        to: { ip: B, port: 30081 },
        proto: 'tcp',
        node: 1,
        intended: { result: 'timeout' },
      },
      {
        name: 'pod-on-nodeB-short-circuit',
        from: { kind: 'pod', pod: 'b2' },
        to: { ip: B, port: 30081 },
        proto: 'tcp',
        node: 1,
        intended: { result: 'delivered', pods: ['a1'], peerIp: '10.244.1.6' },
      },
      {
        name: 'nodeB-process-masquerade-local-traffic',
        from: { kind: 'node', node: 1, srcIp: B },
        to: { ip: B, port: 30081 },
        proto: 'tcp',
        node: 1,
        intended: { result: 'delivered', pods: ['a1'], peerIp: B },
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------

const emptyHttp: NftServicePort = {
  namespace: 'shop',
  name: 'cart',
  portName: 'http',
  proto: 'tcp',
  clusterIp: '10.96.0.20',
  port: 80,
  nodePort: 30090,
  endpoints: [],
};
const emptyDns: NftServicePort = {
  namespace: 'shop',
  name: 'resolver',
  portName: 'dns',
  proto: 'udp',
  clusterIp: '10.96.0.21',
  port: 53,
  nodePort: 30091,
  endpoints: [],
};

export function nftNoEndpoints(layout: KubeProxyLayout): Scenario {
  const probe = (name: string, to: { ip: string; port: number }, proto: Probe['proto'], from: Probe['from']): Probe => ({
    name,
    from,
    to,
    proto,
    node: 0,
    intended: { result: 'refused' },
  });
  return {
    name: `nft-${slug(layout)}-no-endpoints`,
    about: `kube-proxy nft ${layout}: no endpoints → goto reject-chain (NodePort TCP/UDP, ClusterIP from a pod)`,
    nodes: [nodeRules(layout, [emptyHttp, emptyDns], 0)],
    pods: [{ name: 'a1', node: 0, ip: '10.244.0.5', ports: [8080] }],
    probes: [
      probe('client-tcp-nodeport', { ip: A, port: 30090 }, 'tcp', { kind: 'client' }),
      probe('client-udp-nodeport', { ip: A, port: 30091 }, 'udp', { kind: 'client' }),
      probe('pod-to-clusterip', { ip: '10.96.0.20', port: 80 }, 'tcp', { kind: 'pod', pod: 'a1' }),
    ],
  };
}

// ---------------------------------------------------------------------------------------------

const npAddr: NftServicePort = {
  namespace: 'shop',
  name: 'search',
  portName: 'http',
  proto: 'tcp',
  clusterIp: '10.96.0.30',
  port: 80,
  nodePort: 30084,
  endpoints: [{ ip: '10.244.0.5', port: 8080, local: true }],
};

export function nftNodePortIps(layout: KubeProxyLayout): Scenario {
  return {
    name: `nft-${slug(layout)}-nodeport-ips`,
    about: `kube-proxy nft ${layout}: @nodeport-ips = {192.168.49.2}; the node's .102 is not translated → refused`,
    nodes: [{ extraIps: ['192.168.49.102'], ...nodeRules(layout, [npAddr], 0, { nodePortIps: [A] }) }],
    pods: [{ name: 'a1', node: 0, ip: '10.244.0.5', ports: [8080] }],
    probes: [
      {
        name: 'listed-address',
        from: { kind: 'client' },
        to: { ip: A, port: 30084 },
        proto: 'tcp',
        node: 0,
        intended: { result: 'delivered', pods: ['a1'], peerIp: A },
      },
      {
        name: 'unlisted-address',
        from: { kind: 'client' },
        to: { ip: '192.168.49.102', port: 30084 },
        proto: 'tcp',
        node: 0,
        // Not DNATed → delivered locally → nothing listens on 30084 → RST.
        intended: { result: 'refused' },
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------

const dns: NftServicePort = {
  namespace: 'kube-system',
  name: 'dns-external',
  portName: 'dns',
  proto: 'udp',
  clusterIp: '10.96.0.53',
  port: 53,
  nodePort: 30053,
  endpoints: [
    { ip: '10.244.0.5', port: 8053, local: false },
    { ip: '10.244.1.5', port: 8053, local: false },
  ],
};

export function nftUdp(layout: KubeProxyLayout): Scenario {
  return {
    name: `nft-${slug(layout)}-udp`,
    about: `kube-proxy nft ${layout}: UDP NodePort, numgen over two nodes' pods, masqueraded`,
    nodes: [nodeRules(layout, [dns], 0), nodeRules(layout, [dns], 1)],
    pods: [
      { name: 'a1', node: 0, ip: '10.244.0.5', ports: [8053] },
      { name: 'b1', node: 1, ip: '10.244.1.5', ports: [8053] },
    ],
    probes: [
      {
        name: 'client-to-nodeA',
        from: { kind: 'client' },
        to: { ip: A, port: 30053 },
        proto: 'udp',
        node: 0,
        tries: 4,
        intended: { result: 'delivered', pods: ['a1', 'b1'], peerIp: A },
      },
    ],
  };
}

export const nftKubeProxyScenarios: Scenario[] = (['v1.33', 'v1.34'] as const).flatMap((l) => [
  nftEtpCluster(l),
  nftEtpLocal(l),
  nftNoEndpoints(l),
  nftNodePortIps(l),
  nftUdp(l),
]);
