/**
 * The engine as checks see it: the types of what they read (rules, walks, paths, IPVS and nft
 * state, policy decisions) and the few pure functions the kit calls. This is the kit's one import
 * of src/engine, so checks and plugins never reach into the engine's files.
 */
export type { Chain, Rule, Ruleset } from '../engine/iptables/ruleset.js';
export type { Hop, Outcome, Protocol } from '../engine/packet/contract.js';
export { FORWARDING_SYSCTL } from '../engine/packet/contract.js';
export type { ClientResult, NodePath, PathBranch, PathStage } from '../engine/path.js';
export type { IpvsReal, IpvsService, IpvsState } from '../engine/ipvs/index.js';
export type { NftSetElement, NftTable } from '../engine/nft/index.js';
export type { PolicyDecision, PolicyPod, PolicyProtocol, PolicyWorld } from '../engine/netpol/index.js';
export { evaluateIngress } from '../engine/netpol/index.js';
export { decodeRule, parseIptablesSave, ruleAt, rulesOf } from '../engine/iptables/parse.js';
export { parseRule } from '../engine/iptables/rule.js';
export { tokenize } from '../engine/iptables/tokenize.js';
export { cidrContains, hostPort, isLoopback, parseAddr, parseCidr } from '../engine/address.js';
