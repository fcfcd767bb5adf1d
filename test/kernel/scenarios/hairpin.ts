/**
 * Hairpin: pod a1 calls its own node's NodePort and the only endpoint is a1 itself. KUBE-SEP's
 * `-s 10.244.0.5 -j KUBE-MARK-MASQ` (and KUBE-EXT's mark) make the node masquerade, so a1 sees the
 * node's address instead of its own (without SNAT a1 would answer itself directly and drop it).
 */
import type { Scenario } from '../lab/scenario.js';
import { clusterService, kubeRules } from './kube.js';

const web = clusterService({ svc: 'default/hairpin:http', tag: 'HAIRPIN', proto: 'tcp', nodePort: 30088, endpoints: [{ ip: '10.244.0.5', port: 8080 }] });

export const hairpin: Scenario = {
  name: 'hairpin',
  about: 'pod → own node NodePort → itself: KUBE-SEP hairpin mark, masqueraded to the node',
  nodes: [{ rules: { nft: kubeRules({ natChains: web.chains, nat: web.nat }) } }],
  pods: [{ name: 'a1', node: 0, ip: '10.244.0.5', ports: [8080] }],
  probes: [
    {
      name: 'a1-to-own-node',
      from: { kind: 'pod', pod: 'a1' },
      to: { ip: '192.168.49.2', port: 30088 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'delivered', pods: ['a1'], peerIp: '192.168.49.2' },
    },
  ],
};
