import { baseCluster, updateNode } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** node-3 has a second NIC (eth1, 10.0.7.103/24) and strict rp_filter (all and default = 1, as RHEL sets it); the default route leaves by eth0. */
const spec = updateNode(baseCluster(), 'node-3', { extraAddresses: [{ iface: 'eth1', ip: '10.0.7.103', prefix: 24 }], sysctls: { rpFilter: 1, rpFilterDefault: 1 } });

export default {
  about: "strict rp_filter on node-3: clients that reach its second NIC's address are dropped, because the route back to them leaves by eth0",
  spec,
  ask: { nodeIp: '10.0.7.103' },
  expect: { top: 'rp-filter-strict', findings: ['rp-filter-strict'] },
} satisfies Scenario;
