/** Edits of a scenario's snapshot for test cases the corpus has no scenario for. */
import type { CommandOutput, Snapshot } from '../../src/snapshot/schema.js';

/** What a node's command printed, to change in place. */
export function nodeCommand(s: Snapshot, node: string, id: string): CommandOutput {
  const out = s.nodes.find((n) => n.name === node)?.commands[id];
  if (out === undefined) throw new Error(`${node} has no ${id} output`);
  return out;
}

/** Rewrites each line of a node's iptables-nft-save dump: `null` drops it, a string replaces it. */
export function editRules(s: Snapshot, node: string, edit: (line: string) => string | null): void {
  const dump = nodeCommand(s, node, 'iptables-nft-save');
  dump.stdout = dump.stdout.split('\n').flatMap((l) => edit(l) ?? []).join('\n');
}
