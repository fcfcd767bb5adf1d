/**
 * How np-doctor reaches the lab's nodes: Debian's real sshd in each node namespace on the node's
 * InternalIP (test/support/sshd.ts), one generated user key allowed on all, and a known_hosts file
 * with each node's host key, as an engineer's laptop would have them.
 * The nodes' root has an empty home of its own (test/support/sshd.ts).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKey, startSshd, type KeyPair, type Sshd } from '../sshd.js';

export interface NodeSsh {
  user: string;
  key: KeyPair;
  knownHosts: string;
  /** np-doctor's SSH flags for these nodes. */
  flags: string[];
  /** The sshds' temp directories (host keys, config), for a clean-up that cannot wait (Ctrl-C). */
  dirs: string[];
  stop(): Promise<void>;
}

export async function startNodeSsh(dir: string, nodes: { ns: string; ip: string }[]): Promise<NodeSsh> {
  const key = await generateKey(dir, 'id_ed25519');
  const sshds: Sshd[] = [];
  const stop = async () => {
    for (const s of sshds.reverse()) await s.stop();
  };
  try {
    for (const n of nodes) {
      sshds.push(await startSshd({ ns: n.ns, address: n.ip, authorizedKeys: [key.publicLine] }));
    }
    const knownHosts = join(dir, 'known_hosts');
    await writeFile(knownHosts, nodes.map((n, k) => `${n.ip} ${sshds[k]!.hostKey}\n`).join(''));
    const flags = ['--collect', 'ssh', '--ssh-user', 'root', '--ssh-key', key.privatePath, '--ssh-known-hosts', knownHosts];
    return { user: 'root', key, knownHosts, flags, dirs: sshds.map((x) => x.dir), stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
