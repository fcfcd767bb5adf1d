import { hostPort, isLoopback } from '../address.js';
import type { Ruleset } from '../iptables/ruleset.js';
import { ipvsSchedule, type IpvsState } from '../ipvs/index.js';
import type { NftRuleset } from '../nft/index.js';
import { addHop, assume, fork, hopsOf, undecided, type Branch } from '../packet/branch.js';
import type { Budget, WalkLimits } from '../packet/budget.js';
import { FORWARDING_SYSCTL, type Hop, type NodeContext, type Outcome, type Packet, type Verdict, type WalkResult } from '../packet/contract.js';
import type { Hook } from '../packet/hooks.js';
import { initialBranch } from '../packet/initial-branch.js';
import { mergeSame } from '../packet/merge.js';
import { setDestination } from '../packet/nat.js';
import { isLocal, routeLookup } from '../packet/routing.js';
import { buildEnv, type IpSetLookup, type WalkEnv } from '../packet/walk-env.js';
import { stationsAt, type Station, type StationSources } from './stations.js';

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
 * Rulesets of the other address family are ignored. Pure: no I/O, clock or randomness; the
 * caller injects a clock through `limits` (packet/budget.ts). The outcomes' probabilities sum to 1.
 * A packet that cannot start a walk throws PacketError (packet/initial-branch.ts).
 */
export function walk(plane: Dataplane | Ruleset[], node: NodeContext, packet: Packet, limits: WalkLimits = {}): WalkResult {
  const p: Dataplane = Array.isArray(plane) ? { iptables: plane } : plane;
  const env = buildEnv(node);
  if (p.ipsets) env.ipsets = p.ipsets;
  if (packet.returningClient === true) env.returningClient = true;
  const start = initialBranch(packet, env, limits);
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
  return { packet: resolved, outcomes: w.outcomes(start.budget) };
}

/**
 * IPVS takes packets for a virtual service at LOCAL_IN priority NF_IP_PRI_NAT_SRC - 1 (99): after
 * filter INPUT, before nat INPUT (ip_vs_core.c, ip_vs_ops4).
 */
const IPVS_PRIORITY = 99;

/** A branch the walk is done with, and how it ended. */
interface Finished {
  b: Branch;
  verdict: Verdict;
  /** Why it ended, when no rule says: routing, a sysctl, or what stopped the walk (INDETERMINATE). */
  why?: string;
}

/**
 * Moves sets of branches through the hooks in kernel order. Branches travel together so that
 * those in the same state merge at every station (and inside chains, rule by rule); a routing
 * decision splits a set by where each branch goes.
 */
class Walker {
  private readonly finished: Finished[] = [];
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
    const local: Branch[] = [];
    const forward: Branch[] = [];
    for (const x of this.hook('PREROUTING', [b])) {
      // The routing decision uses the destination as nat PREROUTING left it.
      if (isLocal(x.dst, this.env)) {
        if (isLoopback(x.dst) && x.inIface !== 'lo' && !this.localnetAllowed(x)) continue;
        x.delivery = 'local';
        local.push(x);
        continue;
      }
      const fwd = this.env.node.sysctls?.ipForward;
      if (fwd === false) {
        this.finish(x, 'DROP', `${FORWARDING_SYSCTL[x.src.family]} is 0: the node does not forward the packet`);
        continue;
      }
      if (fwd === undefined) assume(x, `${FORWARDING_SYSCTL[x.src.family]} is 1 (a Kubernetes node needs it)`);
      this.route(x);
      x.delivery = 'forward';
      forward.push(x);
    }
    this.localIn(local);
    this.finishAll(this.hook('POSTROUTING', this.hook('FORWARD', forward)), 'ACCEPT');
  }

  /** INPUT for packets to a local address; IPVS, when present, takes them between filter and nat INPUT. */
  private localIn(bs: Branch[]): void {
    if (bs.length === 0) return;
    const early = this.hook('INPUT', bs, -Infinity, IPVS_PRIORITY);
    const late: Branch[] = [];
    const out: Branch[] = [];
    for (const x of early) if (this.ipvs === null || !this.ipvsIn(x, late, out)) late.push(x);
    this.finishAll(this.hook('INPUT', late, IPVS_PRIORITY, Infinity), 'ACCEPT');
    this.finishAll(this.hook('POSTROUTING', this.hook('OUTPUT', out)), 'ACCEPT');
  }

  /**
   * IPVS on a packet for a local address: a virtual service takes it, picks a real server, rewrites
   * the destination (masquerading forwarding) and sends it out through LOCAL_OUT and POSTROUTING
   * (ip_vs_nat_xmit → NF_HOOK(LOCAL_OUT)), where kube-proxy's KUBE-POSTROUTING masquerades it.
   * Branches for a local real server go on to nat INPUT (`local`), the others to OUTPUT (`out`).
   * Returns false when no virtual service matches: local delivery goes on.
   */
  private ipvsIn(b: Branch, local: Branch[], out: Branch[]): boolean {
    const hit = ipvsSchedule(this.ipvs!, b, this.env.returningClient === true);
    if (hit === null) return false;
    const { service, choices } = hit;
    const hopOf = (action: string, line = service.line, rule = service.text): Hop =>
      ({ table: 'ipvs', chain: 'INPUT', line, rule, action, source: this.ipvs!.source });
    if (choices.length === 0) {
      // ip_vs_leave: no real server can take it; the kernel answers port unreachable and drops it.
      addHop(b, hopOf('REJECT'));
      b.rejectWith = 'icmp-port-unreachable';
      this.finish(b, 'REJECT');
      return true;
    }
    const p = b.probability;
    let rest = 1;
    for (const [i, c] of choices.entries()) {
      if (b.budget.over) {
        // Scheduling choices are forks like any other: past the budget the rest are not followed.
        b.probability = p * rest;
        b.budget.abandon(b);
        break;
      }
      rest -= c.probability;
      const x = i === choices.length - 1 ? b : fork(b);
      x.probability = p * c.probability;
      if (c.why) assume(x, c.why);
      addHop(x, hopOf(`IPVS ${hostPort(c.real.address, c.real.port)}`, c.real.line, c.real.text));
      if (c.real.forward !== 'masq') {
        this.finish(x, 'INDETERMINATE', `IPVS forwards to ${c.real.address} by ${c.real.forward === 'route' ? 'direct routing' : 'IP-in-IP tunnelling'}, which the walk does not model`);
        continue;
      }
      setDestination(x, c.real.address, c.real.port);
      const conntrack = this.env.node.sysctls?.ipvsConntrack;
      if (conntrack === undefined) assume(x, 'net.ipv4.vs.conntrack=1 (kube-proxy sets it), so conntrack and nat POSTROUTING see IPVS traffic');
      if (conntrack === false) x.ct.state = 'UNTRACKED';
      if (isLocal(x.dst, this.env)) {
        local.push(x);
        continue;
      }
      this.route(x);
      x.delivery = 'forward';
      out.push(x);
    }
    return true;
  }

  /** A packet from a process on the node: OUTPUT, reroute, POSTROUTING, then back in through lo if local. */
  outputPath(b: Branch): void {
    this.route(b);
    const sent = this.hook('OUTPUT', [b]);
    for (const x of sent) this.route(x);
    const looped: Branch[] = [];
    for (const y of this.hook('POSTROUTING', sent)) {
      y.ct.confirmed = true;
      if (y.outIface === 'lo') {
        // Looped back: PREROUTING and INPUT run again; nat does not, its bindings are decided.
        y.inIface = 'lo';
        y.delivery = 'local';
        looped.push(y);
      } else {
        y.delivery = 'output';
        this.finish(y, 'ACCEPT');
      }
    }
    if (looped.length) this.localIn(this.hook('PREROUTING', looped));
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
      this.finish(b, 'DROP', b.src.family === 6
        ? `${b.src.text} → ${b.dst.text}: the kernel never routes ::1 off lo (IPv6 has no route_localnet)`
        : `${b.src.text} → ${b.dst.text} needs net.ipv4.conf.*.route_localnet=1; with 0 the kernel refuses to route loopback addresses off lo`);
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

  /**
   * Runs the stations of `hook` with priority in [from, to), in order, for a set of branches;
   * branches in the same state merge between stations. Once the walk's budget is spent, the
   * branches still going are abandoned (they become the budget's outcome).
   */
  private hook(hook: Hook, branches: Branch[], from = -Infinity, to = Infinity): Branch[] {
    let live = branches;
    if (live.length === 0) return live;
    const budget = (live[0] as Branch).budget;
    for (const b of live) {
      b.hook = hook;
      // Before the routing decision, and on local delivery, a packet has no output device.
      if (from === -Infinity && (hook === 'INPUT' || hook === 'PREROUTING')) {
        b.outIface = undefined;
        b.outIfaceKnown = false;
      }
    }
    const all = this.stationsAt(hook).filter((s) => s.priority >= from && s.priority < to);
    for (let i = 0; i < all.length && live.length; i++) {
      if (budget.over) {
        budget.abandonAll(live);
        return [];
      }
      live = mergeSame(live, (b) => b);
      const st = all[i] as Station;
      const manip = st.manip;
      const next: Branch[] = [];
      const runs: Branch[] = [];
      for (const b of live) {
        // nat sees only NEW, tracked connections, and only until one nat chain bound this manip.
        if (manip && (b.ct.state === 'UNTRACKED' || this.natDecided(b, manip))) {
          // A nat chain of the same priority bound first at this very hook: which of the two runs
          // first is registration order, which no dump shows. Say what the walk assumed.
          if (b.natBoundBy !== undefined && b.natBoundBy.hook === hook && b.natBoundBy.priority === st.natPriority && st.hasRules) {
            assume(b, `${b.natBoundBy.name} and ${st.name} both hold nat ${hook} rules at priority ${st.natPriority}; the kernel runs the one registered later first, which a dump cannot show: assumed ${b.natBoundBy.name} runs first`);
          }
          next.push(b);
        } else runs.push(b);
      }
      for (const r of runs.length ? st.run(runs) : []) {
        // Every branch that ran a nat station had this manip undecided before it.
        if (manip && this.natDecided(r.b, manip)) r.b.natBoundBy = { hook, priority: st.natPriority, name: st.name };
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
    }
    return mergeSame(live, (b) => b);
  }

  private finish(b: Branch, verdict: Verdict, why?: string): void {
    if (why && verdict === 'INDETERMINATE') undecided(b, why);
    this.finished.push({ b, verdict, ...(why ? { why } : {}) });
  }

  private finishAll(bs: Branch[], verdict: Verdict): void {
    for (const b of bs) this.finish(b, verdict);
  }

  /** The walk's outcomes: finished branches that end alike merged, then what a budget left over. */
  outcomes(budget: Budget<Branch>): Outcome[] {
    const merged = mergeSame(this.finished, (f) => f.b, (f) => `${f.verdict}\u0004${f.why ?? ''}`);
    const out = merged.map(outcomeOf);
    const left = budget.leftOver();
    if (left !== null) {
      const b = left.representative;
      out.push({
        probability: round(left.probability),
        verdict: 'INDETERMINATE',
        delivery: null,
        dnat: b.dnatTo,
        snat: b.snatTo,
        mark: `0x${b.mark.toString(16)}`,
        indeterminate: left.why,
        reason: left.why,
        outIface: null,
        ...(b.assumptions.length ? { assumptions: b.assumptions } : {}),
        hops: hopsOf(b),
      });
    }
    return out;
  }
}

function outcomeOf({ b, verdict, why }: Finished): Outcome {
  return {
    probability: round(b.probability),
    verdict,
    delivery: verdict === 'ACCEPT' ? b.delivery : null,
    dnat: b.dnatTo,
    snat: b.snatTo,
    mark: `0x${b.mark.toString(16)}`,
    indeterminate: b.reasons.length ? b.reasons.map((r) => r.text).join('; ') : null,
    ...(b.rejectWith ? { rejectWith: b.rejectWith } : {}),
    outIface: b.outIfaceKnown ? b.outIface ?? null : null,
    ...(why ? { reason: why } : {}),
    ...(b.assumptions.length ? { assumptions: b.assumptions } : {}),
    hops: hopsOf(b),
  };
}

/** Probabilities come from the kernel's 31-bit fractions; 12 digits keep them readable and exact enough. */
function round(p: number): number {
  return Math.round(p * 1e12) / 1e12;
}
