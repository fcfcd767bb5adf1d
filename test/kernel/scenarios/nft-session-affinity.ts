/**
 * sessionAffinity: ClientIP in kube-proxy's nftables mode (proxier.go: an `affinity-…` set per
 * endpoint, `ip saddr @affinity-E goto endpoint-E` before the numgen split, `update @affinity-E
 * { ip saddr }` in the endpoint chain), in both base-chain layouts. The dump is saved before any
 * connection, so the sets are empty in it: the first try is a new client (the numgen split), every
 * later try the same client back (the affinity lookup of the pod it got first).
 */
import type { Scenario } from '../lab/scenario.js';
import { kubeProxyNft, type KubeProxyLayout, type NftServicePort } from './nft-rules.js';

const sticky: NftServicePort = {
  namespace: 'shop',
  name: 'sticky',
  portName: 'http',
  proto: 'tcp',
  clusterIp: '10.96.0.20',
  port: 80,
  nodePort: 30090,
  affinitySeconds: 10800,
  endpoints: [
    { ip: '10.244.0.5', port: 8080, local: true },
    { ip: '10.244.1.5', port: 8080, local: false },
  ],
};

export function nftSessionAffinity(layout: KubeProxyLayout): Scenario {
  return {
    name: `nft-${layout === 'v1.33' ? 'v133' : 'v134'}-session-affinity`,
    about: `kube-proxy nft ${layout}: ClientIP affinity, every try from one client reaches the pod its first try got`,
    nodes: [
      { rules: { nftables: kubeProxyNft({ layout, services: [sticky] }) } },
      { rules: { nftables: kubeProxyNft({ layout, services: [{ ...sticky, endpoints: sticky.endpoints.map((e) => ({ ...e, local: !e.local })) }] }) } },
    ],
    pods: [
      { name: 'a1', node: 0, ip: '10.244.0.5', ports: [8080] },
      { name: 'b1', node: 1, ip: '10.244.1.5', ports: [8080] },
    ],
    probes: [
      {
        name: 'client-six-times',
        from: { kind: 'client' },
        to: { ip: '192.168.49.2', port: 30090 },
        proto: 'tcp',
        node: 0,
        tries: 6,
        intended: { result: 'delivered', sticky: true, peerIp: '192.168.49.2' },
      },
    ],
  };
}
