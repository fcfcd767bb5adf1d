/**
 * The iptables rules kube-proxy writes for a Service port, found in a node's dump: its "has no
 * (local) endpoints" rules, the KUBE-SERVICES → KUBE-NODEPORTS tail rules, and whether a dump
 * holds its service rules at all. kube-proxy names a Service port in comments as `ns/name:port`.
 */
import { readableRules, type Rule, type Ruleset, type ServiceInfo, type ServicePort } from '../../src/check-kit/index.js';
import { chainOf, commentOf, dportOf, targetOf } from './iptables-rule.js';

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
  const modern = readableRules(rs, 'filter', 'KUBE-EXTERNAL-SERVICES').filter((r) => commentOf(r) === wanted && dportOf(r) === nodePort);
  const nat = rs.tables.get('nat');
  const old: Rule[] = [];
  if (nat !== undefined) {
    for (const c of nat.chains.values()) {
      if (!c.name.startsWith('KUBE-XLB-')) continue;
      old.push(...readableRules(rs, 'nat', c.name).filter((r) => commentOf(r) === wanted));
    }
  }
  return [...modern, ...old];
}

/** kube-proxy's "<svc> has no endpoints" REJECT rules for the Service port in a dump (filter table). */
export function noEndpointsRejectRules(rs: Ruleset, svcPort: string): Rule[] {
  const wanted = `${svcPort} ${NO_ENDPOINTS}`;
  return ['KUBE-EXTERNAL-SERVICES', 'KUBE-SERVICES'].flatMap((c) => readableRules(rs, 'filter', c).filter((r) => commentOf(r) === wanted));
}

/** The KUBE-SERVICES → KUBE-NODEPORTS tail rules ("kubernetes service nodeports; NOTE: …"). */
export function nodePortTailRules(rs: Ruleset): Rule[] {
  return readableRules(rs, 'nat', 'KUBE-SERVICES').filter((r) => targetOf(r) === 'KUBE-NODEPORTS');
}

/** True when the ruleset holds kube-proxy's service rules (nat KUBE-SERVICES or KUBE-NODEPORTS). */
export function hasKubeProxyRules(rs: Ruleset): boolean {
  return chainOf(rs, 'nat', 'KUBE-SERVICES') !== undefined || chainOf(rs, 'nat', 'KUBE-NODEPORTS') !== undefined;
}
