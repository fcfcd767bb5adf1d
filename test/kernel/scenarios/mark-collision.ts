/**
 * Another agent on the node uses kube-proxy's masquerade bit: its mangle PREROUTING rule sets
 * 0x4000 on NodePort traffic. mangle runs before nat, KUBE-POSTROUTING only looks at the bit, so
 * an eTP=Local service that must keep the client's address gets masqueraded anyway: the pod sees
 * the node. (A known way to lose client IPs; the walk has to carry the mark across tables.)
 */
import type { Scenario } from '../lab/scenario.js';
import { kubeRules } from './kube.js';

const SVC = 'default/keepip:http';
const EXT = 'KUBE-EXT-KEEPIPAAAAAAAAAA';
const SVL = 'KUBE-SVL-KEEPIPAAAAAAAAAA';
const SEP = 'KUBE-SEP-KEEPIPA1AAAAAAAA';

const AGENT_MANGLE = [
  '*mangle',
  ':PREROUTING ACCEPT [0:0]',
  ':INPUT ACCEPT [0:0]',
  ':FORWARD ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  ':POSTROUTING ACCEPT [0:0]',
  '-A PREROUTING -i eth0 -p tcp -m tcp --dport 30000:32767 -m comment --comment "some-agent: tag nodeport traffic" -j MARK --set-xmark 0x4000/0x4000',
  'COMMIT',
].join('\n');

export const markCollision: Scenario = {
  name: 'mark-collision',
  about: 'a mangle rule sets the 0x4000 bit: an eTP=Local NodePort is masqueraded anyway',
  nodes: [
    {
      rules: {
        nft: kubeRules({
          natChains: [EXT, SVL, SEP],
          nat: [
            `-A KUBE-NODEPORTS -m comment --comment ${SVC} -m tcp -p tcp --dport 30092 -j ${EXT}`,
            `-A ${EXT} -m comment --comment "pod traffic for ${SVC} external destinations" -s 10.244.0.0/16 -j ${SVL}`,
            `-A ${EXT} -m comment --comment "masquerade LOCAL traffic for ${SVC} external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`,
            `-A ${EXT} -m comment --comment "route LOCAL traffic for ${SVC} external destinations" -m addrtype --src-type LOCAL -j ${SVL}`,
            `-A ${EXT} -j ${SVL}`,
            `-A ${SVL} -m comment --comment "${SVC} -> 10.244.0.5:8080" -j ${SEP}`,
            `-A ${SEP} -m comment --comment ${SVC} -s 10.244.0.5 -j KUBE-MARK-MASQ`,
            `-A ${SEP} -m comment --comment ${SVC} -m tcp -p tcp -j DNAT --to-destination 10.244.0.5:8080`,
          ],
          extraTables: AGENT_MANGLE,
        }),
      },
    },
  ],
  pods: [{ name: 'a1', node: 0, ip: '10.244.0.5', ports: [8080] }],
  probes: [
    {
      name: 'client-to-nodeport',
      from: { kind: 'client' },
      to: { ip: '192.168.49.2', port: 30092 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'delivered', pods: ['a1'], peerIp: '192.168.49.2' },
    },
  ],
};
