import { cidrContains, parseCidr, type Addr } from '../address.js';
import { describe, unreadPod, type Endpoint } from './endpoint.js';
import { formatSelector, fullyKnown, matchRequirements, parseSelector, type LabelView } from './selectors.js';
import { allOf, no, unknown, yes, type Finding } from './truth.js';
import type { PolicyWorld } from './types.js';

/**
 * NetworkPolicyPeer: either an ipBlock, or a podSelector and/or namespaceSelector (never both kinds,
 * never neither). podSelector alone selects pods in the policy's namespace; namespaceSelector alone
 * selects every pod in the matching namespaces; both select matching pods in matching namespaces.
 */

export interface PeerCtx {
  world: PolicyWorld;
  /** The policy's own namespace. */
  policyNs: string;
  /** The other side of the connection: the source for ingress, the destination for egress. */
  other: Endpoint;
  addr: Addr;
  role: 'source' | 'destination';
  /** `source 192.168.49.2 (an address of node node-b)`. */
  otherText: string;
}

/** Every namespace carries kubernetes.io/metadata.name=<name>, set and kept by the API server. */
export const NAME_LABEL = 'kubernetes.io/metadata.name';

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const present = (v: unknown): boolean => v !== undefined && v !== null;
const show = (v: unknown): string => JSON.stringify(v) ?? String(v);

export function matchPeer(raw: unknown, at: string, ctx: PeerCtx): Finding {
  if (!isRecord(raw)) return unknown(`${at}: ${show(raw)} is not a peer`);
  const hasBlock = present(raw.ipBlock);
  const hasSelector = present(raw.podSelector) || present(raw.namespaceSelector);
  if (hasBlock && hasSelector) return unknown(`${at}: ipBlock cannot be combined with podSelector or namespaceSelector`);
  if (hasBlock) return matchIpBlock(raw.ipBlock, `${at}.ipBlock`, ctx);
  if (hasSelector) return matchSelectors(raw, at, ctx);
  return unknown(`${at}: a peer needs an ipBlock, podSelector or namespaceSelector`);
}

/** A CIDR as Kubernetes validates it: `address/prefix`, nothing else. */
function blockCidr(text: unknown) {
  return typeof text === 'string' && /\/\d+$/.test(text) ? parseCidr(text) : null;
}

/**
 * ipBlock is decided by address alone. It is meant for cluster-external addresses; whether a
 * plugin also applies it to pod IPs (after or before NAT) varies, which a match on a pod says.
 */
function matchIpBlock(raw: unknown, at: string, ctx: PeerCtx): Finding {
  if (!isRecord(raw)) return unknown(`${at}: ${show(raw)} is not an ipBlock`);
  const cidr = blockCidr(raw.cidr);
  if (!cidr) return unknown(`${at}.cidr: ${show(raw.cidr)} is not a CIDR`);
  const text = raw.cidr as string;
  const except = raw.except ?? [];
  if (!Array.isArray(except)) return unknown(`${at}.except: ${show(except)} is not a list`);
  if (!cidrContains(cidr, ctx.addr)) return no(`ipBlock ${text} does not contain ${ctx.otherText}`);
  for (const [i, e] of (except as unknown[]).entries()) {
    const c = blockCidr(e);
    if (!c) return unknown(`${at}.except[${i}]: ${show(e)} is not a CIDR`);
    if (cidrContains(c, ctx.addr)) return no(`ipBlock ${text} contains ${ctx.otherText} but its except ${e as string} excludes it`);
  }
  const note = ctx.other.kind === 'pod' ? '; ipBlock is meant for cluster-external addresses, and whether a network plugin applies it to pod IPs varies' : '';
  return yes(`ipBlock ${text} contains ${ctx.otherText}${note}`);
}

function matchSelectors(raw: Record<string, unknown>, at: string, ctx: PeerCtx): Finding {
  const podReqs = present(raw.podSelector) ? parseSelector(raw.podSelector, `${at}.podSelector`) : null;
  const nsReqs = present(raw.namespaceSelector) ? parseSelector(raw.namespaceSelector, `${at}.namespaceSelector`) : null;
  if (typeof podReqs === 'string') return unknown(podReqs);
  if (typeof nsReqs === 'string') return unknown(nsReqs);
  const peer = [nsReqs && `namespaceSelector ${formatSelector(nsReqs)}`, podReqs && `podSelector ${formatSelector(podReqs)}`].filter(Boolean).join(' + ');

  const { other } = ctx;
  if (other.kind !== 'pod') {
    const open = unreadPod(other, ctx.role);
    if (open) return unknown(`${open}, so ${at} (${peer}) cannot be evaluated`);
    return no(`${ctx.role} ${describe(other)} is not a pod, and ${peer} matches only pods`);
  }
  const pod = other.pod;
  const podPart = podReqs ? labelled(`pod labels`, matchRequirements(podReqs, fullyKnown(pod.labels))) : yes('');
  const nsPart = nsReqs
    ? labelled(`namespace ${pod.namespace}`, matchRequirements(nsReqs, namespaceView(ctx.world, pod.namespace, `${at}.namespaceSelector ${formatSelector(nsReqs)}`)))
    : pod.namespace === ctx.policyNs
      ? yes('')
      : no(`namespace ${pod.namespace} is not the policy's namespace ${ctx.policyNs}`);
  const both = allOf([nsPart, podPart]);
  if (both.truth === 'yes') return yes(`${ctx.otherText} matches ${peer}`);
  if (both.truth === 'no') return no(`${ctx.otherText} does not match ${peer}: ${both.why}`);
  return both;
}

const labelled = (what: string, f: Finding): Finding => (f.truth === 'no' ? { ...f, why: `${what}: ${f.why}` } : f);

/** A namespace's labels as far as they are known: always its name label. */
function namespaceView(world: PolicyWorld, name: string, selector: string): LabelView {
  const own = { [NAME_LABEL]: name };
  const ns = world.namespaces?.find((n) => n.name === name);
  if (ns) return fullyKnown({ ...ns.labels, ...own });
  const why = world.namespaces === null ? 'namespace labels were not gathered' : `namespace ${name} was not among the gathered namespaces`;
  return { labels: own, known: (key) => key === NAME_LABEL, missing: `${why}, so ${selector} cannot be evaluated for namespace ${name}` };
}
