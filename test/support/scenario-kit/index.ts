/**
 * The scenario kit: a declarative cluster (spec.ts) → the Snapshot np-doctor would gather from it
 * (build.ts), optionally with every node's iptables dumps and nft ruleset round-tripped through the
 * real kernel (kernel.ts). See spec.ts for the knobs and baseCluster() for the healthy starting point.
 */
export * from './spec.js';
export { ufw, firewalld, firewalldNft, dropNodePortRange, iptablesServices6 } from './host-firewall.js';
export { buildScenarioSnapshot, DEFAULT_TARGET, type BuildOptions } from './build.js';
export { buildScenarioSnapshotFromKernel, loadNodeRules, nodeLoadInput, roundTrip, roundTripNode, type NodeLoadInput } from './kernel.js';
export { buildObjects, clusterObjects, serviceObject, workloadPod, type ClusterObjects } from './objects.js';
export { endpointSlices } from './endpoint-slices.js';
export { ciliumCluster, ciliumObjects, type CiliumSpec } from './cilium.js';
export { kubeProxyInput, nodeRestoreInput, nodeRulesets, type NodeRestoreInput } from './node-rules.js';
export { kubeProxySettings, servicePortPlans, type KubeProxySettings, type ServicePortPlan } from './kube-proxy-rules.js';
export { kubeProxyNftTable } from './kube-proxy-nft.js';
export { nft, nftTableJson, nftText, NftTransaction, type NftCommand, type NftStmt, type NftTableSpec } from './nft-model.js';
export type { NodeDumps } from './node-commands.js';
