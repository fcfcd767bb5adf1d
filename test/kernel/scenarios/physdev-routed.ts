/**
 * `-m physdev` on a routed NodePort (issue 17), as Calico and flannel write physdev rules: the
 * client's packet enters by eth0, which is no bridge (no link is enslaved to it), so it carries no
 * bridge information and every physdev option is false, its negation true. The DROPs below never
 * match; the ACCEPTs with `! --physdev-is-in` / `! --physdev-is-out` do. KUBE-FORWARD's mark
 * accept is left out so the FORWARD rules are reached.
 *
 * It also holds rules whose match the walk cannot decide (`-m ttl`, `-m length` are not modelled)
 * and whose verdict is what the rest of the chain does anyway (ACCEPT before rules that can only
 * ACCEPT, under policy ACCEPT): the walk does not fork on them. The kernel does not match them
 * (a first packet's TTL is not below 1; a SYN is longer than 20 bytes), so the paths compare rule
 * by rule; a walk shows the fall-through, which is the kernel's path only when the rule did not match.
 */
import type { Scenario } from '../lab/scenario.js';
import { clusterService, kubeRules } from './kube.js';

const toPod = clusterService({ svc: 'default/physdev-pod:http', tag: 'PHYSPOD', proto: 'tcp', nodePort: 30090, endpoints: [{ ip: '10.244.0.5', port: 8080 }] });
const toHost = clusterService({ svc: 'default/physdev-host:http', tag: 'PHYSHOST', proto: 'tcp', nodePort: 30091, endpoints: [{ ip: '192.168.49.2', port: 9090 }] });

export const physdevRouted: Scenario = {
  name: 'physdev-routed',
  about: '-m physdev on routed NodePorts (INPUT and FORWARD): no bridge port, so no physdev; undecidable ACCEPTs equal to the policy do not fork',
  nodes: [
    {
      hostServers: [{ name: 'hostA', ports: [9090] }],
      rules: {
        nft: kubeRules({
          natChains: [...toPod.chains, ...toHost.chains],
          nat: [...toPod.nat, ...toHost.nat],
          forwardMarkAccept: false,
          inputTail: [
            '-A INPUT -m physdev --physdev-is-in -j DROP',
            '-A INPUT -m physdev --physdev-in eth0 -j DROP',
            '-A INPUT -m physdev --physdev-is-bridged -j DROP',
            '-A INPUT -m ttl --ttl-lt 1 -j ACCEPT',
            '-A INPUT -m physdev ! --physdev-is-in -j ACCEPT',
          ],
          filter: [
            '-A FORWARD -m physdev --physdev-is-bridged -j DROP',
            '-A FORWARD -m physdev --physdev-out cali+ -j DROP',
            '-A FORWARD -m physdev --physdev-is-in -j DROP',
            '-A FORWARD -m length --length 1:20 -j ACCEPT',
            '-A FORWARD -m physdev ! --physdev-is-out -j ACCEPT',
          ],
        }),
      },
    },
  ],
  pods: [{ name: 'a1', node: 0, ip: '10.244.0.5', ports: [8080] }],
  probes: [
    {
      name: 'nodeport-to-pod',
      from: { kind: 'client' },
      to: { ip: '192.168.49.2', port: 30090 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'delivered', pods: ['a1'], peerIp: '192.168.49.2' },
    },
    {
      name: 'nodeport-to-hostnet',
      from: { kind: 'client' },
      to: { ip: '192.168.49.2', port: 30091 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'delivered', pods: ['hostA'], peerIp: '203.0.113.7' },
    },
  ],
};
