/**
 * Nodes that walked the same rules to the same answer. kube-proxy writes the same rules for a
 * Service on every node, but each node's chains come in their own order (Go map order), so two
 * nodes' walks differ only in rule positions and in the node's own name and address. A path whose
 * walk is another's, once those are set aside, names that node (sameWalkAs), and the text shows
 * the first in full and the rest on one line.
 *
 * Deciding that two nodes' rules are identical for a Service needs both nodes parsed, and after
 * the parse a walk costs about a millisecond: each node is walked, and equal walks are found here,
 * which is never wrong about a node that differs (a difference anywhere keeps the path apart).
 */
import type { Report } from './model.js';

type ReportPath = Report['paths'][number];

/** `paths` with sameWalkAs set on each path whose walk (same family) an earlier path already took. */
export function markSameWalks(paths: ReportPath[]): ReportPath[] {
  const first = new Map<string, string>();
  return paths.map((p) => {
    const key = walkKey(p);
    const earlier = first.get(key);
    if (earlier === undefined) {
      first.set(key, p.node);
      return p;
    }
    return { ...p, sameWalkAs: earlier };
  });
}

/**
 * The path as a string with what belongs to its own node set aside: rule positions (line,
 * handle) and its name and address wherever they stand as whole words. A backend on another node
 * keeps that node's name, so "local on each node" and "all on node-2" stay apart.
 */
function walkKey(p: ReportPath): string {
  const { node, address, sameWalkAs: _, ...rest } = p;
  const text = JSON.stringify(rest, (k, v: unknown) => (k === 'line' || k === 'handle' ? undefined : v));
  // A why or a summary names the rule by its position too ("… line 41 on node-1").
  const unplaced = text.replace(/\b(line|handle) \d+\b/g, '$1 #');
  return [node, address].reduce((s, word) => s.replace(wholeWord(word), '\u0000'), unplaced);
}

/**
 * `word` where no name or address character touches it: node-1 is not found in node-10, nor
 * 10.0.0.1 in 10.0.0.10. A port may follow a name or an IPv4 address (`10.0.0.1:30080`); after an
 * IPv6 address a colon may go on with the address, and IPv6 with a port is bracketed anyway.
 */
function wholeWord(word: string): RegExp {
  const escaped = JSON.stringify(word).slice(1, -1).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const after = word.includes(':') ? '[\\w.:-]' : '[\\w.-]';
  return new RegExp(`(?<![\\w.:-])${escaped}(?!${after})`, 'g');
}
