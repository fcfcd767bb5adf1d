import { parseAddr, type Addr } from '../address.js';
import { classify, describe, nodeHas, podHas, unreadPod, type Endpoint } from './endpoint.js';
import { evaluatePolicy, type Direction, type PolicyResult, type RuleCtx } from './policy.js';
import type { PortOwner } from './ports.js';
import { uniq } from './truth.js';
import type { PolicyDecision, PolicyPod, PolicyProtocol, PolicyWorld } from './types.js';

/**
 * Whether NetworkPolicy lets one connection through, per the networking.k8s.io/v1 API reference:
 * "Traffic is allowed to a pod if there are no NetworkPolicies selecting the pod …, OR if the traffic
 * source is the pod's local node, OR if the traffic matches at least one ingress rule across all of
 * the NetworkPolicy objects whose podSelector matches the pod." Egress reads the same without the
 * local-node clause. Policies are additive: there is no deny rule, so order does not matter.
 */

/** Ingress to `pod` after DNAT: the pod's own IP and the port the packet really has. */
export function evaluateIngress(world: PolicyWorld, q: { srcIp: string; pod: PolicyPod; port: number; protocol: PolicyProtocol }): PolicyDecision {
  return decide(world, 'ingress', q.pod, q.srcIp, q.port, q.protocol);
}

/** Egress from `pod` to dstIp:port; the destination's named ports resolve when it is a known pod. */
export function evaluateEgress(world: PolicyWorld, q: { pod: PolicyPod; dstIp: string; port: number; protocol: PolicyProtocol }): PolicyDecision {
  return decide(world, 'egress', q.pod, q.dstIp, q.port, q.protocol);
}

function decide(world: PolicyWorld, dir: Direction, pod: PolicyPod, otherIp: string, port: number, protocol: PolicyProtocol): PolicyDecision {
  const role = dir === 'ingress' ? 'source' : 'destination';
  const podText = `pod ${pod.namespace}/${pod.name}`;
  const addr = parseAddr(otherIp);
  if (!addr) {
    const problem = `${role} ${JSON.stringify(otherIp)} is not an IP address`;
    return { verdict: 'indeterminate', reason: `${dir} for ${podText} cannot be evaluated: ${problem}`, isolatedBy: [], unknowns: [problem] };
  }
  const other = classify(world, addr);
  const otherText = `${role} ${describe(other, masqueradeHint(dir, other, pod))}`;
  const conn =
    dir === 'ingress' ? `ingress to ${podText} on ${port}/${protocol} from ${describe(other)}` : `egress from ${podText} to ${describe(other)} on ${port}/${protocol}`;

  const ctx: RuleCtx = { dir, subject: pod, peer: { world, other, addr, role, otherText }, port: { port, protocol }, owner: portOwner(dir, pod, other) };
  const results = world.policies.map((raw, i) => evaluatePolicy(raw, i, ctx));
  const isolating = results.filter((r) => r.isolates.truth === 'yes');
  const isolatedBy = isolating.map((r) => r.ref);
  const names = (rs: PolicyResult[]) => rs.map((r) => `NetworkPolicy ${r.ref.namespace}/${r.ref.name}`).join(', ');

  // The API leaves hostNetwork pods undefined; most plugins cannot tell them from the node.
  if (pod.hostNetwork) {
    const selected = isolating.length ? `, although ${names(isolating)} selects it` : '';
    return {
      verdict: 'allowed',
      reason: `${conn} is treated as allowed: ${podText} uses the host network, NetworkPolicy behaviour for hostNetwork pods is undefined and most network plugins do not isolate them${selected}`,
      isolatedBy: [],
    };
  }
  // "Other pods that are allowed (exception: a pod cannot block access to itself)."
  if (podHas(pod, addr)) return { verdict: 'allowed', reason: `${conn} is allowed: the ${role} is the pod itself, and a pod cannot block access to itself`, isolatedBy };

  const ownNode = dir === 'ingress' ? fromOwnNode(world, pod, addr, other) : null;
  if (ownNode?.truth === 'yes') {
    return { verdict: 'allowed', reason: `${conn} is allowed: NetworkPolicy always allows ingress from the pod's own node (${pod.nodeName})`, isolatedBy };
  }

  const allowing = isolating.find((r) => r.allows.truth === 'yes');
  if (allowing) {
    const { rule = 0, peer = 'all' } = allowing.allows;
    return {
      verdict: 'allowed',
      reason: `${conn} is allowed by ${names([allowing])} ${dir} rule ${rule}: ${allowing.allows.why}`,
      isolatedBy,
      allowedBy: { policy: allowing.ref, rule, peer },
    };
  }
  // Policies that isolate the pod or might: if each of them allows, the traffic passes whichever do.
  const maybe = results.filter((r) => r.isolates.truth !== 'no');
  if (maybe.length === 0) return { verdict: 'allowed', reason: `${conn} is allowed: no NetworkPolicy selects ${podText} for ${dir}`, isolatedBy };
  if (maybe.every((r) => r.allows.truth === 'yes')) {
    const [select, allows] = maybe.length > 1 ? ['select', 'each allows'] : ['selects', 'it allows'];
    return { verdict: 'allowed', reason: `${conn} is allowed: whether ${names(maybe)} ${select} the pod is unknown, but ${allows} this traffic either way`, isolatedBy };
  }

  if (isolating.length && maybe.every((r) => r.allows.truth === 'no') && ownNode?.truth !== 'unknown') {
    return {
      verdict: 'denied',
      reason: `${conn} is denied: ${names(isolating)} ${isolating.length > 1 ? 'isolate' : 'isolates'} the pod for ${dir} and none of ${isolating.length > 1 ? 'their' : 'its'} ${dir} rules match${ownNodeEgressNote(dir, other, pod)}`,
      isolatedBy,
      misses: isolating.map((r) => ({ policy: r.ref, ...(r.miss ?? { rule: -1, why: r.allows.why }) })),
    };
  }

  const unknowns = uniq([
    ...(ownNode?.truth === 'unknown' ? ownNode.unknowns : []),
    ...maybe.flatMap((r) => [...(r.allows.truth !== 'yes' ? r.isolates.unknowns : []), ...r.allows.unknowns]),
  ]);
  const more = unknowns.length > 1 ? ` (and ${unknowns.length - 1} more)` : '';
  return { verdict: 'indeterminate', reason: `whether ${conn} is allowed cannot be decided: ${unknowns[0] ?? 'unknown'}${more}`, isolatedBy, unknowns };
}

/** Named ports resolve on the destination: the pod itself for ingress, the peer pod for egress. */
function portOwner(dir: Direction, pod: PolicyPod, other: Endpoint): PortOwner {
  if (dir === 'ingress') return { kind: 'pod', pod };
  if (other.kind === 'pod') return { kind: 'pod', pod: other.pod };
  const open = unreadPod(other, 'destination');
  return open ? { kind: 'unknown', why: open } : { kind: 'none', why: 'the destination is not a pod' };
}

/** Whether the source is an address of the node the pod runs on; unknown when that node's addresses are. */
function fromOwnNode(world: PolicyWorld, pod: PolicyPod, addr: Addr, other: Endpoint): { truth: 'yes' | 'no' | 'unknown'; unknowns: string[] } {
  const own = nodeHas(world, pod.nodeName, addr);
  if (own !== null) return { truth: own ? 'yes' : 'no', unknowns: [] };
  // A (non-hostNetwork) pod address, or another known node's address when the pod's node is known, is not the pod's node.
  if (other.kind === 'pod' || (other.kind === 'node' && pod.nodeName !== undefined)) return { truth: 'no', unknowns: [] };
  const which = pod.nodeName === undefined ? `the node of pod ${pod.namespace}/${pod.name} is not known` : `the addresses of node ${pod.nodeName} are not known`;
  return { truth: 'unknown', unknowns: [`${which}, so whether source ${addr.text} is the pod's own node (always allowed) cannot be told`] };
}

/** A NodePort packet that another node forwards arrives masqueraded to that node's address. */
function masqueradeHint(dir: Direction, other: Endpoint, pod: PolicyPod): string {
  if (dir !== 'ingress' || other.kind !== 'node' || other.hostPod || other.node === pod.nodeName) return '';
  return `: the source NodePort traffic has when ${other.node} masquerades it`;
}

/** The concepts page says traffic to the pod's own node is always allowed; the API reference says so only for ingress. */
function ownNodeEgressNote(dir: Direction, other: Endpoint, pod: PolicyPod): string {
  if (dir !== 'egress' || other.kind !== 'node' || other.node !== pod.nodeName) return '';
  return ` (the destination is the pod's own node: the API reference exempts only ingress from it, though some plugins also allow egress to it)`;
}
