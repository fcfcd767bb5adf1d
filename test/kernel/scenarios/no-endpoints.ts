/**
 * A Service with no endpoints at all (reference §1.5.4): no nat rules exist for it; filter
 * KUBE-EXTERNAL-SERVICES REJECTs the NodePort, so the client is refused at once (TCP and UDP),
 * rather than timing out.
 */
import type { Scenario } from '../lab/scenario.js';
import { kubeRules } from './kube.js';

const SVC = 'default/empty:http';

export const noEndpoints: Scenario = {
  name: 'no-endpoints',
  about: 'no endpoints: filter KUBE-EXTERNAL-SERVICES REJECT → refused (TCP and UDP)',
  nodes: [
    {
      rules: {
        nft: kubeRules({
          filter: [
            `-A KUBE-SERVICES -m comment --comment "${SVC} has no endpoints" -m tcp -p tcp -d 10.96.0.20 --dport 80 -j REJECT`,
            `-A KUBE-EXTERNAL-SERVICES -m comment --comment "${SVC} has no endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30082 -j REJECT`,
            `-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/empty:dns has no endpoints" -m addrtype --dst-type LOCAL -m udp -p udp --dport 30082 -j REJECT`,
          ],
        }),
      },
    },
  ],
  pods: [],
  probes: [
    {
      name: 'tcp',
      from: { kind: 'client' },
      to: { ip: '192.168.49.2', port: 30082 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'refused' },
    },
    {
      name: 'udp',
      from: { kind: 'client' },
      to: { ip: '192.168.49.2', port: 30082 },
      proto: 'udp',
      node: 0,
      intended: { result: 'refused' },
    },
  ],
};
