import type { Addr } from '../address.js';
import type { Hop, NodeContext, Protocol } from './types.js';

/** Conntrack's view of the connection while its first packet is in flight. */
export interface ConnState {
  /** The first packet of a tracked connection is NEW; `-j CT --notrack` / NOTRACK makes it UNTRACKED. */
  state: 'NEW' | 'UNTRACKED';
  /** Address and port before any NAT: what `--ctorigdst` and friends test. */
  origSrc: Addr;
  origDst: Addr;
  origSport: number | undefined;
  origDport: number | undefined;
  /** NAT rewrote the destination / source (conntrack's IPS_DST_NAT / IPS_SRC_NAT; `--ctstate DNAT/SNAT`). */
  dnat: boolean;
  snat: boolean;
  /** A nat table already decided this manip (a binding, even a null one): later nat tables are skipped. */
  dnatDecided: boolean;
  snatDecided: boolean;
  /** Set once the packet passed POSTROUTING (conntrack confirms the entry there). */
  confirmed: boolean;
  mark: number;
}

/** Everything one branch of the walk carries. Branches are copied when the walk forks. */
export interface Branch {
  src: Addr;
  dst: Addr;
  proto: Protocol;
  protoNum: number;
  sport: number | undefined;
  dport: number | undefined;
  icmpType: number | undefined;
  icmpCode: number | undefined;
  inIface: string | undefined;
  /** Known after the routing decision; undefined before it or when the routes are unknown. */
  outIface: string | undefined;
  outIfaceKnown: boolean;
  /** Which hook the packet is in now; matches like -i/-o depend on it. */
  hook: string;
  mark: number;
  ct: ConnState;
  probability: number;
  /** Persistent list: forks share their common prefix. */
  hops: HopList | null;
  reasons: string[];
  assumptions: string[];
  dnatTo: { ip: string; port: number | null } | null;
  snatTo: { type: 'MASQUERADE' | 'SNAT'; ip?: string; port?: number | null } | null;
  delivery: 'local' | 'forward' | 'output' | null;
  rejectWith?: string;
  /** The nat chain that bound this connection's NAT at the current hook, for the registration-order assumption. */
  natBoundBy?: { hook: string; priority: number | null; name: string };
}

export interface HopList {
  hop: Hop;
  prev: HopList | null;
}

export function fork(b: Branch): Branch {
  return { ...b, ct: { ...b.ct }, reasons: [...b.reasons], assumptions: [...b.assumptions] };
}

export function addHop(b: Branch, hop: Hop): void {
  b.hops = { hop, prev: b.hops };
}

export function hopsOf(b: Branch): Hop[] {
  const out: Hop[] = [];
  for (let h = b.hops; h; h = h.prev) out.push(h.hop);
  return out.reverse();
}

export function assume(b: Branch, text: string): void {
  if (!b.assumptions.includes(text)) b.assumptions.push(text);
}

/** Marks a branch as depending on something the engine cannot see. */
export function undecided(b: Branch, reason: string): void {
  if (!b.reasons.includes(reason)) b.reasons.push(reason);
}

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
  /** Subnet broadcast addresses of the node's prefixes (addrtype BROADCAST). */
  broadcastAddrs: Addr[];
}
