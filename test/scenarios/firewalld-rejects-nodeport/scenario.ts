import { baseCluster, firewalld, updateNode } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** firewalld (iptables backend) on every node: FORWARD ends with REJECT icmp-host-prohibited before flannel's accept. */
const spec = baseCluster();
for (const n of ['node-1', 'node-2', 'node-3']) updateNode(spec, n, { hostFirewall: firewalld({ ports: ['6443/tcp', '10250/tcp', '30000:32767/tcp'] }) });

export default {
  about: 'firewalld rejects connections that another node forwards to a pod: "No route to host" except through the pod\'s own node',
  spec,
  expect: { top: 'host-firewall-drop', findings: ['host-firewall-drop'] },
} satisfies Scenario;
