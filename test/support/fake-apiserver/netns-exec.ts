/**
 * An ExecHandler that makes the fake's exec reach a kernel lab node: the debug pod np-doctor creates
 * (hostNetwork, hostPID, privileged, hostPath `/` mounted at /host, see kubectl debug's "sysadmin"
 * profile) runs its command on "the node", which in the lab is a network namespace.
 *
 * Why this is faithful:
 *  - A hostNetwork pod has no network namespace of its own; it shares the node's. Netfilter tables,
 *    routes, addresses and conntrack are per network namespace, so `iptables-save` in such a pod
 *    reads exactly the node's rules.
 *  - `chroot /host cmd` (with / of the node mounted at /host) runs the node's own binaries with the
 *    node's config, e.g. its iptables-legacy/nft alternative. `nsenter -t 1 -m -u -i -n -p -- cmd`
 *    (needs hostPID to see the host's PID 1) enters the host's mount, UTS, IPC, net and PID
 *    namespaces, which again means the node's binaries in the node's network namespace.
 *  - A lab node is a network namespace that shares this machine's filesystem, so "the node's
 *    binaries in the node's network namespace" is precisely `ip netns exec <netns> cmd`.
 * What differs: `ip netns exec` remounts /sys and binds /etc/netns/<name>/* (the node's view of the
 * filesystem is otherwise this machine's), PID/UTS/IPC are not separated, and a bare command
 * (without chroot/nsenter) runs this machine's binary too, where a real debug container would run
 * the one in its image. Commands run with a typical node PATH and a timeout.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { constants as os } from 'node:os';
import { join } from 'node:path';
import { ExecutableNotFound, type ExecHandler, type ExecResult } from './exec.js';
import { isObject } from './types.js';

const NODE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

type Entry = 'chroot' | 'nsenter' | 'container';

/** Strips `chroot /host` or `nsenter -t 1 … --`; says which one so failures read like that tool's. */
export function hostCommand(argv: readonly string[]): { entry: Entry; cmd: string[] } {
  if (argv[0] === 'chroot' && argv[1] === '/host') return { entry: 'chroot', cmd: argv.slice(2) };
  if (argv[0] === 'nsenter') {
    let i = 1;
    let target: string | undefined;
    while (i < argv.length) {
      const a = argv[i] as string;
      if (a === '--') {
        i++;
        break;
      }
      if (a === '-t' || a === '--target') {
        target = argv[i + 1];
        i += 2;
        continue;
      }
      if (a.startsWith('--target=')) target = a.slice('--target='.length);
      else if (/^-t\d+$/.test(a)) target = a.slice(2);
      else if (!a.startsWith('-')) break;
      i++;
    }
    if (target !== '1') throw new Error(`nsenter without -t 1 does not reach the host: ${argv.join(' ')}`);
    return { entry: 'nsenter', cmd: argv.slice(i) };
  }
  return { entry: 'container', cmd: [...argv] };
}

function executable(cmd: string): boolean {
  const candidates = cmd.includes('/') ? [cmd] : NODE_PATH.split(':').map((d) => join(d, cmd));
  return candidates.some((p) => {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** What chroot(1) and nsenter(1) print, and their exit status 127, for a command that does not exist. */
function missing(entry: Entry, cmd: string): ExecResult {
  if (entry === 'container') throw new ExecutableNotFound(cmd);
  const msg =
    entry === 'chroot'
      ? `chroot: failed to run command '${cmd}': No such file or directory\n`
      : `nsenter: failed to execute ${cmd}: No such file or directory\n`;
  return { stdout: Buffer.alloc(0), stderr: Buffer.from(msg), exitCode: 127 };
}

export function runInNetns(netns: string, cmd: readonly string[], timeoutMs: number): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(
      'ip',
      ['netns', 'exec', netns, ...cmd],
      { encoding: 'buffer', env: { PATH: NODE_PATH, LC_ALL: 'C' }, timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 },
      (err, stdout, stderr) => {
        let exitCode = 0;
        if (err !== null) {
          const sig = err.signal as NodeJS.Signals | null | undefined;
          // A process killed by a signal reports 128+n, as container runtimes do (137 for SIGKILL).
          exitCode = typeof err.code === 'number' ? err.code : sig ? 128 + (os.signals[sig] ?? 0) : 1;
        }
        resolve({ stdout, stderr, exitCode });
      },
    );
  });
}

/** `nodeNetns` maps a node name (pod.spec.nodeName) to the lab's network namespace for it. */
export function netnsExecHandler(nodeNetns: ReadonlyMap<string, string>, opts: { timeoutMs?: number } = {}): ExecHandler {
  return async (pod, _container, argv) => {
    const nodeName = isObject(pod.spec) ? pod.spec.nodeName : undefined;
    const netns = typeof nodeName === 'string' ? nodeNetns.get(nodeName) : undefined;
    if (netns === undefined) throw new Error(`no lab network namespace for node ${String(nodeName)}`);
    const { entry, cmd } = hostCommand(argv);
    const first = cmd[0];
    if (first === undefined) throw new Error(`no command after ${entry}: ${argv.join(' ')}`);
    if (!executable(first)) return missing(entry, first);
    return runInNetns(netns, cmd, opts.timeoutMs ?? 30_000);
  };
}
