import { baseCluster, dualStack, iptablesServices6, updateNode, updateService } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/**
 * RHEL nodes with iptables-services: the IPv4 ruleset was opened for Kubernetes, the IPv6 one
 * (/etc/sysconfig/ip6tables) kept its defaults, whose FORWARD REJECT comes before flannel's IPv6
 * accept. IPv6 NodePort traffic forwarded to a pod on another node is rejected there.
 */
const spec = updateService(dualStack(baseCluster()), 'shop/frontend', { ipFamilyPolicy: 'RequireDualStack' });
for (const n of ['node-1', 'node-2', 'node-3']) updateNode(spec, n, { hostFirewall6: iptablesServices6() });

export default {
  about: "dual-stack frontend, iptables-services' default ip6tables ruleset on every node: IPv4 answers, IPv6 is rejected (icmp6-adm-prohibited) where a pod is reached from another node",
  spec,
  expect: { top: 'host-firewall-drop', findings: ['host-firewall-drop'] },
} satisfies Scenario;
