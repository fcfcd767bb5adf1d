/**
 * How np-doctor reaches the lab's nodes: Debian's real sshd in each node namespace on the node's
 * InternalIP (test/support/sshd.ts), one generated user key allowed on all, and a known_hosts file
 * with each node's host key, as an engineer's laptop would have them.
 * The nodes' root has an empty home of its own (test/support/sshd.ts).
 *
 * A node's sessions see its own /run/netns (node-netns.ts, bound in sshd's mount namespace), and
 * have a directory of the node's own first in PATH (sshd's SetEnv overrides the PATH sshd would
 * give, for root too, on OpenSSH 9.2): empty, so the node's tools run, until a scenario puts a
 * wrapper there (late-drop.ts). np-doctor appends its sbin directories to the session's PATH, so
 * the directory stays first.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { generateKey, startSshd, type KeyPair, type Sshd } from '../sshd.js';

const exec = promisify(execFile);

/** The PATH Debian's sshd gives root (its SUPERUSER_PATH), after the node's own directory. */
const ROOT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface SshNode {
  ns: string;
  ip: string;
  /** What the node's sessions see as /run/netns. */
  netnsDir: string;
}

export interface NodeSsh {
  user: string;
  key: KeyPair;
  knownHosts: string;
  /** np-doctor's SSH flags for these nodes. */
  flags: string[];
  /** The sshds' temp directories (host keys, config), for a clean-up that cannot wait (Ctrl-C). */
  dirs: string[];
  /** Node k's directory, first in PATH in its SSH sessions. */
  pathDirs: string[];
  /** Runs `words` on node k as root through the system's ssh client (the words are the lab's own). */
  run(k: number, words: string[]): Promise<{ stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

/** Words the remote shell reads as they are (ssh joins its arguments into one command line). */
const PLAIN = /^[\w./:@=,+-]+$/;

export async function startNodeSsh(dir: string, nodes: SshNode[]): Promise<NodeSsh> {
  const key = await generateKey(dir, 'id_ed25519');
  const sshds: Sshd[] = [];
  const stop = async () => {
    for (const s of sshds.reverse()) await s.stop();
  };
  try {
    const pathDirs: string[] = [];
    for (const [k, n] of nodes.entries()) {
      const pathDir = join(dir, `node-${k}-path`);
      await mkdir(pathDir, { mode: 0o755 });
      pathDirs.push(pathDir);
      sshds.push(await startSshd({
        ns: n.ns, address: n.ip, authorizedKeys: [key.publicLine],
        binds: [{ source: n.netnsDir, target: '/run/netns' }],
        config: [`SetEnv PATH=${pathDir}:${ROOT_PATH}`],
      }));
    }
    const knownHosts = join(dir, 'known_hosts');
    await writeFile(knownHosts, nodes.map((n, k) => `${n.ip} ${sshds[k]!.hostKey}\n`).join(''));
    const flags = ['--collect', 'ssh', '--ssh-user', 'root', '--ssh-key', key.privatePath, '--ssh-known-hosts', knownHosts];
    const run = async (k: number, words: string[]) => {
      const bad = words.find((w) => !PLAIN.test(w));
      if (bad !== undefined) throw new Error(`not a plain word for a remote command: ${JSON.stringify(bad)}`);
      const n = nodes[k];
      if (n === undefined) throw new Error(`no node ${k}`);
      return exec('ssh', ['-F', '/dev/null', '-i', key.privatePath, '-o', 'BatchMode=yes', '-o', `UserKnownHostsFile=${knownHosts}`,
        '-o', 'StrictHostKeyChecking=yes', `root@${n.ip}`, '--', ...words], { timeout: 30_000 });
    };
    return { user: 'root', key, knownHosts, flags, dirs: sshds.map((x) => x.dir), pathDirs, run, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
