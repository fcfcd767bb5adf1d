/** Words for messages: lists, shares, nodes with their address. */
import { familyOf, type Nodes } from '../../src/check-kit/index.js';

export { editDistance } from '../../src/check-kit/index.js';

/** Joins names for a message: `a`, `a and b`, `a, b and c`. */
export function listText(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** A share of connections (0..1) as a whole percentage: `33%`. */
export const percent = (share: number) => `${Math.round(share * 100)}%`;

/** A node with its first InternalIP of the family asked about (else its first), for messages: `node-2 (192.168.1.102)`. */
export function nodeLabel(nodes: Nodes, node: string, family: 4 | 6): string {
  const ip = nodeIp(nodes, node, family);
  return ip === undefined ? node : `${node} (${ip})`;
}

/** A node's first InternalIP of the family (a dual-stack node lists one per family), else its first. */
export function nodeIp(nodes: Nodes, node: string, family: 4 | 6): string | undefined {
  const ips = nodes.get(node)?.internalIPs ?? [];
  return ips.find((ip) => familyOf(ip) === family) ?? ips[0];
}
