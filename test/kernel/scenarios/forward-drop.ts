/**
 * filter FORWARD policy DROP (Docker sets it). kube-proxy's KUBE-FORWARD accepts packets carrying
 * the masquerade mark 0x4000, so a NodePort DNATed to a pod still gets through; without that rule
 * the first packet hits the DROP policy and the client times out. One node each, so nothing
 * cross-node muddies the verdict.
 */
import type { Scenario } from '../lab/scenario.js';
import { clusterService, kubeRules } from './kube.js';

const web = clusterService({ svc: 'default/fwd:http', tag: 'FWD', proto: 'tcp', nodePort: 30086, endpoints: [{ ip: '10.244.0.5', port: 8080 }] });

function scenario(markAccept: boolean): Scenario {
  return {
    name: markAccept ? 'forward-drop-mark-accept' : 'forward-drop-no-mark-accept',
    about: markAccept
      ? 'FORWARD policy DROP, KUBE-FORWARD accepts the 0x4000 mark → delivered'
      : 'FORWARD policy DROP and no KUBE-FORWARD mark accept → timeout',
    nodes: [{ rules: { nft: kubeRules({ natChains: web.chains, nat: web.nat, forwardPolicy: 'DROP', forwardMarkAccept: markAccept }) } }],
    pods: [{ name: 'a1', node: 0, ip: '10.244.0.5', ports: [8080] }],
    probes: [
      {
        name: 'client-to-nodeport',
        from: { kind: 'client' },
        to: { ip: '192.168.49.2', port: 30086 },
        proto: 'tcp',
        node: 0,
        intended: markAccept ? { result: 'delivered', pods: ['a1'], peerIp: '192.168.49.2' } : { result: 'timeout' },
      },
    ],
  };
}

export const forwardDropMarkAccept = scenario(true);
export const forwardDropNoMarkAccept = scenario(false);
