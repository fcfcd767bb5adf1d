/**
 * externalTrafficPolicy=Local (reference §1.5.2–1.5.3), pods a1 on node A and b1 on node B.
 * Node A has a local endpoint: an outside client reaches only a1 and is NOT masqueraded (the pod
 * sees the real client). Node B's endpoints are all remote, so kube-proxy leaves KUBE-EXT without
 * its final jump and DROPs the NodePort in filter KUBE-EXTERNAL-SERVICES: the client times out.
 * A process on node B itself is `--src-type LOCAL`: short-circuited to KUBE-SVC and masqueraded.
 * A pod on node B matches the "pod traffic" rule (`-s 10.244.0.0/16`): short-circuited to KUBE-SVC,
 * NOT masqueraded by KUBE-EXT; only when it lands on itself does KUBE-SEP's hairpin rule mark it.
 */
import type { Scenario } from '../lab/scenario.js';
import { kubeRules } from './kube.js';

const SVC = 'default/local:http';
const SVC_CHAIN = 'KUBE-SVC-LOCALWEBAAAAAAAA';
const EXT = 'KUBE-EXT-LOCALWEBAAAAAAAA';
const SVL = 'KUBE-SVL-LOCALWEBAAAAAAAA';
const SEP_A1 = 'KUBE-SEP-LOCALA1AAAAAAAAA';
const SEP_B1 = 'KUBE-SEP-LOCALB1AAAAAAAAA';

/** The rules both nodes share; `localSep` is the node's own endpoint, if it has one. */
function nodeRules(localSep: string | null): string {
  return kubeRules({
    natChains: [SVC_CHAIN, EXT, ...(localSep !== null ? [SVL] : []), SEP_A1, SEP_B1],
    nat: [
      `-A KUBE-NODEPORTS -m comment --comment ${SVC} -m tcp -p tcp --dport 30081 -j ${EXT}`,
      `-A ${EXT} -m comment --comment "pod traffic for ${SVC} external destinations" -s 10.244.0.0/16 -j ${SVC_CHAIN}`,
      `-A ${EXT} -m comment --comment "masquerade LOCAL traffic for ${SVC} external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`,
      `-A ${EXT} -m comment --comment "route LOCAL traffic for ${SVC} external destinations" -m addrtype --src-type LOCAL -j ${SVC_CHAIN}`,
      ...(localSep !== null ? [`-A ${EXT} -j ${SVL}`] : []),
      `-A ${SVC_CHAIN} -m comment --comment "${SVC} -> 10.244.0.5:8080" -m statistic --mode random --probability 0.5000000000 -j ${SEP_A1}`,
      `-A ${SVC_CHAIN} -m comment --comment "${SVC} -> 10.244.1.5:8080" -j ${SEP_B1}`,
      ...(localSep !== null ? [`-A ${SVL} -m comment --comment "${SVC} -> 10.244.0.5:8080" -j ${localSep}`] : []),
      `-A ${SEP_A1} -m comment --comment ${SVC} -s 10.244.0.5 -j KUBE-MARK-MASQ`,
      `-A ${SEP_A1} -m comment --comment ${SVC} -m tcp -p tcp -j DNAT --to-destination 10.244.0.5:8080`,
      `-A ${SEP_B1} -m comment --comment ${SVC} -s 10.244.1.5 -j KUBE-MARK-MASQ`,
      `-A ${SEP_B1} -m comment --comment ${SVC} -m tcp -p tcp -j DNAT --to-destination 10.244.1.5:8080`,
    ],
    filter:
      localSep !== null
        ? []
        : [
            `-A KUBE-EXTERNAL-SERVICES -m comment --comment "${SVC} has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30081 -j DROP`,
          ],
  });
}

export const etpLocal: Scenario = {
  name: 'etp-local',
  about: 'eTP=Local: local endpoint → only it, not masqueraded; no local endpoint → DROP (timeout)',
  nodes: [{ rules: { nft: nodeRules(SEP_A1) } }, { rules: { nft: nodeRules(null) } }],
  pods: [
    { name: 'a1', node: 0, ip: '10.244.0.5', ports: [8080] },
    { name: 'b1', node: 1, ip: '10.244.1.5', ports: [8080] },
  ],
  probes: [
    {
      name: 'client-to-node-with-local-pod',
      from: { kind: 'client' },
      to: { ip: '192.168.49.2', port: 30081 },
      proto: 'tcp',
      node: 0,
      tries: 3,
      intended: { result: 'delivered', pods: ['a1'], peerIp: '203.0.113.7' },
    },
    {
      name: 'client-to-node-without-local-pod',
      from: { kind: 'client' },
      to: { ip: '192.168.49.3', port: 30081 },
      proto: 'tcp',
      node: 1,
      tries: 2,
      intended: { result: 'timeout' },
    },
    {
      name: 'nodeB-process-to-own-nodeport',
      from: { kind: 'node', node: 1, srcIp: '192.168.49.3' },
      to: { ip: '192.168.49.3', port: 30081 },
      proto: 'tcp',
      node: 1,
      intended: { result: 'delivered', pods: ['a1', 'b1'], peerIp: '192.168.49.3' },
    },
    {
      name: 'pod-on-nodeB-to-nodeB-nodeport',
      from: { kind: 'pod', pod: 'b1' },
      to: { ip: '192.168.49.3', port: 30081 },
      proto: 'tcp',
      node: 1,
      // a1 sees 10.244.1.5 (no SNAT); b1 reached through itself sees the node (hairpin masquerade).
      intended: { result: 'delivered', pods: ['a1', 'b1'] },
    },
  ],
};
