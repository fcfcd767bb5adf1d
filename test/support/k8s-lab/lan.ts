/**
 * The lab LAN as the machine's own network namespace sees it. The apiserver listens on a LAN
 * address there (kube-proxy and sshd in the node namespaces, and the test process, all reach it),
 * and np-doctor dials the nodes' InternalIPs from there, as from an engineer's laptop.
 *
 * Several labs may run at once (other test processes, other engineers), and a subnet routed twice
 * in this namespace would send one lab's packets into the other's. So each lab claims a /24 of its
 * own, 192.168.N.0/24 with N from FIRST..LAST: a lock file created exclusively under /run says whose
 * it is (a lock whose pid is dead is taken over), and a subnet this namespace already routes or
 * holds an address in is skipped (test/support/cluster-lab.ts uses the scenario kit's
 * 192.168.1.0/24, unlocked).
 */
import { execFileSync } from 'node:child_process';
import type { LanPlan } from '../../kernel/lab/addressing.js';
import { run } from '../../kernel/lab/exec.js';
import { claimLock, LOCK_DIR, releaseLock } from './locks.js';

const FIRST = 100;
const LAST = 199;

export interface LanClaim {
  plan: LanPlan;
  /** The machine namespace's address on the LAN (.254). */
  hostIp: string;
  /** A second address per node (.102+k), for the nodePortAddresses cases (a VIP, a second address). */
  extraIp: (k: number) => string;
  /** Gives the subnet back (idempotent, synchronous: also used on Ctrl-C). */
  release(): void;
}

const toInt = (ip: string): number => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);

/** The IPv4 prefixes this namespace routes (any table) or holds addresses in, as [first, last]. */
async function prefixesInUse(): Promise<[number, number][]> {
  const routes = JSON.parse((await run('ip', ['-j', '-4', 'route', 'show', 'table', 'all'])).stdout) as { dst?: string }[];
  const addrs = JSON.parse((await run('ip', ['-j', '-4', 'addr'])).stdout) as { addr_info?: { local?: string; prefixlen?: number }[] }[];
  const cidrs = [
    ...routes.map((r) => r.dst ?? '').filter((d) => d !== '' && d !== 'default'),
    ...addrs.flatMap((a) => (a.addr_info ?? []).map((i) => `${i.local}/${i.prefixlen}`)),
  ];
  return cidrs.flatMap((c): [number, number][] => {
    const [ip, len = '32'] = c.split('/');
    if (ip === undefined || !/^\d+\.\d+\.\d+\.\d+$/.test(ip)) return [];
    const size = 2 ** (32 - Number(len));
    const first = Math.floor(toInt(ip) / size) * size;
    return [[first, first + size - 1]];
  });
}

/** Whether this namespace already routes, or holds an address in, any part of `cidr` (another lab, a real network). */
export async function subnetInUse(cidr: string): Promise<boolean> {
  const [ip = '', len = '32'] = cidr.split('/');
  const size = 2 ** (32 - Number(len));
  const lo = Math.floor(toInt(ip) / size) * size;
  const hi = lo + size - 1;
  return (await prefixesInUse()).some(([a, b]) => a <= hi && lo <= b);
}

export async function claimLan(): Promise<LanClaim> {
  const used = await prefixesInUse();
  // Start at a pid-derived offset so parallel labs rarely try the same subnet first.
  const span = LAST - FIRST + 1;
  for (let i = 0; i < span; i++) {
    const n = FIRST + ((process.pid + i) % span);
    const base = `192.168.${n}.`;
    const [lo, hi] = [toInt(`${base}0`), toInt(`${base}255`)];
    if (used.some(([a, b]) => a <= hi && lo <= b)) continue;
    const file = claimLock(`lan-192.168.${n}.0.lock`);
    if (file === null) continue;
    let released = false;
    return {
      plan: { net: `${base}0/24`, gw: `${base}1`, nodeIp: (k) => `${base}${2 + k}` },
      hostIp: `${base}254`,
      extraIp: (k) => `${base}${102 + k}`,
      release: () => {
        if (released) return;
        released = true;
        releaseLock(file);
      },
    };
  }
  throw new Error(`no free lab LAN among 192.168.${FIRST}-${LAST}.0/24 (locks in ${LOCK_DIR})`);
}

/**
 * A veth from this namespace onto a bridge of the LAN (`br0` in namespace `bridgeNs`: the LAN's own,
 * or the firewall hop's in front of it, firewall.ts), with `hostIp`/24.
 * A veth dies with its peer's namespace; the returned function deletes it explicitly (a lab that
 * failed halfway), synchronously so Ctrl-C can use it too.
 */
export async function addHostLeg(bridgeNs: string, ifname: string, hostIp: string): Promise<() => void> {
  await run('ip', ['link', 'add', ifname, 'type', 'veth', 'peer', 'name', 'p-host', 'netns', bridgeNs]);
  const remove = () => {
    execFileSync('ip', ['link', 'del', ifname], { stdio: 'ignore' });
  };
  try {
    await run('ip', ['-n', bridgeNs, 'link', 'set', 'p-host', 'master', 'br0', 'up']);
    await run('ip', ['addr', 'add', `${hostIp}/24`, 'dev', ifname]);
    await run('ip', ['link', 'set', ifname, 'up']);
  } catch (e) {
    try {
      remove();
    } catch {
      // gone with the namespace
    }
    throw e;
  }
  return () => {
    try {
      remove();
    } catch {
      // gone with the namespace
    }
  };
}
