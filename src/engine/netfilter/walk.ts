import { hostPort, isLoopback, parseAddr, type Addr } from '../address.js';
import { protocolNumber } from '../iptables/matches.js';
import type { Ruleset } from '../iptables/ruleset.js';
import { ipvsSchedule, type IpvsState } from '../ipvs/index.js';
import type { NftRuleset } from '../nft/index.js';
import type { Hook } from './hooks.js';
import { setDestination } from './nat.js';
import { addressOn, buildEnv, isLocal, routeLookup } from './routing.js';
import { addHop, assume, fork, hopsOf, undecided, type Branch, type IpSetLookup, type WalkEnv } from './state.js';
import { stationsAt, type Station, type StationSources } from './stations.js';
import type { Hop, NodeContext, Outcome, Packet, Verdict, WalkResult } from './types.js';

export type { NodeContext, Packet, WalkResult } from './types.js';

/** Thrown for a packet the walk cannot start with (bad address, ports on icmp). */
export class PacketError extends Error {
  override readonly name = 'PacketError';
}

/**
 * Every possible fate of the first packet of a connection on one node.
 *
 * `rulesets` are the node's dumps: usually one; two when rules are split across the legacy and
 * nft backends. Rulesets of the other address family are ignored. At one hook priority the
 * rulesets run in the order given. Pure: no I/O, clock or randomness.
 */
/** Everything on a node that decides a packet's fate besides routing. */
export interface Dataplane {
  /** iptables-save dumps (either backend). At equal priority they run in the order given. */
  iptables: Ruleset[];
  /** `nft -j list ruleset` dumps; tables iptables-nft made are walked from the iptables dump. */
  nft?: NftRuleset[];
  /** IPVS virtual services (kube-proxy's IPVS mode), from `ipvsadm-save -n`. */
  ipvs?: IpvsState | null;
  /** ipset contents for `-m set` matches, from `ipset list`. */
  ipsets?: ReadonlyMap<string, IpSetLookup>;
}

/**
 * Every possible fate of the first packet of a connection on one node.
 *
 * `plane` is the node's rules: iptables dumps (usually one; two when rules are split across the
 * legacy and nft backends), native nftables tables, IPVS. A plain array means iptables dumps only.
 * Rulesets of the other address family are ignored. Pure: no I/O, clock or randomness.
 */
export function walk(plane: Dataplane | Ruleset[], node: NodeContext, packet: Packet): WalkResult {
  const p: Dataplane = Array.isArray(plane) ? { iptables: plane } : plane;
  const env = buildEnv(node);
  if (p.ipsets) env.ipsets = p.ipsets;
  const start = initialBranch(packet, env);
  const family = start.src.family;
  const w = new Walker({
    iptables: p.iptables.filter((r) => r.family === null || r.family === family),
    nft: p.nft ?? [],
    env,
    family,
  }, family === 4 ? p.ipvs ?? null : null);
  // The packet as it left the client, read before the walk: SNAT rewrites the branch in place.
  const resolved: Packet = { ...packet, src: start.src.text };
  if (start.sport !== undefined) resolved.sport = start.sport;
  if (packet.localProcess) w.outputPath(start);
  else w.inputPath(start);
  return { packet: resolved, outcomes: w.outcomes };
}

function initialBranch(p: Packet, env: WalkEnv): Branch {
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

const MAX_BRANCHES = 4096;

/**
 * IPVS takes packets for a virtual service at LOCAL_IN priority NF_IP_PRI_NAT_SRC - 1 (99): after
 * filter INPUT, before nat INPUT (ip_vs_core.c, ip_vs_ops4).
 */
const IPVS_PRIORITY = 99;

class Walker {
  readonly outcomes: Outcome[] = [];
  private readonly stations = new Map<Hook, Station[]>();

  constructor(
    private readonly src: StationSources,
    private readonly ipvs: IpvsState | null,
  ) {}

  private get env(): WalkEnv {
    return this.src.env;
  }

  /** A packet arriving on an interface: PREROUTING, routing, then INPUT or FORWARD + POSTROUTING. */
  inputPath(b: Branch): void {
    for (const x of this.hook('PREROUTING', [b])) this.afterPrerouting(x);
  }

  private afterPrerouting(b: Branch): void {
    // The routing decision uses the destination as nat PREROUTING left it.
    if (isLocal(b.dst, this.env)) {
      if (isLoopback(b.dst) && b.inIface !== 'lo' && !this.localnetAllowed(b)) return;
      b.delivery = 'local';
      this.localIn(b);
      return;
    }
    const fwd = this.env.node.sysctls?.ipForward;
    if (fwd === false) return this.finish(b, 'DROP', 'net.ipv4.ip_forward is 0: the node does not forward the packet');
    if (fwd === undefined) assume(b, 'ip_forward is on (a Kubernetes node needs it)');
    this.route(b);
    b.delivery = 'forward';
    for (const x of this.hook('FORWARD', [b])) for (const y of this.hook('POSTROUTING', [x])) this.finish(y, 'ACCEPT');
  }

  /** INPUT for a packet to a local address; IPVS, when present, takes it between filter and nat INPUT. */
  private localIn(b: Branch): void {
    for (const x of this.hook('INPUT', [b], -Infinity, IPVS_PRIORITY)) {
      if (this.ipvs !== null && this.ipvsIn(x)) continue;
      for (const y of this.hook('INPUT', [x], IPVS_PRIORITY, Infinity)) this.finish(y, 'ACCEPT');
    }
  }

  /**
   * IPVS on a packet for a local address: a virtual service takes it, picks a real server, rewrites
   * the destination (masquerading forwarding) and sends it out through LOCAL_OUT and POSTROUTING
   * (ip_vs_nat_xmit → NF_HOOK(LOCAL_OUT)), where kube-proxy's KUBE-POSTROUTING masquerades it.
   * Returns false when no virtual service matches: local delivery goes on.
   */
  private ipvsIn(b: Branch): boolean {
    const hit = ipvsSchedule(this.ipvs!, b);
    if (hit === null) return false;
    const { service, choices } = hit;
    const hopOf = (action: string, line = service.line, rule = service.text): Hop =>
      ({ table: 'ipvs', chain: 'INPUT', line, rule, action, source: this.ipvs!.source });
    if (choices.length === 0) {
      // ip_vs_leave: no real server can take it; the kernel answers port unreachable and drops it.
      addHop(b, hopOf('REJECT'));
      b.rejectWith = 'icmp-port-unreachable';
      this.finish(b, 'REJECT', undefined);
      return true;
    }
    choices.forEach((c, i) => {
      const x = i === choices.length - 1 ? b : fork(b);
      x.probability = b.probability * c.probability;
      if (c.why) assume(x, c.why);
      addHop(x, hopOf(`IPVS ${hostPort(c.real.address, c.real.port)}`, c.real.line, c.real.text));
      if (c.real.forward !== 'masq') {
        undecided(x, `IPVS forwards to ${c.real.address} by ${c.real.forward === 'route' ? 'direct routing' : 'IP-in-IP tunnelling'}, which the walk does not model`);
        this.finish(x, 'INDETERMINATE');
        return;
      }
      setDestination(x, c.real.address, c.real.port);
      const conntrack = this.env.node.sysctls?.ipvsConntrack;
      if (conntrack === undefined) assume(x, 'net.ipv4.vs.conntrack=1 (kube-proxy sets it), so conntrack and nat POSTROUTING see IPVS traffic');
      if (conntrack === false) x.ct.state = 'UNTRACKED';
      if (isLocal(x.dst, this.env)) {
        for (const y of this.hook('INPUT', [x], IPVS_PRIORITY, Infinity)) this.finish(y, 'ACCEPT');
        return;
      }
      this.route(x);
      x.delivery = 'forward';
      for (const y of this.hook('OUTPUT', [x])) for (const z of this.hook('POSTROUTING', [y])) this.finish(z, 'ACCEPT');
    });
    return true;
  }

  /** A packet from a process on the node: OUTPUT, reroute, POSTROUTING, then back in through lo if local. */
  outputPath(b: Branch): void {
    this.route(b);
    for (const x of this.hook('OUTPUT', [b])) {
      this.route(x);
      for (const y of this.hook('POSTROUTING', [x])) {
        y.ct.confirmed = true;
        if (y.outIface === 'lo') {
          // Looped back: PREROUTING and INPUT run again; nat does not, its bindings are decided.
          y.inIface = 'lo';
          y.delivery = 'local';
          for (const z of this.hook('PREROUTING', [y])) this.localIn(z);
        } else {
          y.delivery = 'output';
          this.finish(y, 'ACCEPT');
        }
      }
    }
  }

  private route(b: Branch): void {
    const r = routeLookup(b.dst, this.env);
    b.outIface = r.iface;
    b.outIfaceKnown = r.known && r.iface !== undefined;
  }

  private natDecided(b: Branch, manip: 'dnat' | 'snat'): boolean {
    return manip === 'dnat' ? b.ct.dnatDecided : b.ct.snatDecided;
  }

  private rerouteAllowed(b: Branch): boolean {
    // Only a destination off the node leaves lo; whichever device it takes then, the rule applies.
    if (!b.ct.dnat || !isLoopback(b.src) || isLocal(b.dst, this.env)) return true;
    return this.localnetAllowed(b);
  }

  /** route_localnet decides whether 127.0.0.0/8 may be routed off the loopback device. */
  private localnetAllowed(b: Branch): boolean {
    const v = this.env.node.sysctls?.routeLocalnet;
    if (v === true) return true;
    if (v === false) {
      this.finish(b, 'DROP', `${b.src.text} → ${b.dst.text} needs net.ipv4.conf.*.route_localnet=1; with 0 the kernel refuses to route loopback addresses off lo`);
      return false;
    }
    undecided(b, 'the packet uses a 127.0.0.0/8 address off the loopback device, which works only with route_localnet=1; that sysctl is not known');
    assume(b, 'route_localnet=1');
    return true;
  }

  private stationsAt(hook: Hook): Station[] {
    let s = this.stations.get(hook);
    if (s === undefined) {
      s = stationsAt(this.src, hook);
      this.stations.set(hook, s);
    }
    return s;
  }

  /** Runs the stations of `hook` with priority in [from, to), in order, for each branch. */
  private hook(hook: Hook, branches: Branch[], from = -Infinity, to = Infinity): Branch[] {
    let live = branches;
    for (const b of live) {
      b.hook = hook;
      // Before the routing decision, and on local delivery, a packet has no output device.
      if (from === -Infinity && (hook === 'INPUT' || hook === 'PREROUTING')) {
        b.outIface = undefined;
        b.outIfaceKnown = false;
      }
    }
    const all = this.stationsAt(hook).filter((s) => s.priority >= from && s.priority < to);
    all.forEach((st, i) => {
      const manip = st.manip;
      const next: Branch[] = [];
      for (const b of live) {
        // nat sees only NEW, tracked connections, and only until one nat chain bound this manip.
        if (manip && (b.ct.state === 'UNTRACKED' || this.natDecided(b, manip))) {
          // A nat chain of the same priority bound first at this very hook: which of the two runs
          // first is registration order, which no dump shows. Say what the walk assumed.
          if (b.natBoundBy !== undefined && b.natBoundBy.hook === hook && b.natBoundBy.priority === st.natPriority && st.hasRules) {
            assume(b, `${b.natBoundBy.name} and ${st.name} both hold nat ${hook} rules at priority ${st.natPriority}; the kernel runs the one registered later first, which a dump cannot show: assumed ${b.natBoundBy.name} runs first`);
          }
          next.push(b);
          continue;
        }
        const decidedBefore = manip ? this.natDecided(b, manip) : true;
        for (const r of st.run(b)) {
          if (!decidedBefore && this.natDecided(r.b, manip!)) r.b.natBoundBy = { hook, priority: st.natPriority, name: st.name };
          if (r.end === 'accept') next.push(r.b);
          else if (r.end === 'return') {
            // Falling off a base chain applies its policy.
            addHop(r.b, st.policyHop);
            if (st.policy === 'ACCEPT') next.push(r.b);
            else this.finish(r.b, 'DROP');
          } else if (r.end === 'drop') this.finish(r.b, 'DROP');
          else if (r.end === 'reject') {
            r.b.rejectWith = r.with;
            this.finish(r.b, 'REJECT');
          } else this.finish(r.b, 'INDETERMINATE', r.why);
        }
        if (next.length + this.outcomes.length > MAX_BRANCHES) {
          throw new PacketError(`the walk forked into more than ${MAX_BRANCHES} branches; the ruleset is too undecidable to enumerate`);
        }
      }
      live = next;
      const lastNat = manip !== undefined && all.slice(i + 1).every((s) => s.manip !== manip);
      if (lastNat) {
        // nat OUTPUT reroutes a DNATed packet at once (ip_route_me_harder): a loopback source that
        // may not leave lo is dropped there, before filter OUTPUT. -o in filter OUTPUT still sees
        // the old device; the new one shows from POSTROUTING on.
        if (hook === 'OUTPUT' && manip === 'dnat') live = live.filter((b) => this.rerouteAllowed(b));
        // The NAT core ran without a NAT rule binding: the kernel binds "no translation".
        for (const b of live) if (b.ct.state !== 'UNTRACKED') b.ct[manip === 'dnat' ? 'dnatDecided' : 'snatDecided'] = true;
      }
    });
    return live;
  }

  private finish(b: Branch, verdict: Verdict, why?: string): void {
    if (why && verdict === 'INDETERMINATE') undecided(b, why);
    const o: Outcome = {
      probability: round(b.probability),
      verdict,
      delivery: verdict === 'ACCEPT' ? b.delivery : null,
      dnat: b.dnatTo,
      snat: b.snatTo,
      mark: `0x${b.mark.toString(16)}`,
      indeterminate: b.reasons.length ? b.reasons.join('; ') : null,
      ...(b.rejectWith ? { rejectWith: b.rejectWith } : {}),
      outIface: b.outIfaceKnown ? b.outIface ?? null : null,
      ...(why && verdict !== 'INDETERMINATE' ? { reason: why } : {}),
      ...(b.assumptions.length ? { assumptions: b.assumptions } : {}),
      hops: hopsOf(b),
    };
    this.outcomes.push(o);
  }
}

/** Probabilities come from the kernel's 31-bit fractions; 12 digits keep them readable and exact enough. */
function round(p: number): number {
  return Math.round(p * 1e12) / 1e12;
}
