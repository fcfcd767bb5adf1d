import { baseCluster, updateNode } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** A hardening profile reset net.ipv4.conf.all.route_localnet to 0 on node-1 after kube-proxy had set it to 1. */
const spec = updateNode(baseCluster(), 'node-1', { sysctls: { routeLocalnet: false } });

export default {
  about: 'a process on node-1 dials 127.0.0.1:30080; kube-proxy translates it, but route_localnet=0 keeps the kernel from routing it to the pod',
  spec,
  ask: { nodeIp: '127.0.0.1', from: '127.0.0.1' },
  expect: { top: 'localhost-nodeport-unsupported', findings: ['localhost-nodeport-unsupported'] },
} satisfies Scenario;
