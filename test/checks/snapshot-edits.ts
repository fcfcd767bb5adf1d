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

/** A snapshot from before np-doctor read pods' sockets: no pod-netns commands at all. */
export const withoutPodSockets = (s: Snapshot) => {
  for (const n of s.nodes) {
    delete n.commands['pod-netns-addresses'];
    delete n.commands['pod-netns-sockets'];
  }
};

/** node-2 read by the default debug pod: ip prints each namespace's header, then cannot enter it. */
export const debugPodWithoutSysAdmin = (s: Snapshot) => {
  const node = s.nodes.find((n) => n.name === 'node-2');
  if (node === undefined) throw new Error('no node-2');
  node.access = 'debug-pod';
  for (const id of ['pod-netns-addresses', 'pod-netns-sockets']) {
    const out = nodeCommand(s, 'node-2', id);
    const names = [...out.stdout.matchAll(/^netns: (.*)$/gm)].map((m) => m[1] ?? '');
    out.stdout = names.map((n) => `\nnetns: ${n}\n`).join('');
    out.stderr = names.map((n) => `setting the network namespace "${n}" failed: Operation not permitted\n`).join('');
  }
};
