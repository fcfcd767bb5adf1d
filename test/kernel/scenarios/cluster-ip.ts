/**
 * ClusterIP from inside the cluster (reference §1.4 items 1 and 6), next to the NodePort cases:
 *   - a pod calls a ClusterIP whose endpoint is on the other node: nat PREROUTING DNATs, the
 *     packet is forwarded, and KUBE-SVC's `! -s 10.244.0.0/16 -j KUBE-MARK-MASQ` does not match a
 *     pod source, so the endpoint sees the calling pod's own address;
 *   - a process on the node calls it (OUTPUT path): the source is not a pod, so it is masqueraded;
 *   - a pod calls a ClusterIP with no endpoints: filter FORWARD → KUBE-SERVICES REJECT (refused).
 * The raw TRACE rules also match 10.96.0.0/12 for these probes.
 */
import type { Scenario } from '../lab/scenario.js';
import { kubeRules } from './kube.js';

const SVC = 'default/api:http';
const SVC_CHAIN = 'KUBE-SVC-APIAAAAAAAAAAAAA';
const SEP = 'KUBE-SEP-APIB1AAAAAAAAAAA';

export const clusterIp: Scenario = {
  name: 'cluster-ip',
  about: 'ClusterIP: pod source kept, node source masqueraded, no endpoints → REJECT in FORWARD',
  nodes: [
    {
      rules: {
        nft: kubeRules({
          natChains: [SVC_CHAIN, SEP],
          nat: [
            `-A KUBE-SERVICES -m comment --comment "${SVC} cluster IP" -m tcp -p tcp -d 10.96.0.10 --dport 80 -j ${SVC_CHAIN}`,
            `-A ${SVC_CHAIN} -m comment --comment "${SVC} cluster IP" -m tcp -p tcp -d 10.96.0.10 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ`,
            `-A ${SVC_CHAIN} -m comment --comment "${SVC} -> 10.244.1.5:8080" -j ${SEP}`,
            `-A ${SEP} -m comment --comment ${SVC} -s 10.244.1.5 -j KUBE-MARK-MASQ`,
            `-A ${SEP} -m comment --comment ${SVC} -m tcp -p tcp -j DNAT --to-destination 10.244.1.5:8080`,
          ],
          filter: [
            '-A KUBE-SERVICES -m comment --comment "default/empty:http has no endpoints" -m tcp -p tcp -d 10.96.0.20 --dport 80 -j REJECT',
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
      name: 'pod-to-clusterip',
      from: { kind: 'pod', pod: 'a1' },
      to: { ip: '10.96.0.10', port: 80 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'delivered', pods: ['b1'], peerIp: '10.244.0.5' },
    },
    {
      name: 'node-to-clusterip',
      from: { kind: 'node', node: 0, srcIp: '192.168.49.2' },
      to: { ip: '10.96.0.10', port: 80 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'delivered', pods: ['b1'], peerIp: '192.168.49.2' },
    },
    {
      name: 'pod-to-clusterip-without-endpoints',
      from: { kind: 'pod', pod: 'a1' },
      to: { ip: '10.96.0.20', port: 80 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'refused' },
    },
  ],
};
