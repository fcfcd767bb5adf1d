import { baseCluster } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** iptables.localhostNodePorts: false: the KUBE-SERVICES tail rule carries `! -d 127.0.0.0/8`, so curl 127.0.0.1:30080 on a node fails. */
const spec = baseCluster();
spec.kubeProxy.localhostNodePorts = false;

export default {
  about: 'a process on node-1 dials 127.0.0.1:30080, but kube-proxy runs with localhostNodePorts: false',
  spec,
  ask: { nodeIp: '127.0.0.1', from: '127.0.0.1' },
  expect: { top: 'localhost-nodeport-unsupported', findings: ['localhost-nodeport-unsupported'] },
} satisfies Scenario;
