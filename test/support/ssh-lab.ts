/**
 * Network namespaces for the SSH tests, reachable from the namespace the tests run in (unlike the
 * kernel lab, whose namespaces only talk to each other): the SSH client here is ssh2 in the test
 * process itself.
 *
 *   direct:   [root ns] np<pid>r<k> 10.213.X.1 ── veth ── eth0 10.213.X.2 [node]
 *
 *   bastion:  [root ns] np<pid>r<k> 10.213.X.1 ── veth ── eth0 10.213.X.2 [bastion]
 *             [bastion] int0 10.213.Y.1 ── veth ── eth0 10.213.Y.2 [node]
 *             The bastion has ip_forward=0, so only an SSH tunnel through it reaches the node.
 *             The root namespace routes 10.213.Y.0/24 to the bastion: a direct attempt dies there
 *             (host unreachable) instead of leaving the machine by the default route.
 *
 * Namespaces are named `npd<pid>-…` like the kernel lab's, so its cleanupStale() removes what a
 * crashed run left; the root-side veth and the route go with them (a veth pair dies with either
 * end). X and Y are /24s under 10.213.0.0/16 that no address or route of this machine uses yet.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { run } from '../kernel/lab/exec.js';
import { NS_PREFIX, deleteNamespace } from '../kernel/lab/netns.js';

export interface LabHost {
  /** Namespace name; run things in it with `ip netns exec`. */
  ns: string;
  address: string;
}

export interface DirectLab {
  node: LabHost;
  /** The test process's address on the link. */
  rootAddress: string;
  close(): Promise<void>;
}

export interface BastionLab {
  /** Reachable from the test process. */
  bastion: LabHost;
  /** The bastion's address on the internal net. */
  bastionInternal: string;
  /** Reachable only through the bastion. */
  node: LabHost;
  close(): Promise<void>;
}

let labCount = 0;
const claimed = new Set<number>();

/** A third octet X such that 10.213.X.0/24 appears in no address or route here. */
async function freeSubnet(): Promise<number> {
  const addrs = await run('ip', ['-4', '-o', 'addr', 'show']);
  const routes = await run('ip', ['-4', 'route', 'show', 'table', 'all']);
  const taken = new Set([...`${addrs.stdout}\n${routes.stdout}`.matchAll(/10\.213\.(\d+)\./g)].map((m) => Number(m[1])));
  // Start at a pid-dependent octet so parallel test processes rarely probe the same one.
  const start = process.pid % 250;
  for (let i = 0; i < 250; i++) {
    const x = ((start + i) % 250) + 1;
    if (!taken.has(x) && !claimed.has(x)) {
      claimed.add(x);
      return x;
    }
  }
  throw new Error('ssh lab: no free /24 left in 10.213.0.0/16');
}

async function addNamespace(name: string): Promise<void> {
  await run('ip', ['netns', 'add', name]);
  await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  // New namespaces start with forwarding off; say so, the bastion layout depends on it.
  await run('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=0'], { ns: name });
}

/** Runs `close` steps even when some fail; nothing here may leave namespaces behind. */
function closer(namespaces: string[], rootIf: string): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => {
    done ??= (async () => {
      for (const ns of namespaces) await deleteNamespace(ns);
      await run('ip', ['link', 'del', rootIf], { allowFail: true });
    })();
    return done;
  };
}

/** A veth from the root namespace into `ns` (its end named eth0), with X.1 here and X.2 there. */
async function linkFromRoot(ns: string, rootIf: string, x: number): Promise<void> {
  await run('ip', ['link', 'add', rootIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  await run('ip', ['addr', 'add', `10.213.${x}.1/24`, 'dev', rootIf]);
  await run('ip', ['link', 'set', rootIf, 'up']);
  await run('ip', ['-n', ns, 'addr', 'add', `10.213.${x}.2/24`, 'dev', 'eth0']);
  await run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
}

/** One node namespace on a link to the test process. */
export async function createDirectLab(): Promise<DirectLab> {
  const k = labCount++;
  const ns = `${NS_PREFIX}ssh${k}`;
  // Interface names are at most 15 bytes: "np" + pid (≤ 7 digits) + "r" + k.
  const rootIf = `np${process.pid}r${k}`;
  const close = closer([ns], rootIf);
  try {
    const x = await freeSubnet();
    await addNamespace(ns);
    await linkFromRoot(ns, rootIf, x);
    return { node: { ns, address: `10.213.${x}.2` }, rootAddress: `10.213.${x}.1`, close };
  } catch (e) {
    await close();
    throw e;
  }
}

/** A bastion reachable from the test process, and a node reachable only through it. */
export async function createBastionLab(): Promise<BastionLab> {
  const k = labCount++;
  const bastionNs = `${NS_PREFIX}bst${k}`;
  const nodeNs = `${NS_PREFIX}int${k}`;
  const rootIf = `np${process.pid}r${k}`;
  const close = closer([nodeNs, bastionNs], rootIf);
  try {
    const x = await freeSubnet();
    const y = await freeSubnet();
    await addNamespace(bastionNs);
    await addNamespace(nodeNs);
    await linkFromRoot(bastionNs, rootIf, x);
    await run('ip', ['link', 'add', 'int0', 'netns', bastionNs, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', nodeNs]);
    await run('ip', ['-n', bastionNs, 'addr', 'add', `10.213.${y}.1/24`, 'dev', 'int0']);
    await run('ip', ['-n', bastionNs, 'link', 'set', 'int0', 'up']);
    await run('ip', ['-n', nodeNs, 'addr', 'add', `10.213.${y}.2/24`, 'dev', 'eth0']);
    await run('ip', ['-n', nodeNs, 'link', 'set', 'eth0', 'up']);
    await run('ip', ['route', 'add', `10.213.${y}.0/24`, 'via', `10.213.${x}.2`, 'dev', rootIf]);
    return {
      bastion: { ns: bastionNs, address: `10.213.${x}.2` },
      bastionInternal: `10.213.${y}.1`,
      node: { ns: nodeNs, address: `10.213.${y}.2` },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/** Why the SSH lab cannot run here, or null when it can (root, sshd, sudo and the tools it drives). */
export function sshLabProblem(): string | null {
  const reasons: string[] = [];
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) reasons.push('not running as root');
  const missing = ['/usr/sbin/sshd', '/usr/bin/sudo', '/usr/sbin/visudo', 'ssh-keygen', 'ssh-agent', 'ssh-add', 'ip', 'iptables', 'iptables-save', 'mount', 'sysctl'].filter((t) => !onPath(t));
  if (missing.length > 0) reasons.push(`missing tools: ${missing.join(', ')}`);
  return reasons.length > 0 ? reasons.join('; ') : null;
}

function onPath(tool: string): boolean {
  const dirs = tool.startsWith('/') ? [''] : (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin']);
  return dirs.some((d) => {
    try {
      accessSync(d === '' ? tool : join(d, tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
