/**
 * A node as np-doctor keeps it once read: nft-ruleset without the rules iptables-nft-save already
 * holds (slim-nft.ts), and every output in the gathering's chunk store, so a hundred nodes that
 * print nearly the same dumps take the memory of one and their differences.
 */
import { intoStore, type ChunkStore } from './chunk-store.js';
import type { NodeState } from './schema.js';
import { slimNode } from './slim-nft.js';

export function storeNode(store: ChunkStore, node: NodeState): NodeState {
  const slim = slimNode(node);
  return { ...slim, commands: Object.fromEntries(Object.entries(slim.commands).map(([id, out]) => [id, intoStore(store, out)])) };
}
