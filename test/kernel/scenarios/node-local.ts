/**
 * Connections made by a process on the node itself (the OUTPUT path, reference §5.2 "source local
 * host"): nat OUTPUT → KUBE-SERVICES does the DNAT, the packet is re-routed, then filter OUTPUT and
 * nat POSTROUTING.
 *   - node-self-nodeport: the node calls its own NodePort from its LAN address; both endpoints
 *     (local a1, remote b1) answer, masqueraded (KUBE-EXT marks everything for eTP=Cluster).
 *   - localhost-nodeport-*: 127.0.0.1:NodePort with the tail rule that admits 127.0.0.0/8
 *     (localhostNodePorts=true shape). The DNAT happens either way; with route_localnet=0 the
 *     kernel refuses to route a 127.0.0.1-sourced packet out of calia1 after the DNAT and drops it
 *     (timeout); with route_localnet=1 it goes out and MASQUERADE rewrites the source.
 */
import type { Scenario } from '../lab/scenario.js';
import { clusterService, kubeRules } from './kube.js';

const both = clusterService({
  svc: 'default/self:http',
  tag: 'SELF',
  proto: 'tcp',
  nodePort: 30089,
  endpoints: [
    { ip: '10.244.0.5', port: 8080 },
    { ip: '10.244.1.5', port: 8080 },
  ],
});

export const nodeSelfNodePort: Scenario = {
  name: 'node-self-nodeport',
  about: 'node process → own NodePort (OUTPUT path): both pods, masqueraded',
  nodes: [{ rules: { nft: kubeRules({ natChains: both.chains, nat: both.nat }) } }, { rules: { nft: kubeRules({ noTrace: true }) } }],
  pods: [
    { name: 'a1', node: 0, ip: '10.244.0.5', ports: [8080] },
    { name: 'b1', node: 1, ip: '10.244.1.5', ports: [8080] },
  ],
  probes: [
    {
      name: 'nodeA-to-own-ip',
      from: { kind: 'node', node: 0, srcIp: '192.168.49.2' },
      to: { ip: '192.168.49.2', port: 30089 },
      proto: 'tcp',
      node: 0,
      tries: 3,
      intended: { result: 'delivered', pods: ['a1', 'b1'], peerIp: '192.168.49.2' },
    },
  ],
};

const local = clusterService({ svc: 'default/lo:http', tag: 'LOCALHOST', proto: 'tcp', nodePort: 30090, endpoints: [{ ip: '10.244.0.5', port: 8080 }] });

function localhost(routeLocalnet: boolean): Scenario {
  return {
    name: routeLocalnet ? 'localhost-nodeport-localnet1' : 'localhost-nodeport-localnet0',
    about: routeLocalnet
      ? '127.0.0.1:NodePort with route_localnet=1: DNAT, routed out, masqueraded → delivered'
      : '127.0.0.1:NodePort with route_localnet=0: DNAT, then the re-route drops it → timeout',
    nodes: [{ routeLocalnet, rules: { nft: kubeRules({ natChains: local.chains, nat: local.nat }) } }],
    pods: [{ name: 'a1', node: 0, ip: '10.244.0.5', ports: [8080] }],
    probes: [
      {
        name: 'localhost',
        from: { kind: 'node', node: 0, srcIp: '127.0.0.1' },
        to: { ip: '127.0.0.1', port: 30090 },
        proto: 'tcp',
        node: 0,
        intended: routeLocalnet ? { result: 'delivered', pods: ['a1'], peerIp: '192.168.49.2' } : { result: 'timeout' },
      },
    ],
  };
}

export const localhostLocalnet0 = localhost(false);
export const localhostLocalnet1 = localhost(true);
