/**
 * Runs one scenario on the kernel: builds the namespaces, loads each node's rules with the real
 * restore tools, captures the dumps the walk will be given, starts the servers, and for every probe
 * makes real connections while xtables-monitor traces the probe's node. Returns only observations;
 * judging them is compare.ts's job.
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from './exec.js';
import { cleanupOwn, NS_PREFIX } from './netns.js';
import { buildTopology, type Topology } from './topology.js';
import { dumpNftables, loadNftables, loadRules, saveRules, traceTable, type Backend } from './rules.js';
import { Servers, type ServerLog } from './servers.js';
import { probe as runClient, reserveSports, tokenOf, type TryResult } from './client.js';
import { TraceMonitor, firstPacketEvents, toKernelHops, type KernelHop } from './trace.js';
import { findEntry, listConntrack, natOf, type NatSeen } from './conntrack.js';
import * as A from './addressing.js';
import type { NodeSpec, Probe, RuleSource, Scenario } from './scenario.js';

/** The facts about a node that the walk's NodeContext is built from, read from the kernel. */
export interface NodeFacts {
  ns: string;
  /** address → interface, every address on the node (both families). */
  addresses: Record<string, string>;
  /** Each enslaved link → its master (bridge ports), as `ip addr` shows `master`. */
  masterOf: Record<string, string>;
  routes: { dst: string; dev: string; src?: string; family: 4 | 6 }[];
  ipForward: boolean;
  /** net.ipv6.conf.all.forwarding (absent: facts read before it was recorded, taken as on). */
  ipv6Forward?: boolean;
  routeLocalnet: boolean;
  /** The node's dumps, exactly as the save tools printed them. */
  dumps: Partial<Record<Backend, string>>;
  /**
   * `nft -j list ruleset` of a node with native nftables rules, taken after every source was loaded
   * and before the lab's trace table was added. Absent for nodes without `rules.nftables`.
   */
  nftables?: string;
  /**
   * The order in which the kernel runs the backends' tables at one hook priority: the backend
   * whose hooks were registered LAST runs FIRST (a new hook is inserted before existing hooks of
   * equal priority; research report Q3). This is the order the walk must be given the rulesets.
   */
  runOrder: Backend[];
  /** Every rule source in the order it was loaded (native nftables included). */
  loadOrder: RuleSource[];
}

export interface TryObservation extends TryResult {
  /** The node's trace of this try's first packet (null: no PACKET line found). */
  hops: KernelHop[] | null;
  /** From conntrack on the probe's node; null when no entry exists (dropped before confirm). */
  nat: NatSeen | null;
  /** What the servers logged for this try's token. */
  serverSaw: ServerLog[];
}

export interface ProbeRun {
  probe: Probe;
  /** The first packet as it left the client (what the walk gets). */
  packet: { src: string; dst: string; proto: 'tcp' | 'udp'; sport: number; dport: number; inIface?: string; localProcess?: boolean };
  tries: TryObservation[];
  /** Seconds the probe took. */
  seconds: number;
}

export interface ScenarioRun {
  scenario: Scenario;
  nodes: NodeFacts[];
  probes: ProbeRun[];
}

export interface RunHooks {
  /** Called once the dumps exist and before a probe runs: which pods must all answer before the
   *  client may stop trying, and the smallest branch probability among them. */
  expect?(probe: Probe, node: NodeFacts, packet: ProbeRun['packet']): { want: string[]; pmin: number };
}

/** Risk we accept that a branch of probability ≥ pmin is never taken over all tries. */
export const MISS_RISK = 1e-4;
/** Enough for three equally likely endpoints at MISS_RISK (triesFor(3, 1/3) = 26). */
export const MAX_TRIES = 30;

/** Tries needed so that each of n branches of probability ≥ pmin shows up, except with MISS_RISK. */
export function triesFor(n: number, pmin: number): number {
  if (n <= 1 || pmin >= 1) return 1;
  return Math.ceil(Math.log(MISS_RISK / n) / Math.log(1 - pmin));
}

interface Loaded {
  dumps: NodeFacts['dumps'];
  nftables?: string;
  order: RuleSource[];
}

async function nodeFacts(ns: string, loaded: Loaded): Promise<NodeFacts> {
  const addrs = JSON.parse((await run('ip', ['-j', 'addr', 'show'], { ns })).stdout) as {
    ifname: string;
    master?: string;
    addr_info?: { family: string; local: string; scope: string }[];
  }[];
  const addresses: Record<string, string> = {};
  const masterOf: Record<string, string> = {};
  for (const i of addrs) if (i.master !== undefined) masterOf[i.ifname] = i.master;
  for (const i of addrs) for (const a of i.addr_info ?? []) if (a.scope !== 'link') addresses[a.local] = i.ifname;
  const routes: NodeFacts['routes'] = [];
  for (const family of [4, 6] as const) {
    const rs = JSON.parse((await run('ip', ['-j', `-${family}`, 'route', 'show'], { ns })).stdout) as {
      dst: string;
      dev: string;
      prefsrc?: string;
    }[];
    for (const r of rs) {
      const dst = r.dst === 'default' || r.dst.includes('/') ? r.dst : `${r.dst}/${family === 4 ? 32 : 128}`;
      routes.push({ dst, dev: r.dev, ...(r.prefsrc !== undefined ? { src: r.prefsrc } : {}), family });
    }
  }
  const sysctl = async (k: string) => (await run('sysctl', ['-n', k], { ns })).stdout.trim() === '1';
  return {
    ns,
    addresses,
    masterOf,
    routes,
    ipForward: await sysctl('net.ipv4.ip_forward'),
    ipv6Forward: await sysctl('net.ipv6.conf.all.forwarding'),
    routeLocalnet: await sysctl('net.ipv4.conf.all.route_localnet'),
    dumps: loaded.dumps,
    ...(loaded.nftables !== undefined ? { nftables: loaded.nftables } : {}),
    runOrder: loaded.order.filter((b): b is Backend => b !== 'nftables').reverse(),
    loadOrder: loaded.order,
  };
}

function packetOf(s: Scenario, p: Probe): ProbeRun['packet'] {
  const v6 = p.to.ip.includes(':');
  const base = { dst: p.to.ip, proto: p.proto, sport: 0, dport: p.to.port };
  switch (p.from.kind) {
    case 'client':
      return { ...base, src: v6 ? A.CLIENT_IP6 : A.CLIENT_IP, inIface: 'eth0' };
    case 'pod': {
      const name = p.from.pod;
      const pod = s.pods.find((x) => x.name === name);
      if (pod === undefined) throw new Error(`probe ${p.name}: no pod ${name}`);
      const src = v6 ? pod.ip6 : pod.ip;
      if (src === undefined) throw new Error(`probe ${p.name}: pod ${name} has no IPv6 address`);
      return { ...base, src, inIface: A.hostVeth(pod.name) };
    }
    case 'node':
      return { ...base, src: p.from.srcIp, localProcess: true };
  }
}

function clientNs(topo: Topology, p: Probe): string {
  switch (p.from.kind) {
    case 'client':
      return topo.client;
    case 'pod':
      return topo.pods.get(p.from.pod)!;
    case 'node':
      return topo.nodes[p.from.node]!;
  }
}

/** The order a node's rule sources are loaded in (see NodeSpec.loadOrder). */
export function loadOrderOf(spec: NodeSpec): RuleSource[] {
  const r = spec.rules ?? {};
  const present = (Object.keys(r) as RuleSource[]).filter((b) => r[b] !== undefined);
  if (spec.loadOrder !== undefined) {
    const listed = [...spec.loadOrder].sort().join(',');
    if (listed !== [...present].sort().join(',') || new Set(spec.loadOrder).size !== spec.loadOrder.length)
      throw new Error(`loadOrder ${spec.loadOrder.join(',')} must list each rule source of the node once (${present.join(',')})`);
    return [...spec.loadOrder];
  }
  if (r.nftables !== undefined && present.length > 1)
    throw new Error('a node with native nftables rules and iptables rules needs an explicit loadOrder (equal priorities run last-registered first)');
  const order: RuleSource[] = spec.legacyFirst === true ? ['legacy', 'nft', 'nft6', 'nftables'] : ['nft', 'legacy', 'nft6', 'nftables'];
  return order.filter((b) => r[b] !== undefined);
}

async function loadNode(ns: string, spec: NodeSpec): Promise<Loaded> {
  const r = spec.rules ?? {};
  const order = loadOrderOf(spec);
  const dumps: NodeFacts['dumps'] = {};
  for (const b of order) {
    if (b === 'nftables') await loadNftables(ns, r.nftables!);
    else await loadRules(ns, b, r[b]!);
  }
  // Saved only after everything is loaded: the dumps are what an engineer would capture later.
  for (const b of order) if (b !== 'nftables') dumps[b] = await saveRules(ns, b);
  if (r.nftables === undefined) return { dumps, order };
  // The nft dump before the trace table exists; then the trace table (see lab/rules.ts).
  const nftables = await dumpNftables(ns);
  await loadNftables(ns, traceTable());
  return { dumps, nftables, order };
}

export async function runScenario(s: Scenario, hooks: RunHooks = {}): Promise<ScenarioRun> {
  const servers = new Servers();
  try {
    const topo = await buildTopology(s);
    const nodes: NodeFacts[] = [];
    for (const [k, spec] of s.nodes.entries()) nodes.push(await nodeFacts(topo.nodes[k]!, await loadNode(topo.nodes[k]!, spec)));
    for (const pod of s.pods) await servers.start(topo.pods.get(pod.name)!, pod.name, pod.ports, pod.ip6 !== undefined);
    for (const [k, spec] of s.nodes.entries())
      for (const h of spec.hostServers ?? []) await servers.start(topo.nodes[k]!, h.name, h.ports, s.ipv6 === true);

    const probes: ProbeRun[] = [];
    for (const p of s.probes) {
      const t0 = Date.now();
      // Reserve the try ports first, so the walk's packet carries the first try's real source port.
      const sportBase = reserveSports(MAX_TRIES);
      const packet = { ...packetOf(s, p), sport: sportBase };
      const node = nodes[p.node]!;
      const intendedPods = p.intended.pods ?? [];
      const fromHook = hooks.expect?.(p, node, packet);
      const want = [...new Set([...intendedPods, ...(fromHook?.want ?? [])])];
      const pmin = Math.min(fromHook?.pmin ?? 1, want.length > 0 ? 1 / want.length : 1);
      const minTries = p.tries ?? 2;
      const maxTries = Math.min(MAX_TRIES, Math.max(minTries, triesFor(want.length, pmin)));
      const file = join(tmpdir(), `${NS_PREFIX}${s.name}-${p.name}.trace`);
      const family = p.to.ip.includes(':') ? 6 : 4;
      // Nodes with native nftables tables carry the trace table; IPv6 iptables rules need nft's
      // monitor too (see lab/nft-trace.ts); everything else is xtables-monitor's.
      const nftNode = node.nftables !== undefined;
      const mode = nftNode || family === 6 ? 'nft' : 'xtables';
      const monitor = await TraceMonitor.start(node.ns, file, mode, family, nftNode);
      let results: TryResult[];
      let lines;
      try {
        results = await runClient({
          ns: clientNs(topo, p),
          proto: p.proto,
          ip: p.to.ip,
          port: p.to.port,
          ...(p.from.kind === 'node' ? { srcIp: p.from.srcIp } : {}),
          minTries,
          maxTries,
          want,
          sportBase,
        });
      } finally {
        lines = await monitor.stop({
          ...(node.dumps.nft !== undefined ? { nft: node.dumps.nft } : {}),
          ...(node.dumps.nft6 !== undefined ? { nft6: node.dumps.nft6 } : {}),
        });
        // Keep the raw trace only when asked (debugging a disagreement); it is parsed already.
        if (process.env.NP_DOCTOR_KERNEL_KEEP_TRACES !== '1') rmSync(file, { force: true });
      }
      const ct = await listConntrack(node.ns, p.proto, family);
      const tries = results.map((r, i): TryObservation => {
        const events = firstPacketEvents(lines, { src: packet.src, sport: r.sport, dport: p.to.port });
        const entry = findEntry(ct, packet.src, r.sport);
        return {
          ...r,
          hops: events === null ? null : toKernelHops(events),
          nat: entry === undefined ? null : natOf(entry),
          serverSaw: servers.byToken(tokenOf(i, r.sport)),
        };
      });
      probes.push({ probe: p, packet, tries, seconds: (Date.now() - t0) / 1000 });
    }
    return { scenario: s, nodes, probes };
  } finally {
    await servers.stopAll();
    await cleanupOwn();
  }
}
