/**
 * A node whose rules change after np-doctor read them: the replay/wire contradiction, made
 * deterministic without waiting on time. np-doctor runs a node's fixed commands in order in one
 * session, the rule dumps (iptables-*-save, nft, ipvsadm, ipset) before `ss` (listening-sockets,
 * then pod-netns-sockets: snapshot/node-commands.ts), and a node's probes after its commands. So an
 * `ss` first in the node's session PATH (ssh.ts) that runs the real ss and then adds a drop of the
 * nodePort makes the gathered dump say "delivered" while every probe of that nodePort meets the
 * drop: from outside (prerouting) and from the node itself (output), both at raw priority, before
 * conntrack and kube-proxy's DNAT see the packet. The drop is a table of its own, written whole
 * each time (idempotent). The same ss also runs inside each pod namespace (`ip netns exec`), so the
 * wrapper acts only in the node's own network namespace, which it knows by inode.
 */
import { existsSync, statSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../../kernel/lab/exec.js';

export const LATE_DROP_TABLE = 'npd-late-drop';

const firstExisting = (paths: string[]): string => {
  const p = paths.find((x) => existsSync(x));
  if (p === undefined) throw new Error(`none of ${paths.join(', ')} exists`);
  return p;
};

export interface LateDropNode {
  /** The node's network namespace (under /run/netns). */
  ns: string;
  /** The directory first in PATH in its SSH sessions. */
  pathDir: string;
}

/**
 * Arms node `node`: its next np-doctor gathering sees its rules as they are, and then `nodePort`
 * (TCP) is dropped there. The returned function disarms it and removes the drop.
 */
export async function dropNodePortAfterRead(node: LateDropNode, nodePort: number, scratch: string): Promise<() => Promise<void>> {
  if (!Number.isInteger(nodePort) || nodePort < 30000 || nodePort > 32767) throw new Error(`not a nodePort: ${nodePort}`);
  const inode = statSync(join('/run/netns', node.ns)).ino;
  const ss = firstExisting(['/usr/bin/ss', '/bin/ss', '/usr/sbin/ss', '/sbin/ss']);
  const nft = firstExisting(['/usr/sbin/nft', '/sbin/nft', '/usr/bin/nft']);
  const rules = join(scratch, `${LATE_DROP_TABLE}-${node.ns}.nft`);
  const chain = (hook: string) => `  chain ${hook} {\n    type filter hook ${hook} priority raw; policy accept;\n    tcp dport ${nodePort} drop\n  }\n`;
  await writeFile(rules, `add table inet ${LATE_DROP_TABLE}\ndelete table inet ${LATE_DROP_TABLE}\ntable inet ${LATE_DROP_TABLE} {\n${chain('prerouting')}${chain('output')}}\n`);
  const wrapper = join(node.pathDir, 'ss');
  await writeFile(wrapper, [
    '#!/bin/sh',
    '# np-doctor lab (test/support/k8s-lab/late-drop.ts): the real ss, then a drop of one nodePort on this node.',
    `${ss} "$@"`,
    'rc=$?',
    `if [ "$(readlink /proc/self/ns/net)" = 'net:[${inode}]' ]; then ${nft} -f '${rules}' || rc=1; fi`,
    'exit $rc',
    '',
  ].join('\n'), { mode: 0o755 });
  return async () => {
    await rm(wrapper, { force: true });
    await run('nft', ['-f', '-'], { ns: node.ns, input: `add table inet ${LATE_DROP_TABLE}\ndelete table inet ${LATE_DROP_TABLE}\n` });
    await rm(rules, { force: true });
  };
}
