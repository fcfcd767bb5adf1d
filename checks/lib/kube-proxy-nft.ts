/**
 * Shared reads for kube-proxy in nftables mode (`table ip kube-proxy`): its maps and sets, and the
 * hops of a walk that went through them. kube-proxy names a Service port in element comments as
 * `ns/svc:port`; a NodePort with no usable endpoint is an element `<proto> . <nodePort>` of the
 * verdict map no-endpoint-nodeports whose verdict is `drop` (externalTrafficPolicy Local with no
 * local endpoint) or `goto reject-chain` (no endpoint at all).
 */
import type { Hop } from '../../src/engine/packet/contract.js';
import type { NftSetElement, NftTable } from '../../src/engine/nft/index.js';
import { kubeProxyNftTable } from '../../src/model/proxy-mode.js';
import type { CheckContext, Evidence } from '../../src/run/check.js';

export const NO_ENDPOINT_NODEPORTS = 'no-endpoint-nodeports';
export const NO_ENDPOINT_SERVICES = 'no-endpoint-services';

/** The node's `table ip kube-proxy`, or null when it has none or its rules were not read. */
export function kubeProxyTable(ctx: CheckContext, node: string): NftTable | null {
  const r = ctx.cluster.nodeDataOf(node).rulesFor(4);
  return r.ok ? kubeProxyNftTable(r.plane.nft?.flatMap((rs) => rs.tables) ?? []) : null;
}

/** The verdict a map element holds, as `drop`, `accept`, `goto X`, `jump X`. */
export function verdictOf(e: NftSetElement): string | null {
  const v = e.value;
  if (typeof v !== 'object' || v === null) return null;
  const [k, arg] = Object.entries(v)[0] ?? [];
  if (k === undefined) return null;
  const target = typeof arg === 'object' && arg !== null ? (arg as { target?: unknown }).target : undefined;
  return typeof target === 'string' ? `${k} ${target}` : k;
}

/** The element of a NodePort map (`tcp . 30080`) in the node's kube-proxy table, if any. */
export function nodePortElement(table: NftTable, map: string, protocol: string, nodePort: number): NftSetElement | null {
  const key = `${protocol} . ${nodePort}`;
  return table.sets.get(map)?.elements.find((e) => e.keyText === key) ?? null;
}

/** A walk hop that matched an element of one of kube-proxy's no-endpoint maps. */
export function noEndpointHop(hops: Hop[]): Hop | null {
  return hops.find((h) => h.element !== undefined && (h.element.set === `@${NO_ENDPOINT_NODEPORTS}` || h.element.set === `@${NO_ENDPOINT_SERVICES}`)) ?? null;
}

/** Evidence for a map element: the map, the key, the verdict and kube-proxy's comment. */
export function elementEvidence(node: string, map: string, e: NftSetElement): Evidence {
  return {
    kind: 'output', node, command: 'nft -j list ruleset',
    excerpt: `table ip kube-proxy, map ${map}: ${e.keyText}${e.comment ? ` comment "${e.comment}"` : ''} : ${verdictOf(e) ?? '?'}`,
  };
}
