/**
 * Two backends DNAT the same NodePort: kube-proxy (nft) sends 30094 to one pod, a Docker-style
 * legacy rule (`-A DOCKER ! -i docker0 -p tcp --dport 30094 -j DNAT`, a container published on the
 * same port) to another. The first nat table that sets up a mapping wins and the other nat table is
 * not evaluated for that connection; at equal priority the kernel runs the hook registered LAST
 * first (research report Q3). So the winner depends on load order, which the dumps cannot show;
 * the lab gives the walk the rulesets in the kernel's run order and checks both orders:
 *   node A: legacy loaded first → nft runs first → kube-proxy wins → a1, masqueraded;
 *   node B: nft loaded first → legacy runs first → Docker wins → b2, client address kept.
 */
import type { Scenario } from '../lab/scenario.js';
import { clusterService, kubeRules } from './kube.js';

const dockerNat = (ip: string): string =>
  [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ':DOCKER - [0:0]',
    '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER',
    '-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE',
    '-A DOCKER -i docker0 -j RETURN',
    `-A DOCKER ! -i docker0 -p tcp -m tcp --dport 30094 -j DNAT --to-destination ${ip}:8080`,
    'COMMIT',
    '',
  ].join('\n');

const kube = (ip: string, tag: string) => {
  const svc = clusterService({ svc: 'default/shadowed:http', tag, proto: 'tcp', nodePort: 30094, endpoints: [{ ip, port: 8080 }] });
  return kubeRules({ natChains: svc.chains, nat: svc.nat });
};

export const dnatConflict: Scenario = {
  name: 'split-dnat-conflict',
  about: 'nft and legacy both DNAT one NodePort: the backend whose hooks registered last wins',
  nodes: [
    { legacyFirst: true, rules: { nft: kube('10.244.0.5', 'SHADOWA'), legacy: dockerNat('10.244.0.6') } },
    { legacyFirst: false, rules: { nft: kube('10.244.1.5', 'SHADOWB'), legacy: dockerNat('10.244.1.6') } },
  ],
  pods: [
    { name: 'a1', node: 0, ip: '10.244.0.5', ports: [8080] },
    { name: 'a2', node: 0, ip: '10.244.0.6', ports: [8080] },
    { name: 'b1', node: 1, ip: '10.244.1.5', ports: [8080] },
    { name: 'b2', node: 1, ip: '10.244.1.6', ports: [8080] },
  ],
  probes: [
    {
      name: 'nodeA-nft-runs-first',
      from: { kind: 'client' },
      to: { ip: '192.168.49.2', port: 30094 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'delivered', pods: ['a1'], peerIp: '192.168.49.2' },
    },
    {
      name: 'nodeB-legacy-runs-first',
      from: { kind: 'client' },
      to: { ip: '192.168.49.3', port: 30094 },
      proto: 'tcp',
      node: 1,
      intended: { result: 'delivered', pods: ['b2'], peerIp: '203.0.113.7' },
    },
  ],
};
