/**
 * The network a kit-vs-real lab runs on: a bridge in the root namespace that holds the apiserver's
 * address, and one network namespace per kube-proxy holding a kit node's addresses (lo, eth0,
 * cni0, the spec's extra addresses) plus a `lab0` veth into the bridge.
 *
 * kube-proxy reaches the apiserver from its own address on the lab's /24 (lab0), so the root
 * namespace needs no route to node addresses: two labs, or two namespaces holding the same node
 * IP, never meet in the root routing table. The /24 is picked from 10.250.0.0/16 among the ones
 * no root interface or route uses, and claimed with a lock file under /run/np-doctor-lab (created
 * exclusively; a dead owner's is taken over), so two labs starting together never share it. Names
 * carry the test's pid (bridge `npdk<pid>`, namespaces `npd<pid>-…`), and a later run removes
 * what a crashed run left.
 */
import { run } from '../../kernel/lab/exec.js';
import { cleanupStale, deleteNamespace, NS_PREFIX } from '../../kernel/lab/netns.js';
import { alive, claimLock, releaseLock } from './locks.js';

export interface KitLan {
  bridge: string;
  /** The lab's /24, e.g. 10.250.37.0/24. */
  subnet: string;
  /** The root namespace's address on the bridge: where the apiserver listens. */
  hostAddress: string;
  /** A node namespace with these interfaces and a lab0 link; its lab0 address comes back. */
  addNode(name: string, ifaces: LanIface[]): Promise<LanNode>;
  stop(): Promise<void>;
}

/** An interface of a kit node, as the scenario kit describes it (host.ts Iface). */
export interface LanIface {
  name: string;
  kind: 'loopback' | 'ether' | 'bridge' | 'veth' | 'ipip';
  addrs: { ip: string; prefix: number }[];
}

export interface LanNode {
  ns: string;
  /** The namespace's address on the lab's /24 (interface lab0). */
  linkAddress: string;
}

const BRIDGE = /^npdk(\d+)$/;

/** Removes bridges of lab runs whose process is gone (their namespaces go with cleanupStale). */
async function removeStaleBridges(): Promise<void> {
  const links = JSON.parse((await run('ip', ['-j', 'link', 'show', 'type', 'bridge'])).stdout || '[]') as { ifname: string }[];
  for (const { ifname } of links) {
    const pid = Number(BRIDGE.exec(ifname)?.[1] ?? NaN);
    if (Number.isInteger(pid) && pid !== process.pid && !alive(pid)) await run('ip', ['link', 'del', ifname], { allowFail: true });
  }
}

/** Third octets of 10.250.X.0/24 that some root-namespace address or route already uses. */
async function usedSubnets(): Promise<Set<number>> {
  const text = (await run('ip', ['-4', 'addr', 'show'])).stdout + (await run('ip', ['-4', 'route', 'show', 'table', 'all'])).stdout;
  return new Set([...text.matchAll(/\b10\.250\.(\d+)\./g)].map((m) => Number(m[1])));
}

export async function createKitLan(): Promise<KitLan> {
  await cleanupStale();
  await removeStaleBridges();
  const bridge = `npdk${process.pid}`;
  const used = await usedSubnets();
  const lockName = (x: number): string => `kit-lan-10.250.${x}.0.lock`;
  // Start from the pid so two labs starting together rarely try the same /24 first.
  const start = 10 + (process.pid % 240);
  let octet = -1;
  let lockFile: string | null = null;
  for (let i = 0; i < 240 && lockFile === null; i++) {
    octet = 10 + ((start - 10 + i) % 240);
    if (!used.has(octet)) lockFile = claimLock(lockName(octet));
  }
  if (lockFile === null) throw new Error('no free /24 left in 10.250.0.0/16 for the lab');
  const lock = lockFile;
  const subnet = `10.250.${octet}.0/24`;
  const hostAddress = `10.250.${octet}.1`;
  const nodes: string[] = [];
  const stop = async (): Promise<void> => {
    for (const ns of nodes) await deleteNamespace(ns);
    await run('ip', ['link', 'del', bridge], { allowFail: true });
    releaseLock(lock);
  };
  try {
    await run('ip', ['link', 'add', bridge, 'type', 'bridge']);
    await run('ip', ['addr', 'add', `${hostAddress}/24`, 'dev', bridge]);
    await run('ip', ['link', 'set', bridge, 'up']);
  } catch (e) {
    await stop();
    throw e;
  }

  const addNode = async (name: string, ifaces: LanIface[]): Promise<LanNode> => {
    const k = nodes.length;
    const ns = `${NS_PREFIX}kit${k}-${name}`.slice(0, 60);
    const linkAddress = `10.250.${octet}.${k + 2}`;
    if (k + 2 > 254) throw new Error('the lab /24 is full');
    // Claimed before the first await: nodes may be added concurrently.
    nodes.push(ns);
    await run('ip', ['netns', 'add', ns]);
    const ip = (...args: string[]) => run('ip', ['-n', ns, ...args]);
    await ip('link', 'set', 'lo', 'up');
    for (const f of ifaces) {
      // Pod veths carry no address: kube-proxy never looks at them. Everything else becomes a
      // port-less bridge of the same name (these kernels have no dummy devices): its addresses
      // are local to the namespace, which is all kube-proxy reads of an interface.
      if (f.kind === 'veth') continue;
      if (f.kind !== 'loopback') await ip('link', 'add', f.name, 'type', 'bridge');
      for (const a of f.addrs) {
        if (f.kind === 'loopback' && a.ip === '127.0.0.1') continue;
        await ip('addr', 'add', `${a.ip}/${a.prefix}`, 'dev', f.name);
      }
      await ip('link', 'set', f.name, 'up');
    }
    const hostEnd = `${bridge}v${k}`;
    await run('ip', ['link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', 'lab0', 'netns', ns]);
    await run('ip', ['link', 'set', hostEnd, 'master', bridge]);
    await run('ip', ['link', 'set', hostEnd, 'up']);
    await ip('addr', 'add', `${linkAddress}/24`, 'dev', 'lab0');
    await ip('link', 'set', 'lab0', 'up');
    return { ns, linkAddress };
  };
  return { bridge, subnet, hostAddress, addNode, stop };
}
