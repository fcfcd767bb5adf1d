import { isLoopback, parseAddr, type Addr } from '../address.js';
import type { Branch } from './branch.js';
import { Budget, type WalkLimits } from './budget.js';
import type { Packet } from './contract.js';
import { protocolNumber } from './protocols.js';
import { addressOn, isLocal, routeLookup } from './routing.js';
import type { WalkEnv } from './walk-env.js';

/**
 * Thrown for a packet that cannot start a walk: an address that is not one, source and destination
 * of different families, an unknown protocol, no destination port, no source address that fits.
 */
export class PacketError extends Error {
  override readonly name = 'PacketError';
}

/**
 * The branch a walk starts from: the first packet of a connection as it reaches PREROUTING (or
 * OUTPUT, from a local process), NEW in conntrack, with the whole probability and a new budget.
 * Unset, the source port is 40000, icmp is an echo request, and a local process's source address
 * is the one its route picks.
 */
export function initialBranch(p: Packet, env: WalkEnv, limits: WalkLimits = {}): Branch {
  const dst = parseAddr(p.dst);
  if (!dst) throw new PacketError(`destination ${JSON.stringify(p.dst)} is not an IP address`);
  let src: Addr | null;
  if (p.src) {
    src = parseAddr(p.src);
    if (!src) throw new PacketError(`source ${JSON.stringify(p.src)} is not an IP address`);
    if (src.family !== dst.family) throw new PacketError(`source ${p.src} and destination ${p.dst} are of different address families`);
  } else src = null;
  const protoNum = protocolNumber(p.proto);
  if (protoNum === undefined) throw new PacketError(`unknown protocol ${p.proto}`);
  const hasPorts = p.proto !== 'icmp';
  if (hasPorts && p.dport === undefined) throw new PacketError(`a ${p.proto} packet needs a destination port`);
  const family = dst.family;
  const b: Branch = {
    src: src ?? dst,
    dst,
    proto: p.proto,
    protoNum: p.proto === 'icmp' && family === 6 ? 58 : protoNum,
    sport: hasPorts ? p.sport ?? 40000 : undefined,
    dport: hasPorts ? p.dport : undefined,
    icmpType: p.proto === 'icmp' ? p.icmpType ?? (family === 4 ? 8 : 128) : undefined,
    icmpCode: p.proto === 'icmp' ? p.icmpCode ?? 0 : undefined,
    inIface: p.localProcess ? undefined : p.inIface,
    localOrigin: p.localProcess === true,
    outIface: undefined,
    outIfaceKnown: false,
    hook: p.localProcess ? 'OUTPUT' : 'PREROUTING',
    mark: 0,
    ct: {
      state: 'NEW', origSrc: src ?? dst, origDst: dst, origSport: undefined, origDport: p.dport,
      dnat: false, snat: false, dnatDecided: false, snatDecided: false, confirmed: false, mark: 0,
    },
    probability: 1,
    hops: null,
    reasons: [],
    assumptions: [],
    dnatTo: null,
    snatTo: null,
    delivery: null,
    budget: new Budget(limits),
  };
  b.ct.origSport = b.sport;
  if (!src) {
    if (!p.localProcess) throw new PacketError('a packet arriving on an interface needs a source address');
    // A local process gets its source from the route: a local destination answers from itself.
    const chosen = isLocal(dst, env) ? dst : sourceFor(dst, env);
    if (!chosen) throw new PacketError(`cannot choose a source address for ${p.dst}: pass one`);
    b.src = chosen;
    b.ct.origSrc = chosen;
  }
  return b;
}

function sourceFor(dst: Addr, env: WalkEnv): Addr | null {
  const r = routeLookup(dst, env);
  const text = r.src ?? addressOn(r.iface, dst.family, env);
  if (text) return parseAddr(text);
  return env.localAddrs.find((a) => a.family === dst.family && !isLoopback(a)) ?? null;
}
