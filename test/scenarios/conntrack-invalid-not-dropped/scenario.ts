import { baseCluster, updateNode } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** kube-proxy started while be_liberal was 1 (no INVALID drop); the sysctl was reset to 0 afterwards. */
const spec = updateNode(baseCluster(), 'node-2', { kubeProxy: { ctInvalidDrop: false }, sysctls: { tcpBeLiberal: false } });

export default {
  about: 'node-2 neither drops conntrack-INVALID packets in KUBE-FORWARD nor has nf_conntrack_tcp_be_liberal=1: long transfers can be reset',
  spec,
  expect: { top: 'conntrack-invalid-drop', findings: ['conntrack-invalid-drop'] },
} satisfies Scenario;
