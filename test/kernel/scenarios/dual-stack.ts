/**
 * Dual-stack NodePort: kube-proxy runs one proxier per family, so the node has an iptables and an
 * ip6tables ruleset with the same shape. The IPv6 client reaches a1 over ip6tables' DNAT and is
 * masqueraded to the node's IPv6 address; the IPv4 probe is the same service over iptables.
 */
import type { Scenario } from '../lab/scenario.js';
import { clusterService, kubeRules } from './kube.js';

const v4 = clusterService({ svc: 'default/ds:http', tag: 'DUALV4', proto: 'tcp', nodePort: 30091, endpoints: [{ ip: '10.244.0.5', port: 8080 }] });
const v6 = clusterService({ svc: 'default/ds:http', tag: 'DUALV6', proto: 'tcp', nodePort: 30091, endpoints: [{ ip: 'fd00:244::5', port: 8080 }] });

export const dualStack: Scenario = {
  name: 'dual-stack',
  about: 'ip6tables NodePort next to the IPv4 one: both reach a1, each masqueraded in its family',
  ipv6: true,
  nodes: [
    {
      rules: {
        nft: kubeRules({ natChains: v4.chains, nat: v4.nat }),
        nft6: kubeRules({ natChains: v6.chains, nat: v6.nat, family: 6 }),
      },
    },
  ],
  pods: [{ name: 'a1', node: 0, ip: '10.244.0.5', ip6: 'fd00:244::5', ports: [8080] }],
  probes: [
    {
      name: 'ipv6-client',
      from: { kind: 'client' },
      to: { ip: 'fd00:49::2', port: 30091 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'delivered', pods: ['a1'], peerIp: 'fd00:49::2' },
    },
    {
      name: 'ipv4-client',
      from: { kind: 'client' },
      to: { ip: '192.168.49.2', port: 30091 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'delivered', pods: ['a1'], peerIp: '192.168.49.2' },
    },
  ],
};
