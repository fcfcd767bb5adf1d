import { baseCluster, dualStack, updateNode, updateService } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/**
 * A dual-stack cluster whose nodes were prepared with the usual sysctl drop-in that sets only
 * net.ipv4.ip_forward=1: net.ipv6.conf.all.forwarding is 0, so the kernel drops every forwarded
 * IPv6 packet (no ICMP error). IPv4 answers; IPv6 only through a pod's own node, not even there
 * for a masqueraded hop to the other pod.
 */
const spec = updateService(dualStack(baseCluster()), 'shop/frontend', { ipFamilyPolicy: 'PreferDualStack' });
for (const n of ['node-1', 'node-2', 'node-3']) updateNode(spec, n, { sysctls: { ipv6Forwarding: false } });

export default {
  about: 'dual-stack frontend, net.ipv6.conf.all.forwarding=0 on every node: IPv4 answers, IPv6 times out (forwarded IPv6 is dropped)',
  spec,
  expect: { top: 'ip-forward-disabled', findings: ['ip-forward-disabled'] },
} satisfies Scenario;
