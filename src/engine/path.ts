/**
 * End-to-end path analysis: what happens to a client's connection to a NodePort, per ingress
 * node, per branch of the walk. client → ingress node (walk) → the backend's node (FORWARD /
 * POSTROUTING walk, rp_filter) → NetworkPolicy with the source the packet really has there →
 * the pod → the return path. Pure: nodes come in already parsed, policy as a PolicyWorld.
 */
import { hostPort, isLoopback, parseAddr } from './address.js';
import { evaluateIngress, type PolicyDecision, type PolicyPod, type PolicyWorld } from './netpol/index.js';
import type { WalkLimits } from './packet/budget.js';
import type { NodeContext, Outcome, Protocol, WalkResult } from './packet/contract.js';
import { routeLookup } from './packet/routing.js';
import { buildEnv } from './packet/walk-env.js';
import { walk, type Dataplane } from './walk/walk.js';

/** What the client sees. */
export type ClientResult = 'delivered' | 'refused' | 'timeout' | 'blocked' | 'indeterminate';

export type StageName = 'ingress' | 'backend-node' | 'policy' | 'pod' | 'return';

export interface PathStage {
  stage: StageName;
  node?: string;
  /** null: could not be decided. */
  ok: boolean | null;
  summary: string;
  /** The walk outcome of an ingress or backend-node stage. */
  outcome?: Outcome;
  /** A backend-node stage: the whole walk of the backend node's rules (the ingress walk is NodePath.walk). */
  walk?: WalkResult;
  policy?: PolicyDecision;
}

export interface PathBranch {
  probability: number;
  result: ClientResult;
  /** The stage that decided a failure, null when delivered. */
  failedAt: StageName | null;
  why: string;
  backend: { ip: string; port: number | null; node: string | null; pod: string | null } | null;
  /** The source address the pod sees (after any SNAT); null when no pod was reached or unknown. */
  sourceAtPod: string | null;
  stages: PathStage[];
}

export interface NodePath {
  node: string;
  address: string;
  port: number;
  protocol: Protocol;
  client: { ip: string; port: number };
  /** The most likely thing the client sees (the most probable failure when some branches fail). */
  result: ClientResult;
  /** Probability that the first packet reaches a pod (0..1). */
  deliveredShare: number;
  /** Why the node could not be replayed; branches are then empty. */
  unavailable: string | null;
  walk: WalkResult | null;
  branches: PathBranch[];
  /** Facts the analysis assumed (from the walks, and its own). */
  assumptions: string[];
}

/** One node as the path needs it. */
export interface PathNode {
  name: string;
  rules: { plane: Dataplane; context: NodeContext } | { unavailable: string };
  /** sysctl name → value; empty when not gathered. */
  sysctls: Map<string, string>;
  /** Ports with a listening socket in the host network namespace, when gathered (`tcp/30080`). */
  listening: Set<string> | null;
}

/** A ready endpoint of the Service port, with its pod when known. */
export interface PathBackend {
  ip: string;
  port: number;
  node: string | null;
  pod: PolicyPod | null;
  hostNetwork: boolean;
  /**
   * What the pod's own listening sockets say about the endpoint port (not hostNetwork, whose
   * sockets are its node's `listening`): null when they were not read.
   */
  sockets?: { accepts: true } | { accepts: false; why: string } | null;
}

export interface PathQuestion {
  client: { ip: string; port: number };
  protocol: Protocol;
  nodePort: number;
  /** `localProcess`: the client is a process on that node (it dials 127.0.0.1, or its own address): the OUTPUT path. */
  ingress: { node: string; address: string; localProcess?: boolean }[];
  /** Looked up by name only: a caller may read a node's rules on first lookup (one Service's paths touch few nodes). */
  nodes: Pick<ReadonlyMap<string, PathNode>, 'get'>;
  backends: PathBackend[];
  /** null: NetworkPolicies could not be read; the policy stage is then undecided. */
  policy: PolicyWorld | { unavailable: string };
  /** Node name → its InternalIPs, for finding which node an address or route belongs to. */
  nodeAddresses: Record<string, string[]>;
  /** The client connected before (Packet.returningClient): session affinity sends it back to an endpoint the dumps do not show. */
  returningClient?: boolean;
  /**
   * Budgets for each walk the analysis makes (branches, rule evaluations, and time with the
   * caller's clock: the engine has none). Without them a walk still has its branch and step budgets.
   */
  limits?: WalkLimits;
}

const KUBE_PROTO: Record<string, 'TCP' | 'UDP' | 'SCTP'> = { tcp: 'TCP', udp: 'UDP', sctp: 'SCTP' };

export function analysePaths(q: PathQuestion): NodePath[] {
  return q.ingress.map((i) => analyseNode(q, i.node, i.address, i.localProcess === true));
}

function analyseNode(q: PathQuestion, nodeName: string, address: string, localProcess: boolean): NodePath {
  const base: NodePath = {
    node: nodeName, address, port: q.nodePort, protocol: q.protocol, client: q.client,
    result: 'indeterminate', deliveredShare: 0, unavailable: null, walk: null, branches: [], assumptions: [],
  };
  const node = q.nodes.get(nodeName);
  if (node === undefined || 'unavailable' in node.rules) {
    return { ...base, unavailable: node === undefined ? `node ${nodeName} was not gathered` : (node.rules as { unavailable: string }).unavailable };
  }
  const dialled = parseAddr(address);
  if (dialled === null) {
    // A Node object without a usable InternalIP (or a hostile one): nothing to dial, nothing to replay.
    return { ...base, unavailable: `node ${nodeName} has no IP address to dial: ${JSON.stringify(address.slice(0, 64))} is not one (its Node object lists no usable InternalIP; name one with --node-ip)` };
  }
  const { plane, context } = node.rules;
  const assumptions: string[] = [];
  let dst = address;
  if (!localProcess && !isLoopback(dialled) && !context.localIps.some((l) => l.split('/')[0] === address)) {
    // A cloud's 1:1 NAT (ExternalIP, floating IP) delivers to the node's own address.
    const own = (q.nodeAddresses[nodeName] ?? []).find((a) => parseAddr(a)?.family === dialled.family && context.localIps.some((l) => l.split('/')[0] === a));
    if (own !== undefined) {
      assumptions.push(`${address} is not configured on ${nodeName}; assumed the network translates it to ${own} (ExternalIP / floating IP)`);
      dst = own;
    }
  }
  const inIface = localProcess ? undefined : context.interfaceOf?.[dst];
  const result = walk(plane, context, {
    src: q.client.ip, dst, proto: q.protocol, sport: q.client.port, dport: q.nodePort,
    ...(localProcess ? { localProcess: true } : inIface !== undefined ? { inIface } : {}),
    ...(q.returningClient === true ? { returningClient: true } : {}),
  }, q.limits);
  const rp = localProcess ? null : rpFilterDrop(node, context, q.client.ip, inIface);
  const branches = result.outcomes.map((o) => {
    if (rp !== null) {
      return fail(o.probability, 'timeout', 'ingress', rp, null, null, [{ stage: 'ingress', node: nodeName, ok: false, summary: rp, outcome: o }]);
    }
    return followIngress(q, node, o);
  });
  for (const o of result.outcomes) for (const a of o.assumptions ?? []) if (!assumptions.includes(a)) assumptions.push(a);
  const delivered = branches.filter((b) => b.result === 'delivered').reduce((s, b) => s + b.probability, 0);
  return { ...base, walk: result, branches, deliveredShare: round(delivered), result: nodeResult(branches), assumptions };
}

/** Where a walk stopped, naming the rule as its dump does: nftables by handle, iptables by line. */
function endedAt(last: Outcome['hops'][number] | undefined): string {
  if (last === undefined) return 'routing';
  if (last.rule === null) return `${last.table}/${last.chain} policy`;
  return `${last.table}/${last.chain} ${last.handle !== undefined ? `handle ${last.handle}` : `line ${last.line}`}`;
}

/** What became of one ingress outcome. */
function followIngress(q: PathQuestion, node: PathNode, o: Outcome): PathBranch {
  const stages: PathStage[] = [];
  const ingress = (ok: boolean | null, summary: string) => stages.push({ stage: 'ingress', node: node.name, ok, summary, outcome: o });
  if (o.verdict === 'INDETERMINATE') {
    ingress(null, o.indeterminate ?? 'the walk could not decide');
    return fail(o.probability, 'indeterminate', 'ingress', o.indeterminate ?? 'the walk could not decide', null, null, stages);
  }
  const last = o.hops[o.hops.length - 1];
  const where = endedAt(last);
  // A packet stopped after DNAT (in FORWARD, say) still names the pod it was on its way to.
  const dnatBackend = (): PathBranch['backend'] => {
    if (o.dnat === null) return null;
    const b = q.backends.find((x) => x.ip === o.dnat!.ip && (o.dnat!.port === null || x.port === o.dnat!.port));
    return { ip: o.dnat.ip, port: o.dnat.port ?? q.nodePort, node: b?.node ?? null, pod: b?.pod ? `${b.pod.namespace}/${b.pod.name}` : null };
  };
  if (o.verdict === 'DROP') {
    const why = o.reason ?? `dropped by ${where} on ${node.name}`;
    ingress(false, why);
    return fail(o.probability, 'timeout', 'ingress', why, dnatBackend(), null, stages);
  }
  if (o.verdict === 'REJECT') {
    const seen = o.rejectWith ?? 'icmp-port-unreachable';
    const why = `rejected with ${seen} by ${where} on ${node.name}`;
    ingress(false, why);
    return fail(o.probability, rejectResult(seen), 'ingress', why, dnatBackend(), null, stages);
  }
  if (o.dnat === null) {
    // Accepted but never translated: it goes to whatever listens on the node itself.
    const key = `${q.protocol}/${q.nodePort}`;
    const listens = node.listening?.has(key) ?? null;
    const why = listens
      ? `no rule translated it; a process on ${node.name} listens on ${key} and answers instead of a pod`
      : `no rule translated it, so it reached ${node.name} itself${listens === false ? ', where nothing listens on ' + key : ''}: the kernel answers with a reset`;
    ingress(false, why);
    return fail(o.probability, listens ? 'indeterminate' : 'refused', 'ingress', why, null, null, stages);
  }
  ingress(true, `translated to ${hostPort(o.dnat.ip, o.dnat.port ?? q.nodePort)}${o.snat ? ` and masqueraded${o.snat.ip ? ` to ${o.snat.ip}` : ''}` : ''}`);

  const backend = q.backends.find((b) => b.ip === o.dnat!.ip && (o.dnat!.port === null || b.port === o.dnat!.port));
  const bport = o.dnat.port ?? q.nodePort;
  const backendRef = { ip: o.dnat.ip, port: bport, node: backend?.node ?? null, pod: backend?.pod ? `${backend.pod.namespace}/${backend.pod.name}` : null };
  const source = o.snat === null ? q.client.ip : o.snat.ip ?? null;
  if (backend === undefined) {
    const why = `the rules send it to ${hostPort(o.dnat.ip, bport)}, which is not a ready endpoint of the Service (stale rules?)`;
    stages.push({ stage: 'backend-node', ok: false, summary: why });
    return fail(o.probability, 'timeout', 'backend-node', why, backendRef, source, stages);
  }

  const remote = backend.node !== null && backend.node !== node.name;
  if (remote) {
    const r = backendNode(q, node, backend, source, o, stages);
    if (r !== null) return { ...r, probability: o.probability, backend: backendRef, sourceAtPod: source, stages };
  }

  // NetworkPolicy on the backend pod sees the packet after DNAT, from the source it really has.
  if (backend.pod !== null && !backend.hostNetwork) {
    if ('unavailable' in q.policy) {
      stages.push({ stage: 'policy', ok: null, summary: `NetworkPolicies unknown: ${q.policy.unavailable}` });
    } else if (source === null) {
      stages.push({ stage: 'policy', ok: null, summary: 'the masquerade address could not be determined, so NetworkPolicy cannot be evaluated' });
    } else {
      const decision = evaluateIngress(q.policy, { srcIp: source, pod: backend.pod, port: bport, protocol: KUBE_PROTO[q.protocol] ?? 'TCP' });
      stages.push({ stage: 'policy', ok: decision.verdict === 'allowed' ? true : decision.verdict === 'denied' ? false : null, summary: decision.reason, policy: decision });
      if (decision.verdict === 'denied') {
        return fail(o.probability, 'timeout', 'policy', `NetworkPolicy drops it at ${backendRef.pod}: ${decision.reason}`, backendRef, source, stages);
      }
    }
  }

  // The pod: a hostNetwork backend's sockets are the node's.
  if (backend.hostNetwork && backend.node !== null) {
    const listening = q.nodes.get(backend.node)?.listening?.has(`${q.protocol}/${bport}`) ?? null;
    stages.push({ stage: 'pod', node: backend.node, ok: listening, summary: listening === false ? `nothing listens on ${q.protocol}/${bport} on ${backend.node}` : `hostNetwork pod on ${backend.node}` });
    if (listening === false) return fail(o.probability, 'refused', 'pod', `nothing listens on ${bport} on ${backend.node} (hostNetwork backend)`, backendRef, source, stages);
  } else if (backend.sockets?.accepts === false) {
    // The kernel in the pod's namespace answers the SYN with a reset (a UDP datagram with ICMP port unreachable).
    stages.push({ stage: 'pod', node: backend.node ?? undefined, ok: false, summary: backend.sockets.why });
    return fail(o.probability, 'refused', 'pod', backend.sockets.why, backendRef, source, stages);
  } else {
    const unread = backend.sockets == null ? ' (its sockets were not read)' : '';
    stages.push({ stage: 'pod', node: backend.node ?? undefined, ok: true, summary: `reaches ${backendRef.pod ?? backend.ip} at ${hostPort(backend.ip, bport)}${unread}` });
  }

  // The return path: without SNAT the pod answers the client directly. On a remote node that reply
  // leaves by the backend node's own route and is never un-DNATed by the ingress node.
  if (remote && o.snat === null) {
    const why = `the reply leaves ${backend.node} straight to ${q.client.ip}, bypassing ${node.name} where the connection was translated, so the client drops it`;
    stages.push({ stage: 'return', node: backend.node ?? undefined, ok: false, summary: why });
    return fail(o.probability, 'timeout', 'return', why, backendRef, source, stages);
  }
  stages.push({ stage: 'return', node: node.name, ok: true, summary: `the reply returns through ${node.name}` });
  return { probability: o.probability, result: 'delivered', failedAt: null, why: `delivered to ${backendRef.pod ?? backend.ip}`, backend: backendRef, sourceAtPod: source, stages };
}

/** The forwarded packet on the backend's node: rp_filter, then the node's own FORWARD walk. */
function backendNode(q: PathQuestion, ingress: PathNode, backend: PathBackend, source: string | null, o: Outcome, stages: PathStage[]):
  Omit<PathBranch, 'probability' | 'backend' | 'sourceAtPod' | 'stages'> | null {
  const name = backend.node!;
  const target = q.nodes.get(name);
  if (target === undefined || 'unavailable' in target.rules) {
    const why = `node ${name} (the backend's) ${target === undefined ? 'was not gathered' : `could not be read: ${(target.rules as { unavailable: string }).unavailable}`}`;
    stages.push({ stage: 'backend-node', node: name, ok: null, summary: why });
    return { result: 'indeterminate', failedAt: 'backend-node', why };
  }
  if (source === null) {
    const why = `the masquerade address on ${ingress.name} could not be determined, so ${name}'s rules cannot be replayed`;
    stages.push({ stage: 'backend-node', node: name, ok: null, summary: why });
    return { result: 'indeterminate', failedAt: 'backend-node', why };
  }
  const ctx = target.rules.context;
  // It arrives on the interface that leads back to the ingress node.
  // An overlay (flannel.1, tunl0, vxlan.calico) delivers on the backend node's device of the same
  // name; a routed network on the backend node's route back to the ingress node.
  const overlay = o.outIface && devicesOf(ctx).has(o.outIface) && o.outIface !== 'lo' ? o.outIface : undefined;
  const ingressIp = (q.nodeAddresses[ingress.name] ?? [])[0];
  const ingressAddr = ingressIp === undefined ? null : parseAddr(ingressIp);
  const inIface = overlay ?? (ingressAddr === null ? undefined : routeLookup(ingressAddr, buildEnv(ctx)).iface);
  const rp = rpFilterDrop(target, ctx, source, inIface);
  if (rp !== null) {
    stages.push({ stage: 'backend-node', node: name, ok: false, summary: rp });
    return { result: 'timeout', failedAt: 'backend-node', why: rp };
  }
  const res = walk(target.rules.plane, ctx, {
    src: source, dst: backend.ip, proto: q.protocol, sport: q.client.port, dport: o.dnat?.port ?? q.nodePort,
    ...(inIface !== undefined ? { inIface } : {}),
  }, q.limits);
  // The forwarded packet meets the backend node's rules; every branch must let it through.
  const bad = res.outcomes.find((x) => x.verdict !== 'ACCEPT');
  const sample = bad ?? res.outcomes[0];
  if (bad === undefined) {
    stages.push({ stage: 'backend-node', node: name, ok: true, summary: `${name} forwards it to the pod`, ...(sample ? { outcome: sample } : {}), walk: res });
    return null;
  }
  const last = bad.hops[bad.hops.length - 1];
  const where = endedAt(last);
  if (bad.verdict === 'INDETERMINATE') {
    const why = `on ${name}: ${bad.indeterminate ?? 'the walk could not decide'}`;
    stages.push({ stage: 'backend-node', node: name, ok: null, summary: why, outcome: bad, walk: res });
    return { result: 'indeterminate', failedAt: 'backend-node', why };
  }
  const why = bad.reason ?? `${bad.verdict === 'DROP' ? 'dropped' : `rejected with ${bad.rejectWith ?? 'icmp-port-unreachable'}`} by ${where} on ${name}`;
  stages.push({ stage: 'backend-node', node: name, ok: false, summary: why, outcome: bad, walk: res });
  return { result: bad.verdict === 'REJECT' ? rejectResult(bad.rejectWith ?? 'icmp-port-unreachable') : 'timeout', failedAt: 'backend-node', why };
}

/** The devices holding the node's addresses, listed once per context (a node with a veth per pod has thousands). */
const devices = new WeakMap<NodeContext, { of: Record<string, string> | undefined; names: Set<string> }>();

function devicesOf(ctx: NodeContext): Set<string> {
  let d = devices.get(ctx);
  if (d === undefined || d.of !== ctx.interfaceOf) devices.set(ctx, d = { of: ctx.interfaceOf, names: new Set(Object.values(ctx.interfaceOf ?? {})) });
  return d.names;
}

/**
 * Strict reverse-path filtering (rp_filter=1; the effective value is the larger of `all` and the
 * interface's) drops a packet whose source is routed out of another interface than it came in on.
 */
function rpFilterDrop(node: PathNode, ctx: NodeContext, source: string, inIface: string | undefined): string | null {
  if (inIface === undefined || ctx.routes === undefined) return null;
  const all = Number(node.sysctls.get('net.ipv4.conf.all.rp_filter') ?? 'NaN');
  const dev = Number(node.sysctls.get(`net.ipv4.conf.${inIface}.rp_filter`) ?? 'NaN');
  const effective = Math.max(Number.isNaN(all) ? 0 : all, Number.isNaN(dev) ? 0 : dev);
  if (effective !== 1) return null;
  const src = parseAddr(source);
  if (src === null || src.family !== 4) return null;
  const back = routeLookup(src, buildEnv(ctx));
  if (!back.known || back.iface === inIface) return null;
  return `strict rp_filter on ${node.name}: the packet from ${source} arrives on ${inIface}, but the route back to ${source} leaves by ${back.iface ?? 'no interface'}`;
}

/** tcp-reset and port-unreachable read as "connection refused"; other ICMP errors as "no route to host" / "prohibited". */
function rejectResult(rejectWith: string): ClientResult {
  return rejectWith === 'tcp-reset' || rejectWith.includes('port-unreach') ? 'refused' : 'blocked';
}

function fail(probability: number, result: ClientResult, failedAt: StageName, why: string,
  backend: PathBranch['backend'], sourceAtPod: string | null, stages: PathStage[]): PathBranch {
  return { probability, result, failedAt, why, backend, sourceAtPod, stages };
}

const SEVERITY_OF: Record<ClientResult, number> = { timeout: 4, blocked: 3, refused: 2, indeterminate: 1, delivered: 0 };

/** Everything delivered → delivered; else the failure with the highest probability (worse on ties). */
function nodeResult(branches: PathBranch[]): ClientResult {
  if (branches.length === 0) return 'indeterminate';
  const share = new Map<ClientResult, number>();
  for (const b of branches) if (b.result !== 'delivered') share.set(b.result, (share.get(b.result) ?? 0) + b.probability);
  if (share.size === 0) return 'delivered';
  return [...share.entries()].sort((a, b) => b[1] - a[1] || SEVERITY_OF[b[0]] - SEVERITY_OF[a[0]])[0]![0];
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;
