/**
 * --nodeport-addresses restricted to one IP (reference §1.5.6): the KUBE-SERVICES tail becomes
 * `-d 192.168.49.2/32 -j KUBE-NODEPORTS`. The node also owns 192.168.49.102; a connection to that
 * address is never DNATed, reaches the node's own stack, and nothing listens there: refused (RST).
 */
import type { Scenario } from '../lab/scenario.js';
import { kubeRules } from './kube.js';

const SVC = 'default/np-addr:http';
const EXT = 'KUBE-EXT-NPADDRAAAAAAAAAA';
const SVC_CHAIN = 'KUBE-SVC-NPADDRAAAAAAAAAA';
const SEP = 'KUBE-SEP-NPADDRA1AAAAAAAA';

export const nodePortAddresses: Scenario = {
  name: 'nodeport-addresses',
  about: 'nodePortAddresses = one of two node IPs: NodePort answers on 192.168.49.2, not on .102',
  nodes: [
    {
      extraIps: ['192.168.49.102'],
      rules: {
        nft: kubeRules({
          natChains: [SVC_CHAIN, EXT, SEP],
          nat: [
            `-A KUBE-NODEPORTS -m comment --comment ${SVC} -m tcp -p tcp --dport 30084 -j ${EXT}`,
            `-A ${EXT} -m comment --comment "masquerade traffic for ${SVC} external destinations" -j KUBE-MARK-MASQ`,
            `-A ${EXT} -j ${SVC_CHAIN}`,
            `-A ${SVC_CHAIN} -m comment --comment "${SVC} -> 10.244.0.5:8080" -j ${SEP}`,
            `-A ${SEP} -m comment --comment ${SVC} -s 10.244.0.5 -j KUBE-MARK-MASQ`,
            `-A ${SEP} -m comment --comment ${SVC} -m tcp -p tcp -j DNAT --to-destination 10.244.0.5:8080`,
          ],
          nodePortsTail: [
            '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -d 192.168.49.2 -j KUBE-NODEPORTS',
          ],
        }),
      },
    },
  ],
  pods: [{ name: 'a1', node: 0, ip: '10.244.0.5', ports: [8080] }],
  probes: [
    {
      name: 'listed-address',
      from: { kind: 'client' },
      to: { ip: '192.168.49.2', port: 30084 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'delivered', pods: ['a1'], peerIp: '192.168.49.2' },
    },
    {
      name: 'other-address',
      from: { kind: 'client' },
      to: { ip: '192.168.49.102', port: 30084 },
      proto: 'tcp',
      node: 0,
      // No DNAT → local delivery → no socket on 30084 → the node's TCP stack answers RST.
      intended: { result: 'refused' },
    },
  ],
};
