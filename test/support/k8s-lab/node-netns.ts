/**
 * What each lab node's /run/netns holds: its own pods' network namespaces and nothing else, as on a
 * containerd or CRI-O node. Every namespace on this machine lives in its one /run/netns (every lab's,
 * other test processes' too), so np-doctor's `ip -all netns exec …` on a lab node would walk all of
 * them, other labs' pods at the same addresses included.
 *
 * Each node gets a directory (LOCK_DIR/<prefix>n<k>-netns) that its sshd binds over /run/netns in
 * the sshd's own mount namespace (ssh.ts, test/support/sshd.ts binds). The directory is made a
 * shared mount here, and `ip netns exec` (which starts sshd) makes sshd's mount namespace a slave of
 * this one, so a pod namespace bound into the directory later appears in the node's sessions at once,
 * and an unmount disappears from them (mount propagation; a bind of a slave mount is a slave too).
 * Deleting a namespace (`ip netns del`) leaves it alive while a bind of it remains: remove() first.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../kernel/lab/exec.js';
import { alive, LOCK_DIR } from './locks.js';

export interface NodeNetns {
  /** Node k's directory: what its SSH sessions see as /run/netns. */
  dir(k: number): string;
  /** Shows namespace `ns` (a name under /run/netns) in node k's /run/netns. */
  add(k: number, ns: string): Promise<void>;
  /** Takes it away again (idempotent). */
  remove(k: number, ns: string): Promise<void>;
  /** Unmounts and removes every directory, synchronously (also used on Ctrl-C). */
  closeSync(): void;
}

const STALE = /^npd(\d+)-.*-netns$/;

/** Lazily unmounts everything under `dir` and `dir` itself, then removes it; a directory already gone is fine. */
function removeDir(dir: string): void {
  try {
    execFileSync('umount', ['--recursive', '--lazy', dir], { stdio: 'ignore' });
  } catch {
    // not mounted (a crash between mkdir and mount), or gone
  }
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    // still busy: the next run's stale clean-up tries again
  }
}

/** Removes the directories of lab processes that died without cleaning up (they keep namespaces alive). */
function removeStale(): void {
  let names: string[];
  try {
    names = readdirSync(LOCK_DIR);
  } catch {
    return;
  }
  for (const name of names) {
    const m = STALE.exec(name);
    if (m !== null && Number(m[1]) !== process.pid && !alive(Number(m[1]))) removeDir(join(LOCK_DIR, name));
  }
}

/** One directory per node, named from the lab's namespace prefix (`npd<pid>-k<id>-`). */
export async function nodeNetnsViews(prefix: string, nodes: number): Promise<NodeNetns> {
  removeStale();
  const dirs = Array.from({ length: nodes }, (_, k) => join(LOCK_DIR, `${prefix}n${k}-netns`));
  const closeSync = () => {
    for (const d of dirs) removeDir(d);
  };
  try {
    for (const d of dirs) {
      mkdirSync(d, { recursive: true, mode: 0o755 });
      await run('mount', ['--bind', d, d]);
      await run('mount', ['--make-shared', d]);
    }
  } catch (e) {
    closeSync();
    throw e;
  }
  const dir = (k: number) => {
    const d = dirs[k];
    if (d === undefined) throw new Error(`no node ${k}`);
    return d;
  };
  return {
    dir,
    async add(k, ns) {
      const file = join(dir(k), ns);
      writeFileSync(file, '', { mode: 0o444 });
      await run('mount', ['--bind', join('/run/netns', ns), file]);
    },
    async remove(k, ns) {
      const file = join(dir(k), ns);
      await run('umount', [file], { allowFail: true });
      rmSync(file, { force: true });
    },
    closeSync,
  };
}
