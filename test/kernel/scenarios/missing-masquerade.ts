/**
 * KUBE-POSTROUTING without its MASQUERADE rule. The only endpoint (b1) is on node B, so node A
 * DNATs and forwards with the client's own source address. b1 answers straight to the client
 * (node B routes 203.0.113.0/24 on-link), from 10.244.1.5 instead of 192.168.49.2: the client's
 * socket does not recognise the reply and the connection times out. The UDP probe shows what the
 * pod saw: the real client address (its server logs the datagram although the reply is lost).
 * For TCP the handshake never completes, so the pod's server never sees the connection at all.
 */
import type { Scenario } from '../lab/scenario.js';
import { clusterService, kubeRules } from './kube.js';

const tcp = clusterService({ svc: 'default/nomasq:http', tag: 'NOMASQT', proto: 'tcp', nodePort: 30087, endpoints: [{ ip: '10.244.1.5', port: 8080 }] });
const udp = clusterService({ svc: 'default/nomasq:dns', tag: 'NOMASQU', proto: 'udp', nodePort: 30087, endpoints: [{ ip: '10.244.1.5', port: 8080 }] });

export const missingMasquerade: Scenario = {
  name: 'missing-masquerade',
  about: 'no MASQUERADE in KUBE-POSTROUTING: cross-node pod answers the client directly → reply lost → timeout',
  nodes: [
    { rules: { nft: kubeRules({ natChains: [...tcp.chains, ...udp.chains], nat: [...tcp.nat, ...udp.nat], masquerade: false }) } },
    { rules: { nft: kubeRules({ noTrace: true }) } },
  ],
  pods: [{ name: 'b1', node: 1, ip: '10.244.1.5', ports: [8080] }],
  probes: [
    {
      name: 'tcp',
      from: { kind: 'client' },
      to: { ip: '192.168.49.2', port: 30087 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'timeout' },
    },
    {
      name: 'udp',
      from: { kind: 'client' },
      to: { ip: '192.168.49.2', port: 30087 },
      proto: 'udp',
      node: 0,
      intended: { result: 'timeout', podSaw: { pod: 'b1', peerIp: '203.0.113.7' } },
    },
  ],
};
