/**
 * Rules of an older kube-proxy (before PR kubernetes#110290, reference §1.3 "KUBE-MARK-DROP
 * history"), still found on upgraded clusters: eTP=Local with no local endpoint jumped from
 * KUBE-XLB to KUBE-MARK-DROP, which sets 0x8000 in the nat table, and kubelet's KUBE-FIREWALL in
 * filter INPUT drops marked packets. The mark set in nat PREROUTING must survive into filter INPUT:
 * the client times out. A second NodePort whose KUBE-XLB has a local endpoint still works.
 */
import type { Scenario } from '../lab/scenario.js';
import { kubeRules } from './kube.js';

const MARK_DROP = '-A KUBE-MARK-DROP -j MARK --set-xmark 0x8000/0x8000';
const FIREWALL = '-A KUBE-FIREWALL -m comment --comment "kubernetes firewall for dropping marked packets" -m mark --mark 0x8000/0x8000 -j DROP';

export const oldMarkDrop: Scenario = {
  name: 'old-kube-mark-drop',
  about: 'pre-1.25 KUBE-XLB → KUBE-MARK-DROP: nat sets 0x8000, filter KUBE-FIREWALL drops it',
  nodes: [
    {
      rules: {
        nft: kubeRules({
          natChains: ['KUBE-MARK-DROP', 'KUBE-XLB-NOLOCALAAAAAAAA', 'KUBE-XLB-HASLOCALAAAAAAA', 'KUBE-SEP-HASLOCALA1AAAAA'],
          nat: [
            MARK_DROP,
            '-A KUBE-NODEPORTS -m comment --comment default/nolocal:http -m tcp -p tcp --dport 30095 -j KUBE-XLB-NOLOCALAAAAAAAA',
            '-A KUBE-XLB-NOLOCALAAAAAAAA -m comment --comment "default/nolocal:http has no local endpoints" -j KUBE-MARK-DROP',
            '-A KUBE-NODEPORTS -m comment --comment default/haslocal:http -m tcp -p tcp --dport 30096 -j KUBE-XLB-HASLOCALAAAAAAA',
            '-A KUBE-XLB-HASLOCALAAAAAAA -m comment --comment "Balancing rule 0 for default/haslocal:http" -j KUBE-SEP-HASLOCALA1AAAAA',
            '-A KUBE-SEP-HASLOCALA1AAAAA -m comment --comment default/haslocal:http -s 10.244.0.5 -j KUBE-MARK-MASQ',
            '-A KUBE-SEP-HASLOCALA1AAAAA -m comment --comment default/haslocal:http -m tcp -p tcp -j DNAT --to-destination 10.244.0.5:8080',
          ],
          filter: [FIREWALL],
        }),
      },
    },
  ],
  pods: [{ name: 'a1', node: 0, ip: '10.244.0.5', ports: [8080] }],
  probes: [
    {
      name: 'no-local-endpoint',
      from: { kind: 'client' },
      to: { ip: '192.168.49.2', port: 30095 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'timeout' },
    },
    {
      name: 'local-endpoint',
      from: { kind: 'client' },
      to: { ip: '192.168.49.2', port: 30096 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'delivered', pods: ['a1'], peerIp: '203.0.113.7' },
    },
  ],
};
