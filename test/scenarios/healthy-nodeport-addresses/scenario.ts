import { baseCluster, findNode } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** nodePortAddresses limited to the node subnet, and the client dials that subnet's address. */
const spec = baseCluster();
for (const n of spec.nodes) findNode(spec, n.name).kubeProxy = { nodePortAddresses: ['192.168.1.0/24'] };
spec.kubeProxy.nodePortAddresses = ['192.168.1.0/24'];

export default {
  about: 'nodePortAddresses 192.168.1.0/24 and the client dials 192.168.1.101: served',
  spec,
  ask: { nodeIp: '192.168.1.101' },
  expect: { top: null, findings: [] },
} satisfies Scenario;
