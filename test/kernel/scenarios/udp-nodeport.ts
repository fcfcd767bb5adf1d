/**
 * A UDP NodePort (eTP=Cluster) with endpoints on both nodes. UDP has no handshake: the first
 * datagram is the whole "connection" the nat table sees, and the reply comes back through conntrack.
 */
import type { Scenario } from '../lab/scenario.js';
import { clusterService, kubeRules } from './kube.js';

const dns = clusterService({
  svc: 'default/dns:dns',
  tag: 'UDPDNS',
  proto: 'udp',
  nodePort: 30053,
  endpoints: [
    { ip: '10.244.0.5', port: 8053 },
    { ip: '10.244.1.5', port: 8053 },
  ],
});

export const udpNodePort: Scenario = {
  name: 'udp-nodeport',
  about: 'UDP NodePort across two nodes: both pods answer, masqueraded',
  nodes: [{ rules: { nft: kubeRules({ natChains: dns.chains, nat: dns.nat }) } }, { rules: { nft: kubeRules({ noTrace: true }) } }],
  pods: [
    { name: 'a1', node: 0, ip: '10.244.0.5', ports: [8053] },
    { name: 'b1', node: 1, ip: '10.244.1.5', ports: [8053] },
  ],
  probes: [
    {
      name: 'client-to-nodeA',
      from: { kind: 'client' },
      to: { ip: '192.168.49.2', port: 30053 },
      proto: 'udp',
      node: 0,
      tries: 4,
      intended: { result: 'delivered', pods: ['a1', 'b1'], peerIp: '192.168.49.2' },
    },
  ],
};
