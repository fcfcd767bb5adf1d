/**
 * The scenario kit: a declarative cluster (spec.ts) → the Snapshot np-doctor would gather from it
 * (build.ts), optionally with every node's iptables dumps round-tripped through the real kernel
 * (kernel.ts). See spec.ts for the knobs and baseCluster() for the healthy starting point.
 */
export * from './spec.js';
export { ufw, firewalld, dropNodePortRange } from './host-firewall.js';
export { buildScenarioSnapshot, DEFAULT_TARGET, type BuildOptions } from './build.js';
export { buildScenarioSnapshotFromKernel, roundTrip } from './kernel.js';
export { buildObjects, clusterObjects, type ClusterObjects } from './objects.js';
export { endpointSlices } from './endpoint-slices.js';
export { nodeRestoreInput, nodeRulesets } from './node-rules.js';
export type { NodeDumps } from './node-commands.js';
