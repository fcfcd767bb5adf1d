/**
 * FORWARD policy DROP with Calico's interface-wildcard accepts instead of kube-proxy's mark accept
 * (`-o cali+ -j ACCEPT`, `-i cali+ -j ACCEPT`). Whether `-o cali+` matches depends on the route the
 * DNATed packet takes: a local pod is behind calia1 (accepted), a pod on node B is reached via eth0
 * (not accepted → DROP → timeout). The walk has to pick the output interface from the routes.
 */
import type { Scenario } from '../lab/scenario.js';
import { clusterService, kubeRules } from './kube.js';

const local = clusterService({ svc: 'default/local-pod:http', tag: 'CALILOCAL', proto: 'tcp', nodePort: 30097, endpoints: [{ ip: '10.244.0.5', port: 8080 }] });
const remote = clusterService({ svc: 'default/remote-pod:http', tag: 'CALIREMOTE', proto: 'tcp', nodePort: 30098, endpoints: [{ ip: '10.244.1.5', port: 8080 }] });

export const calicoForward: Scenario = {
  name: 'calico-forward',
  about: 'FORWARD DROP + `-o cali+`/`-i cali+` ACCEPT: local pod reachable, remote pod not',
  nodes: [
    {
      rules: {
        nft: kubeRules({
          natChains: [...local.chains, ...remote.chains],
          nat: [...local.nat, ...remote.nat],
          forwardPolicy: 'DROP',
          forwardMarkAccept: false,
          filter: [
            '-A FORWARD -i cali+ -m comment --comment "cali:from-wl" -j ACCEPT',
            '-A FORWARD -o cali+ -m comment --comment "cali:to-wl" -j ACCEPT',
          ],
        }),
      },
    },
    { rules: { nft: kubeRules({ noTrace: true }) } },
  ],
  pods: [
    { name: 'a1', node: 0, ip: '10.244.0.5', ports: [8080] },
    { name: 'b1', node: 1, ip: '10.244.1.5', ports: [8080] },
  ],
  probes: [
    {
      name: 'to-local-pod',
      from: { kind: 'client' },
      to: { ip: '192.168.49.2', port: 30097 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'delivered', pods: ['a1'], peerIp: '192.168.49.2' },
    },
    {
      name: 'to-remote-pod',
      from: { kind: 'client' },
      to: { ip: '192.168.49.2', port: 30098 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'timeout' },
    },
  ],
};
