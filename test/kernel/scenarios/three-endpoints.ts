/**
 * Three endpoints: kube-proxy's cascade is 1/3, then 1/2, then the rest (reference §1.4 item 9),
 * which the kernel stores as 0.33333333349 and 0.50000000000. Each endpoint is reached with
 * probability 1/3; the client keeps trying until it has seen all three (at most 30 tries).
 */
import type { Scenario } from '../lab/scenario.js';
import { clusterService, kubeRules } from './kube.js';

const web = clusterService({
  svc: 'default/three:http',
  tag: 'THREE',
  proto: 'tcp',
  nodePort: 30093,
  endpoints: [
    { ip: '10.244.0.5', port: 8080 },
    { ip: '10.244.0.6', port: 8080 },
    { ip: '10.244.1.5', port: 8080 },
  ],
});

export const threeEndpoints: Scenario = {
  name: 'three-endpoints',
  about: 'statistic cascade 1/3, 1/2: three endpoints on two nodes all reached, masqueraded',
  nodes: [{ rules: { nft: kubeRules({ natChains: web.chains, nat: web.nat }) } }, { rules: { nft: kubeRules({ noTrace: true }) } }],
  pods: [
    { name: 'a1', node: 0, ip: '10.244.0.5', ports: [8080] },
    { name: 'a2', node: 0, ip: '10.244.0.6', ports: [8080] },
    { name: 'b1', node: 1, ip: '10.244.1.5', ports: [8080] },
  ],
  probes: [
    {
      name: 'client-to-nodeA',
      from: { kind: 'client' },
      to: { ip: '192.168.49.2', port: 30093 },
      proto: 'tcp',
      node: 0,
      tries: 3,
      intended: { result: 'delivered', pods: ['a1', 'a2', 'b1'], peerIp: '192.168.49.2' },
    },
  ],
};
