/**
 * The iptables rules kube-proxy writes for a Service port, found in a node's dump: its "has no
 * (local) endpoints" rules, the KUBE-SERVICES → KUBE-NODEPORTS tail rules, and whether a dump
 * holds its service rules at all. kube-proxy names a Service port in comments as `ns/name:port`.
 */
import { readableRules, type Rule, type Ruleset, type ServiceInfo, type ServicePort } from '../../src/check-kit/index.js';
import { chainOf, commentOf, dportOf, rulesKeyed, targetOf } from './iptables-rule.js';

/** kube-proxy's name for a Service port: `ns/name:port`, or `ns/name` for an unnamed port. */
export function servicePortName(svc: ServiceInfo, port: ServicePort): string {
  const name = port.name.startsWith('#') ? '' : port.name;
  return `${svc.namespace}/${svc.name}${name === '' ? '' : `:${name}`}`;
}

/** The rules kube-proxy writes when it believes no endpoint of the Service runs on this node. */
export const NO_LOCAL = 'has no local endpoints';
/** …and when it believes the Service has no usable endpoint at all. */
const NO_ENDPOINTS = 'has no endpoints';

/**
 * kube-proxy's "<svc> has no local endpoints" rules for this Service port's nodePort: the filter
 * KUBE-EXTERNAL-SERVICES DROP (kube-proxy ≥ 1.25) and the older nat KUBE-XLB-* → KUBE-MARK-DROP.
 */
export function noLocalEndpointRules(rs: Ruleset, svcPort: string, nodePort: number): Rule[] {
  const wanted = `${svcPort} ${NO_LOCAL}`;
  const modern = byComment(rs, 'filter', 'KUBE-EXTERNAL-SERVICES', wanted).filter((r) => dportOf(r) === nodePort);
  const old = xlbChains(rs).flatMap((c) => byComment(rs, 'nat', c, wanted));
  return [...modern, ...old];
}

/** A chain's rules with this comment (grouped once per ruleset: asked once per Service). */
const byComment = (rs: Ruleset, table: string, chain: string, comment: string): Rule[] =>
  rulesKeyed(rs, table, chain, 'comment', (r) => [commentOf(r) ?? ''], [comment]).filter((r) => commentOf(r) === comment);

const xlb = new WeakMap<Ruleset, string[]>();

/** The nat KUBE-XLB-* chains (kube-proxy before 1.25), listed once per ruleset. */
function xlbChains(rs: Ruleset): string[] {
  let names = xlb.get(rs);
  if (names === undefined) xlb.set(rs, names = [...(rs.tables.get('nat')?.chains.keys() ?? [])].filter((n) => n.startsWith('KUBE-XLB-')));
  return names;
}

/** kube-proxy's "<svc> has no endpoints" REJECT rules for the Service port in a dump (filter table). */
export function noEndpointsRejectRules(rs: Ruleset, svcPort: string): Rule[] {
  const wanted = `${svcPort} ${NO_ENDPOINTS}`;
  return ['KUBE-EXTERNAL-SERVICES', 'KUBE-SERVICES'].flatMap((c) => byComment(rs, 'filter', c, wanted));
}

/** The KUBE-SERVICES → KUBE-NODEPORTS tail rules ("kubernetes service nodeports; NOTE: …"). */
export function nodePortTailRules(rs: Ruleset): Rule[] {
  return readableRules(rs, 'nat', 'KUBE-SERVICES').filter((r) => targetOf(r) === 'KUBE-NODEPORTS');
}

/** True when the ruleset holds kube-proxy's service rules (nat KUBE-SERVICES or KUBE-NODEPORTS). */
export function hasKubeProxyRules(rs: Ruleset): boolean {
  return chainOf(rs, 'nat', 'KUBE-SERVICES') !== undefined || chainOf(rs, 'nat', 'KUBE-NODEPORTS') !== undefined;
}
