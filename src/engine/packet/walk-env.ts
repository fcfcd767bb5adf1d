/** What the walk knows about the node, the same for every branch: addresses, routes, sysctls, ipsets. */
import { addrKey, parseCidr, type Addr, type Cidr } from '../address.js';
import type { Branch } from './branch.js';
import type { NodeContext } from './contract.js';

/** An ipset's contents, as `-m set --match-set NAME dst,dst` tests it. */
export interface IpSetLookup {
  name: string;
  /** `hash:ip,port`, `bitmap:port`, … as `ipset list` prints it. */
  type: string;
  /** Membership of the packet's tuple picked by `dims` (the `src`/`dst` flags of --match-set, in order). */
  has(b: Branch, dims: ('src' | 'dst')[]): boolean | { unknown: string };
}

/** Read-only facts the matches need besides the branch itself. */
export interface WalkEnv {
  node: NodeContext;
  /** ipsets by name, when `ipset list` was read; absent means their contents are unknown. */
  ipsets?: ReadonlyMap<string, IpSetLookup>;
  localAddrs: Addr[];
  /** localAddrs by addrKey, when built by buildEnv: a node with a veth per pod has a thousand to look through. */
  localKeys?: ReadonlySet<string>;
  /** node.routes with their destinations parsed (null: `default`), when built by buildEnv. */
  parsedRoutes?: readonly { cidr: Cidr | null; dev: string; src?: string }[];
  /** Subnet broadcast addresses of the node's prefixes (addrtype BROADCAST). */
  broadcastAddrs: Addr[];
  /** Packet.returningClient: session-affinity state holds the client (affinity.ts). */
  returningClient?: boolean;
}

/** A node address as given: `192.168.49.2` or `192.168.49.2/24` (the prefix adds its broadcast address). */
/**
 * Envs by context: a node's context is the same for every walk through it, and a node with a veth
 * per pod has a thousand addresses and routes to parse. Rebuilt when the address list or the routes
 * were replaced, or the addresses grew.
 */
const envs = new WeakMap<NodeContext, { localIps: readonly string[]; count: number; routes: NodeContext['routes']; env: WalkEnv }>();

export function buildEnv(node: NodeContext): WalkEnv {
  const known = envs.get(node);
  if (known !== undefined && known.localIps === node.localIps && known.count === node.localIps.length && known.routes === node.routes) return known.env;
  const env = freshEnv(node);
  envs.set(node, { localIps: node.localIps, count: node.localIps.length, routes: node.routes, env });
  return env;
}

/** Routes with their destinations parsed; `default` is null (it matches every address of the lookup's family). */
export function parseRoutes(routes: NonNullable<NodeContext['routes']>): NonNullable<WalkEnv['parsedRoutes']> {
  return routes.map((r) => ({ cidr: r.dst === 'default' ? null : parseCidr(r.dst), dev: r.dev, ...(r.src ? { src: r.src } : {}) }));
}

function freshEnv(node: NodeContext): WalkEnv {
  const localAddrs: Addr[] = [];
  const broadcastAddrs: Addr[] = [];
  for (const text of node.localIps) {
    const c = parseCidr(text);
    if (!c) throw new Error(`local address ${JSON.stringify(text)} is not an IP address`);
    localAddrs.push(c.addr);
    if (text.includes('/') && c.addr.family === 4 && c.bits < 31) broadcastAddrs.push(broadcastOf(c));
  }
  const parsedRoutes = node.routes === undefined ? undefined : parseRoutes(node.routes);
  return { node, localAddrs, broadcastAddrs, localKeys: new Set(localAddrs.map(addrKey)), ...(parsedRoutes ? { parsedRoutes } : {}) };
}

function broadcastOf(c: Cidr): Addr {
  const bytes = c.addr.bytes.map((byte, i) => {
    const hostBits = Math.max(0, Math.min(8, (i + 1) * 8 - c.bits));
    return byte | ((1 << hostBits) - 1);
  });
  return { family: 4, bytes, text: bytes.join('.') };
}
