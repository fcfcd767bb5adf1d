import { isLoopback, parseAddr, type Addr } from '../address.js';
import { protocolNumber } from '../iptables/matches.js';
import type { Ruleset, Table } from '../iptables/ruleset.js';
import { hopLabel, runChain, type ChainCtx } from './chain.js';
import { HOOK_TABLES, NAT_MANIP, type Hook } from './hooks.js';
import { addressOn, buildEnv, isLocal, routeLookup } from './routing.js';
import { addHop, assume, hopsOf, undecided, type Branch, type WalkEnv } from './state.js';
import type { NodeContext, Outcome, Packet, Verdict, WalkResult } from './types.js';

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
export function walk(rulesets: Ruleset[], node: NodeContext, packet: Packet): WalkResult {
  const env = buildEnv(node);
  const start = initialBranch(packet, env);
  const sets = rulesets.filter((r) => r.family === null || r.family === start.src.family);
  const w = new Walker(sets, env, start.src.family);
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

class Walker {
  readonly outcomes: Outcome[] = [];

  constructor(
    private readonly sets: Ruleset[],
    private readonly env: WalkEnv,
    private readonly family: 4 | 6,
  ) {}

  /** A packet arriving on an interface: PREROUTING, routing, then INPUT or FORWARD + POSTROUTING. */
  inputPath(b: Branch): void {
    for (const x of this.hook('PREROUTING', [b])) this.afterPrerouting(x);
  }

  private afterPrerouting(b: Branch): void {
    // The routing decision uses the destination as nat PREROUTING left it.
    if (isLocal(b.dst, this.env)) {
      if (isLoopback(b.dst) && b.inIface !== 'lo' && !this.localnetAllowed(b)) return;
      b.delivery = 'local';
      for (const x of this.hook('INPUT', [b])) this.finish(x, 'ACCEPT');
      return;
    }
    const fwd = this.env.node.sysctls?.ipForward;
    if (fwd === false) return this.finish(b, 'DROP', 'net.ipv4.ip_forward is 0: the node does not forward the packet');
    if (fwd === undefined) assume(b, 'ip_forward is on (a Kubernetes node needs it)');
    this.route(b);
    b.delivery = 'forward';
    for (const x of this.hook('FORWARD', [b])) for (const y of this.hook('POSTROUTING', [x])) this.finish(y, 'ACCEPT');
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
          for (const z of this.hook('PREROUTING', [y])) for (const v of this.hook('INPUT', [z])) this.finish(v, 'ACCEPT');
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

  /** Runs every table registered at `hook`, in priority order, for each branch. */
  private hook(hook: Hook, branches: Branch[]): Branch[] {
    let live = branches;
    for (const b of live) {
      b.hook = hook;
      // Before the routing decision, and on local delivery, a packet has no output device.
      if (hook === 'INPUT' || hook === 'PREROUTING') {
        b.outIface = undefined;
        b.outIfaceKnown = false;
      }
    }
    for (const tableName of HOOK_TABLES[hook]) {
      const manip = tableName === 'nat' ? NAT_MANIP[hook] : undefined;
      const decidedBefore = new Set(manip ? live.filter((b) => this.natDecided(b, manip)) : []);
      for (const rs of this.sets) {
        const table = rs.tables.get(tableName);
        const chain = table?.chains.get(hook);
        if (!table || !chain || isUnregistered(rs, table)) continue;
        const ctx: ChainCtx = { ruleset: rs, table, env: this.env, family: this.family, label: this.sets.length > 1 };
        const next: Branch[] = [];
        for (const b of live) {
          // nat sees only NEW, tracked connections, and only until one nat table decided this manip.
          if (manip && (b.ct.state === 'UNTRACKED' || this.natDecided(b, manip))) {
            // Another backend's nat table bound first at this very hook: which one runs first is
            // registration order, which no dump shows. Say what the walk assumed.
            if (!decidedBefore.has(b) && chain.count > 0) {
              assume(b, `both backends have nat ${hook} rules; the kernel runs the one registered later first, which a dump cannot show: assumed the dump given first (${this.sets[0]?.source ?? '?'}) runs first`);
            }
            next.push(b);
            continue;
          }
          for (const r of runChain(ctx, b, chain)) {
            if (r.end === 'accept') next.push(r.b);
            else if (r.end === 'return') {
              // Falling off a built-in chain applies its policy.
              const policy = chain.policy ?? 'ACCEPT';
              addHop(r.b, { table: tableName, chain: hook, line: chain.line, rule: null, action: `POLICY ${policy}`, ...hopLabel(ctx) });
              if (policy === 'ACCEPT') next.push(r.b);
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
      }
      // nat OUTPUT reroutes a DNATed packet at once (ip_route_me_harder): a loopback source that may
      // not leave lo is dropped there, before filter OUTPUT. -o in filter OUTPUT still sees the old
      // device; the new one shows from POSTROUTING on.
      if (hook === 'OUTPUT' && tableName === 'nat') live = live.filter((b) => this.rerouteAllowed(b));
      // A nat hook that ran without a NAT rule still decides: the kernel binds "no translation".
      if (manip) for (const b of live) if (b.ct.state !== 'UNTRACKED') b.ct[manip === 'dnat' ? 'dnatDecided' : 'snatDecided'] = true;
    }
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

/**
 * iptables-nft creates a table's base chains (and so its hooks) only when rules are restored into
 * it, yet iptables-save still prints an empty table's built-in chains. An nft table with no rules
 * and only ACCEPT policies is therefore absent from the kernel; skipping it changes no verdict and
 * keeps the hops equal to the kernel's trace.
 */
function isUnregistered(rs: Ruleset, table: Table): boolean {
  if (rs.backend !== 'nft') return false;
  for (const c of table.chains.values()) if (c.count || c.policy === 'DROP') return false;
  return true;
}

/** Probabilities come from the kernel's 31-bit fractions; 12 digits keep them readable and exact enough. */
function round(p: number): number {
  return Math.round(p * 1e12) / 1e12;
}
