/**
 * A host firewall that lets DNATed traffic in (`-m conntrack --ctstate DNAT -j ACCEPT`) before
 * dropping the NodePort range. conntrack's DNAT state is "original destination differs from the
 * reply source", which holds once nat PREROUTING has DNATed the first packet: a NodePort DNATed to
 * a host-network endpoint on 31081 is accepted, while an un-DNATed NodePort is still dropped.
 */
import type { Scenario } from '../lab/scenario.js';
import { clusterService, kubeRules } from './kube.js';

const toHost = clusterService({
  svc: 'default/hostnet:http',
  tag: 'CTDNAT',
  proto: 'tcp',
  nodePort: 30099,
  endpoints: [{ ip: '192.168.49.2', port: 31081 }],
});

export const ctstateDnat: Scenario = {
  name: 'ctstate-dnat',
  about: 'INPUT accepts --ctstate DNAT before dropping 30000:32767: DNATed host endpoint OK, plain port dropped',
  nodes: [
    {
      hostServers: [{ name: 'hostA', ports: [31081] }],
      rules: {
        nft: kubeRules({
          natChains: toHost.chains,
          nat: toHost.nat,
          inputTail: ['-A INPUT -m conntrack --ctstate DNAT -j ACCEPT', '-A INPUT -p tcp -m tcp --dport 30000:32767 -j DROP'],
        }),
      },
    },
  ],
  pods: [],
  probes: [
    {
      name: 'dnated-to-host-31081',
      from: { kind: 'client' },
      to: { ip: '192.168.49.2', port: 30099 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'delivered', pods: ['hostA'], peerIp: '203.0.113.7' },
    },
    {
      name: 'plain-31081',
      from: { kind: 'client' },
      to: { ip: '192.168.49.2', port: 31081 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'timeout' },
    },
  ],
};
