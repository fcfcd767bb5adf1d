/**
 * The check kit: everything a check uses, built-in or plugin. checks/ imports from here (and from
 * checks/lib); the package root (src/api.ts) exports it as it is.
 */
export { defineCheck, formatMessage, CheckDefinitionError, REQUIREMENTS } from './define.js';
export type { Check, CheckDefinition, FindingInput, FindingMessage, MessageData, Messages, Placeholders, Requirement } from './define.js';
export { DATA_REQUIREMENTS } from './context.js';
export type { CheckContext, CheckQuestion, ClusterData, DataRequirement, FullCheckContext, NodePortOf } from './context.js';
export type { ApiServer, CoreDns, EndpointSlices, KubeProxy, NetworkPolicies, Nodes, Pods, PortedEndpoint, Services } from './cluster-queries.js';
export { iptablesDumpIds } from './node-state.js';
export type { GatheredNode, IptablesDumpId } from './node-state.js';
export { SEVERITIES, STAGES } from './model.js';
export type { Evidence, Remediation, Severity, Stage } from './model.js';
export { sh, renderCommand, quoteWord, CommandError } from './command.js';
export type { Command, Interpolation } from './command.js';
export { ruleSpecWords } from './rule-words.js';
export { chainEvidence, eachReadableRule, hopRule, ingressOutcomes, readableRules, ruleEvidence } from './rules.js';
export { editDistance } from '../text/edit-distance.js';
export { familyOf, hostCidr, inCidr, isIp, isLoopbackIp } from './address.js';
export { probeEvidence, probeTargetText } from './probes.js';
export { hostPort, ruleAt, rulesOf } from './engine.js';
export type {
  Chain, ClientResult, Hop, IpvsReal, IpvsService, IpvsState, NftSetElement, NftTable, NodePath, Outcome, PathBranch,
  PathStage, PolicyDecision, Protocol, Rule, Ruleset,
} from './engine.js';
export type { ContainerPort, NodeInfo, PodInfo, ServiceInfo, ServicePort, SliceEndpoint } from '../model/kube.js';
export type { ObservedMode } from '../model/proxy-mode.js';
export type { ProxyReplacement, ReplacementName } from '../model/proxy-replacement.js';
export type { CiliumBackend, CiliumService, CiliumTable } from '../model/cilium-services.js';
export { boundText, listenerFor, reaches } from '../model/sockets.js';
export { FORWARDING_SYSCTL } from './engine.js';
export { ipFamiliesOf } from '../model/cluster.js';
export type { Listener, ListeningSocket, PodSockets } from '../model/sockets.js';
export type { IpLink, IpLinkAddress } from '../model/ip-links.js';
export type { CommandOutput, KubeObject, KubeProxyConfig } from '../snapshot/schema.js';
export { contentKey } from '../snapshot/chunk-store.js';
export type { Probe, ProbeKind, ProbeResult } from '../snapshot/probe.js';
