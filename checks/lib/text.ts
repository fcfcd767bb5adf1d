/** Words for messages: lists, shares, nodes with their address. */
import { familyOf, type Nodes } from '../../src/check-kit/index.js';

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

/** Levenshtein distance: the fewest single-character insertions, deletions and substitutions from a to b. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- j - 1 and j index both rows, which hold b.length + 1 entries
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  // eslint-disable-next-line @typescript-eslint/no-non-null-assertion -- the last row holds b.length + 1 entries
  return prev[b.length]!;
}
