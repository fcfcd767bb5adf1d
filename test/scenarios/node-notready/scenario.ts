import { baseCluster, updateNode } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/**
 * node-2's kubelet stopped posting status (Ready=Unknown), so the node lifecycle controller marked
 * its frontend pod not ready. The client uses node-3, whose own frontend pod still serves.
 */
const spec = updateNode(baseCluster(), 'node-2', { ready: false });
for (const p of spec.pods.filter((x) => x.node === 'node-2')) p.ready = false;

export default {
  about: 'node-2, which runs a frontend pod, is NotReady (kubelet stopped posting status); the client connects through node-3',
  spec,
  ask: { node: 'node-3' },
  expect: { top: 'node-not-ready', findings: ['node-not-ready'] },
} satisfies Scenario;
