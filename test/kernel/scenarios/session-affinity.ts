/**
 * sessionAffinity: ClientIP (reference §1.5.5). The `-m recent --rcheck` rules come first in
 * KUBE-SVC; the first connection takes the random cascade and KUBE-SEP's `--set` records the
 * client, so every later try from the same client reaches the same pod.
 */
import type { Scenario } from '../lab/scenario.js';
import { kubeRules } from './kube.js';

const SVC = 'default/sticky:http';
const SVC_CHAIN = 'KUBE-SVC-STICKYAAAAAAAAAA';
const EXT = 'KUBE-EXT-STICKYAAAAAAAAAA';
const SEP1 = 'KUBE-SEP-STICKYA1AAAAAAAA';
const SEP2 = 'KUBE-SEP-STICKYA2AAAAAAAA';

export const sessionAffinity: Scenario = {
  name: 'session-affinity',
  about: 'ClientIP affinity: every try from one client reaches the same pod',
  nodes: [
    {
      rules: {
        nft: kubeRules({
          natChains: [SVC_CHAIN, EXT, SEP1, SEP2],
          nat: [
            `-A KUBE-NODEPORTS -m comment --comment ${SVC} -m tcp -p tcp --dport 30083 -j ${EXT}`,
            `-A ${EXT} -m comment --comment "masquerade traffic for ${SVC} external destinations" -j KUBE-MARK-MASQ`,
            `-A ${EXT} -j ${SVC_CHAIN}`,
            `-A ${SVC_CHAIN} -m comment --comment "${SVC} -> 10.244.0.5:8080" -m recent --name ${SEP1} --rcheck --seconds 10800 --reap -j ${SEP1}`,
            `-A ${SVC_CHAIN} -m comment --comment "${SVC} -> 10.244.0.6:8080" -m recent --name ${SEP2} --rcheck --seconds 10800 --reap -j ${SEP2}`,
            `-A ${SVC_CHAIN} -m comment --comment "${SVC} -> 10.244.0.5:8080" -m statistic --mode random --probability 0.5000000000 -j ${SEP1}`,
            `-A ${SVC_CHAIN} -m comment --comment "${SVC} -> 10.244.0.6:8080" -j ${SEP2}`,
            `-A ${SEP1} -m comment --comment ${SVC} -s 10.244.0.5 -j KUBE-MARK-MASQ`,
            `-A ${SEP1} -m comment --comment ${SVC} -m recent --name ${SEP1} --set -m tcp -p tcp -j DNAT --to-destination 10.244.0.5:8080`,
            `-A ${SEP2} -m comment --comment ${SVC} -s 10.244.0.6 -j KUBE-MARK-MASQ`,
            `-A ${SEP2} -m comment --comment ${SVC} -m recent --name ${SEP2} --set -m tcp -p tcp -j DNAT --to-destination 10.244.0.6:8080`,
          ],
        }),
      },
    },
  ],
  pods: [
    { name: 'a1', node: 0, ip: '10.244.0.5', ports: [8080] },
    { name: 'a2', node: 0, ip: '10.244.0.6', ports: [8080] },
  ],
  probes: [
    {
      name: 'client-six-times',
      from: { kind: 'client' },
      to: { ip: '192.168.49.2', port: 30083 },
      proto: 'tcp',
      node: 0,
      tries: 6,
      intended: { result: 'delivered', sticky: true, peerIp: '192.168.49.2' },
    },
  ],
};
