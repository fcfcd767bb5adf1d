/**
 * externalTrafficPolicy=Cluster, one endpoint on each node (reference §1.5.1). A client hitting
 * node A's NodePort reaches BOTH pods, and both see node A's address: KUBE-EXT masquerades everything.
 * A pod on node A calling node B's NodePort passes node A untouched (the destination is not local
 * there, so no DNAT and no mark); node B does the DNAT and the masquerade, so both pods see node B.
 * That probe is traced and walked on node A, where it enters: the walk answers for one node only.
 */
import type { Scenario } from '../lab/scenario.js';
import { kubeRules } from './kube.js';

export interface EtpClusterNames {
  /** The comment kube-proxy writes: namespace/name:port. */
  svc: string;
  clusterIp: string;
  /** KUBE-SVC-…, KUBE-EXT-…, and the two KUBE-SEP-… chains (endpoint 10.244.0.5, then 10.244.1.5). */
  chains: [svc: string, ext: string, sepA: string, sepB: string];
  /** Leave out the raw TRACE rules (labs that do not trace). */
  noTrace?: boolean;
}

/** kube-proxy's rules for one eTP=Cluster NodePort 30080 Service, endpoints 10.244.0.5 and 10.244.1.5 (port 8080). */
export function etpClusterRules(n: EtpClusterNames): string {
  const [svcChain, ext, sepA, sepB] = n.chains;
  const SVC = n.svc;
  return kubeRules({
    ...(n.noTrace ? { noTrace: true } : {}),
    natChains: [svcChain, ext, sepA, sepB],
    nat: [
      `-A KUBE-SERVICES -m comment --comment "${SVC} cluster IP" -m tcp -p tcp -d ${n.clusterIp} --dport 80 -j ${svcChain}`,
      `-A KUBE-NODEPORTS -m comment --comment ${SVC} -m tcp -p tcp --dport 30080 -j ${ext}`,
      `-A ${ext} -m comment --comment "masquerade traffic for ${SVC} external destinations" -j KUBE-MARK-MASQ`,
      `-A ${ext} -j ${svcChain}`,
      `-A ${svcChain} -m comment --comment "${SVC} cluster IP" -m tcp -p tcp -d ${n.clusterIp} --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ`,
      `-A ${svcChain} -m comment --comment "${SVC} -> 10.244.0.5:8080" -m statistic --mode random --probability 0.5000000000 -j ${sepA}`,
      `-A ${svcChain} -m comment --comment "${SVC} -> 10.244.1.5:8080" -j ${sepB}`,
      `-A ${sepA} -m comment --comment ${SVC} -s 10.244.0.5 -j KUBE-MARK-MASQ`,
      `-A ${sepA} -m comment --comment ${SVC} -m tcp -p tcp -j DNAT --to-destination 10.244.0.5:8080`,
      `-A ${sepB} -m comment --comment ${SVC} -s 10.244.1.5 -j KUBE-MARK-MASQ`,
      `-A ${sepB} -m comment --comment ${SVC} -m tcp -p tcp -j DNAT --to-destination 10.244.1.5:8080`,
    ],
  });
}

/** Both nodes run the same kube-proxy rules. */
const RULES = etpClusterRules({
  svc: 'default/web:http',
  clusterIp: '10.96.0.10',
  chains: ['KUBE-SVC-WEBCLUSTERAAAAAAA', 'KUBE-EXT-WEBCLUSTERAAAAAAA', 'KUBE-SEP-WEBA1AAAAAAAAAAA', 'KUBE-SEP-WEBB1AAAAAAAAAAA'],
});

export const etpCluster: Scenario = {
  name: 'etp-cluster',
  about: 'eTP=Cluster across two nodes: both pods answer, always masqueraded to the entry node',
  nodes: [{ rules: { nft: RULES } }, { rules: { nft: RULES } }],
  pods: [
    { name: 'a1', node: 0, ip: '10.244.0.5', ports: [8080] },
    { name: 'b1', node: 1, ip: '10.244.1.5', ports: [8080] },
  ],
  probes: [
    {
      name: 'client-to-nodeA',
      from: { kind: 'client' },
      to: { ip: '192.168.49.2', port: 30080 },
      proto: 'tcp',
      node: 0,
      tries: 4,
      intended: { result: 'delivered', pods: ['a1', 'b1'], peerIp: '192.168.49.2' },
    },
    {
      name: 'pod-on-nodeA-to-nodeB',
      from: { kind: 'pod', pod: 'a1' },
      to: { ip: '192.168.49.3', port: 30080 },
      proto: 'tcp',
      node: 0,
      tries: 4,
      intended: { result: 'delivered', pods: ['a1', 'b1'], peerIp: '192.168.49.3' },
    },
  ],
};
