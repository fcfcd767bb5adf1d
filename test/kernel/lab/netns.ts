/**
 * Network namespace lifecycle. Every namespace this process creates is named `npd<pid>-<suffix>`,
 * so parallel test processes never collide, and a later run can recognise (and remove) what a
 * crashed run left behind: an `npd<pid>-` namespace whose pid is no longer alive.
 */
import { run } from './exec.js';

export const NS_PREFIX = `npd${process.pid}-`;

const STALE = /^npd(\d+)-/;

export async function listNamespaces(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list']);
  // Lines look like `name (id: 3)` or just `name`.
  return stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n !== '');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM means it exists but is not ours to signal: still alive.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes a namespace and ends the lab processes still running in it (servers, monitors). */
export async function deleteNamespace(name: string): Promise<void> {
  const pids = await run('ip', ['netns', 'pids', name], { allowFail: true });
  for (const p of pids.stdout.split('\n').filter((s) => /^\d+$/.test(s))) {
    try {
      process.kill(Number(p), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await run('ip', ['netns', 'del', name], { allowFail: true });
}

/** Deletes namespaces left by lab runs whose process has died. Never touches a live run's. */
export async function cleanupStale(): Promise<string[]> {
  const removed: string[] = [];
  for (const name of await listNamespaces()) {
    const m = STALE.exec(name);
    if (m === null) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || alive(pid)) continue;
    await deleteNamespace(name);
    removed.push(name);
  }
  return removed;
}

/** Deletes every namespace of this process (the `finally` of each scenario). */
export async function cleanupOwn(): Promise<void> {
  for (const name of await listNamespaces()) {
    if (name.startsWith(NS_PREFIX)) await deleteNamespace(name);
  }
}
