/**
 * Reads for kube-proxy in nftables mode (`table ip kube-proxy`): its maps and the hops of a walk
 * that went through them. A NodePort with no usable endpoint is an element `<proto> . <nodePort>`
 * of the verdict map no-endpoint-nodeports whose verdict is `drop` (externalTrafficPolicy Local
 * with no local endpoint) or `goto reject-chain` (no endpoint at all).
 */
import type { Hop, NftSetElement, NftTable } from '../../src/check-kit/index.js';

export const NO_ENDPOINT_NODEPORTS = 'no-endpoint-nodeports';
const NO_ENDPOINT_SERVICES = 'no-endpoint-services';

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
