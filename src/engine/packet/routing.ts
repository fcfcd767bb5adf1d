/** What the node's addresses and routes decide about a packet: local or not, which way out, which address NAT picks. */
import { addrKey, cidrContains, isLinkLocal, isLoopback, isMulticast, parseCidr, sameAddr, type Addr } from '../address.js';
import type { Branch } from './branch.js';
import { parseRoutes, type WalkEnv } from './walk-env.js';

export function isLocal(a: Addr, env: WalkEnv): boolean {
  return isLoopback(a) || (a.family === 4 && a.bytes[0] === 127) || ownAddress(a, env);
}

const ownAddress = (a: Addr, env: WalkEnv): boolean => env.localKeys?.has(addrKey(a)) ?? env.localAddrs.some((l) => sameAddr(l, a));

/** The kernel's address type of `a` as seen from the node (inet_addr_type on the local table). */
export function addrType(a: Addr, env: WalkEnv): string {
  if (a.family === 4 && (a.bytes.every((x) => x === 0) || a.bytes.every((x) => x === 255))) return 'BROADCAST';
  if (isMulticast(a)) return 'MULTICAST';
  // The local routing table holds every node address and all of 127.0.0.0/8 (`local 127.0.0.0/8 dev lo`).
  if (isLoopback(a) || (a.family === 4 && a.bytes[0] === 127)) return 'LOCAL';
  if (ownAddress(a, env)) return 'LOCAL';
  if (env.broadcastAddrs.some((l) => sameAddr(l, a))) return 'BROADCAST';
  return 'UNICAST';
}

/** The output interface for `dst`: `lo` for a local address, else the longest matching route. */
export function routeLookup(dst: Addr, env: WalkEnv): { iface: string | undefined; known: boolean; src?: string } {
  if (isLocal(dst, env)) return { iface: 'lo', known: true };
  const routes = env.parsedRoutes ?? (env.node.routes && parseRoutes(env.node.routes));
  if (!routes) return { iface: undefined, known: false };
  let best: { bits: number; dev: string; src?: string } | null = null;
  for (const r of routes) {
    const c = r.cidr === null ? parseCidr(dst.family === 4 ? '0.0.0.0/0' : '::/0') : r.cidr;
    if (!c || !cidrContains(c, dst)) continue;
    if (!best || c.bits > best.bits) best = { bits: c.bits, dev: r.dev, ...(r.src ? { src: r.src } : {}) };
  }
  // With routes known and none matching, the kernel answers "network unreachable".
  return best ? { iface: best.dev, known: true, ...(best.src ? { src: best.src } : {}) } : { iface: undefined, known: true };
}

/** The first address of `family` on `iface`, as the kernel picks for MASQUERADE and REDIRECT. */
export function addressOn(iface: string | undefined, family: 4 | 6, env: WalkEnv): string | null {
  if (iface === undefined || !env.node.interfaceOf) return null;
  for (const a of env.localAddrs) {
    if (a.family === family && env.node.interfaceOf[a.text] === iface) return a.text;
  }
  return null;
}

/**
 * MASQUERADE uses the primary address of the interface the packet leaves by. A device with no
 * address of the family (a Calico `cali*` veth) borrows the first global address of another
 * device, as inet_select_addr does; that needs to know which addresses sit on which device.
 */
export function natSource(b: Branch, env: WalkEnv): string | null {
  if (!b.outIfaceKnown) return null;
  const own = addressOn(b.outIface, b.src.family, env);
  if (own || !env.node.interfaceOf) return own;
  return env.localAddrs.find((a) => a.family === b.src.family && !isLoopback(a) && !isLinkLocal(a))?.text ?? null;
}


/** REDIRECT sends to the input interface's primary address, or to loopback for local traffic. */
export function redirectTarget(b: Branch, env: WalkEnv): string | null {
  if (b.inIface === undefined && b.hook === 'OUTPUT') return b.dst.family === 4 ? '127.0.0.1' : '::1';
  return addressOn(b.inIface, b.dst.family, env);
}
