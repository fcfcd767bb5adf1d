import { baseCluster, updateNode } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

const spec = updateNode(baseCluster(), 'node-3', { sysctls: { conntrackCount: 130912, conntrackMax: 131072 } });

export default {
  about: "node-3's conntrack table is full (130912 of 131072): new NodePort connections through it are dropped",
  spec,
  expect: { top: 'conntrack-table-full', findings: ['conntrack-table-full'] },
} satisfies Scenario;
