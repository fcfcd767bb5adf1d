/**
 * Replay and wire, reconciled: for each --probe connect, what the replay expected it to see and
 * which cause explains a difference. Every check of issue 16's reconciliation reports only its own
 * class, so one cause gives one finding, and a difference nothing explains is a contradiction.
 *
 * What a probe crosses, and so which replay it is compared with:
 * - client-to-node is the replayed connection itself: the ingress path of that node.
 * - node-to-pod leaves the ingress node by OUTPUT, not FORWARD, from the node's own address; it
 *   shares with the replay the network between the nodes, the backend node's FORWARD walk and the
 *   pod. So it is compared only where the replay reached the pod.
 * - node-to-self is a process on the node (nat OUTPUT, not PREROUTING): never replayed, it only
 *   says whether the node answers its own nodePort.
 */
import { familyOf, hostPort, isIp, isLoopbackIp, listenerFor, type CheckContext, type NodePath, type PathBranch, type Probe, type ProbeResult } from '../../src/check-kit/index.js';
import { linksOf } from './ip-addr.js';
import { percent } from './text.js';

/** The results a connect can see when the probe ran; `error` and `not-run` say nothing about the wire. */
export type WireResult = Extract<ProbeResult, 'connected' | 'refused' | 'timed-out' | 'unreachable'>;
const WIRE_RESULTS: ReadonlySet<ProbeResult> = new Set<WireResult>(['connected', 'refused', 'timed-out', 'unreachable']);
const isWireResult = (r: ProbeResult): r is WireResult => WIRE_RESULTS.has(r);

/** What the client sees on a replayed branch, as a connect would see it ("blocked" is an ICMP error: unreachable). */
const AS_WIRE: Record<PathBranch['result'], WireResult | null> = {
  delivered: 'connected', refused: 'refused', timeout: 'timed-out', blocked: 'unreachable', indeterminate: null,
};

/** What the replay says a probe should see. */
export interface Expectation {
  /** What its branches lead to; empty when it cannot say. */
  results: ReadonlySet<WireResult>;
  /** Why the replay cannot say (not replayed, a branch undecided), or null. */
  undecided: string | null;
  /** The replay's verdict in words: `100% of connections to 192.168.1.101:30080 reach a pod`. */
  verdict: string;
  /** The replayed path it was read from, or null. */
  path: NodePath | null;
  /** node-to-pod: the backend as the replay knows it (its node and pod from the cluster, not the probe). */
  backend?: NonNullable<PathBranch['backend']>;
}

/**
 * agrees: the probe saw what the replay expects. cannot-say: the probe did not run, or the replay
 * cannot say. blocked-before-node: the node answers itself but not the client (a cloud or corporate
 * firewall). overlay: a pod on another node does not answer the ingress node (the CNI's overlay),
 * and a client probe failing for that. pod-refuses: the pod refuses and its sockets were not read;
 * pod-not-listening: the pod refuses and its sockets show nothing listening (backend-not-listening
 * reports it). contradiction: nothing explains the difference.
 */
export type WireClass = 'agrees' | 'cannot-say' | 'blocked-before-node' | 'overlay' | 'pod-refuses' | 'pod-not-listening' | 'contradiction';

export interface ProbeReading {
  probe: Probe;
  expected: Expectation;
  class: WireClass;
}

/**
 * At most this many probes are read: more than --probe ever sends (it stops at 64), so only a
 * hand-made snapshot has more, and the pairing below must not grow with it.
 */
const MAX_READ = 256;

/** Every probe with what the replay expected and the class that explains it; [] without --probe. */
export function readProbes(ctx: CheckContext): ProbeReading[] {
  // A probe whose target is not an address (a hand-edited snapshot) says nothing, and never reaches a command.
  // A probe of the other address family is set against that family's replay, not this one.
  const probes = (ctx.probes ?? []).slice(0, MAX_READ).filter((p) => isIp(p.ip) && familyOf(p.ip) === ctx.question.family);
  // node-to-pod first: what they show explains the client's probes.
  const pods = probes.map((p) => (p.kind === 'node-to-pod' ? podReading(ctx, p) : null));
  const podReadings = pods.filter((r): r is ProbeReading => r !== null);
  return probes.map((probe, i) => pods[i] ?? (probe.kind === 'node-to-self'
    ? { probe, expected: NOT_REPLAYED_SELF, class: 'cannot-say' }
    : clientReading(ctx, probe, probes, podReadings)));
}


const NOT_REPLAYED_SELF: Expectation = {
  results: new Set(), path: null,
  undecided: 'the replay follows a client from outside the node, not a process on it',
  verdict: 'not replayed (a connection from the node itself)',
};

/**
 * The replayed ingress path of `node` for `port`: the one dialled at `ip`, else another address of
 * the node (a nodePort answers on each), never a loopback one (that replay is a process on the node).
 */
function pathOf(ctx: CheckContext, node: string, port: number, ip: string): NodePath | null {
  const same = ctx.paths.filter((p) => p.node === node && p.port === port);
  return same.find((p) => p.address === ip) ?? same.find((p) => !isLoopbackIp(p.address)) ?? null;
}

/** The replay says nothing: no path (`what`), or a path whose node could not be replayed. */
function notReplayed(path: NodePath | null, what: string): Expectation {
  const why = path?.unavailable ?? what;
  return { results: new Set(), undecided: why, verdict: path === null ? what : `not replayed: ${why}`, path };
}

/** A client-to-node probe: what the client sees on each branch of its node's replay. */
function clientExpectation(path: NodePath | null, probe: Probe): Expectation {
  if (path === null || path.unavailable !== null) return notReplayed(path, `${probe.node} was not replayed for port ${probe.port}`);
  const results = new Set<WireResult>();
  const undecided = path.branches.find((b) => AS_WIRE[b.result] === null)?.why ?? (path.branches.length === 0 ? 'the replay has no outcome' : null);
  for (const b of path.branches) {
    const r = AS_WIRE[b.result];
    if (r !== null) results.add(r);
  }
  return { results: undecided === null ? results : new Set(), undecided, verdict: pathVerdict(path), path };
}

/** `100% of connections to 192.168.1.101:30080 reach a pod`, `50% … time out (why)`, per result. */
export function pathVerdict(p: NodePath): string {
  const shares = new Map<string, { share: number; why: string }>();
  for (const b of p.branches) {
    const key = SAYS[b.result];
    const e = shares.get(key) ?? { share: 0, why: b.why };
    e.share += b.probability;
    shares.set(key, e);
  }
  return [...shares].map(([says, e]) => `${percent(e.share)} of connections to ${hostPort(p.address, p.port)} ${says}${says === SAYS.delivered ? '' : ` (${e.why})`}`).join('; ');
}

const SAYS: Record<PathBranch['result'], string> = {
  delivered: 'reach a pod', refused: 'are refused', timeout: 'time out', blocked: 'are blocked (ICMP error)', indeterminate: 'cannot be decided',
};

/** A node-to-pod probe: compared with the branches of its ingress node's replay that reach that pod. */
function podReading(ctx: CheckContext, probe: Probe): ProbeReading {
  // The ingress node's replay, whatever address it was dialled at: the branches past DNAT are the same.
  const path = ctx.paths.find((p) => p.node === probe.from) ?? null;
  const expected = podExpectation(path, probe);
  const cls = ((): WireClass => {
    if (!isWireResult(probe.result) || expected.undecided !== null) return 'cannot-say';
    if (expected.results.has(probe.result)) return 'agrees';
    if (!expected.results.has('connected')) return 'contradiction';
    if (probe.result === 'refused') return refusalClass(ctx, expected.backend?.node ?? null, probe.ip, probe.port, probe.protocol);
    // Only a pod on another node is reached across the overlay; a hostNetwork one (its node's own
    // address) is not in the pod network at all.
    const podNode = expected.backend?.node ?? null;
    const hostNetwork = podNode !== null && (linksOf(ctx, podNode) ?? []).some((l) => l.addresses.includes(probe.ip));
    return podNode !== null && podNode !== path?.node && !hostNetwork ? 'overlay' : 'contradiction';
  })();
  return { probe, expected, class: cls };
}

/**
 * What a connect from the ingress node to the pod should see: where the replay reached the pod,
 * it connects (or is refused, when the replay knows nothing listens: a hostNetwork backend). A
 * branch stopped before the pod says nothing here: the probe has another source (the node's own
 * address), which NetworkPolicy and the backend node's rules may treat otherwise.
 */
function podExpectation(path: NodePath | null, probe: Probe): Expectation {
  if (path === null || path.unavailable !== null) return notReplayed(path, `${probe.from} was not replayed`);
  const toPod = path.branches.filter((b) => b.backend?.ip === probe.ip && b.backend.port === probe.port);
  const first = toPod[0];
  if (first === undefined) {
    const what = `the replay through ${path.node} does not reach ${hostPort(probe.ip, probe.port)}`;
    return { results: new Set(), undecided: what, verdict: what, path };
  }
  const results = new Set<WireResult>();
  let undecided: string | null = null;
  for (const b of toPod) {
    const pod = b.stages.find((s) => s.stage === 'pod');
    if (pod === undefined || pod.ok === null) undecided ??= pod?.summary ?? `the replay stops before the pod: ${b.why}`;
    else results.add(pod.ok ? 'connected' : 'refused');
  }
  const target = first.backend;
  const where = `${target?.pod ?? probe.ip}${target?.node ? ` on ${target.node}` : ''}`;
  const verdict = undecided !== null ? `the replay through ${path.node} cannot say whether ${where} answers (${undecided})`
    : results.has('connected') ? `the replay through ${path.node} reaches ${where} at ${hostPort(probe.ip, probe.port)}`
      : `the replay through ${path.node} reaches ${where}, where nothing listens on ${probe.port}`;
  return { results: undecided === null ? results : new Set(), undecided, verdict, path, ...(target === null ? {} : { backend: target }) };
}

/**
 * Why a pod refuses: its sockets read show nothing listening on the port (other than on loopback),
 * or they were not read; when they show a listener, the refusal is unexplained.
 */
function refusalClass(ctx: CheckContext, node: string | null, ip: string, port: number, protocol: Probe['protocol']): WireClass {
  const s = node === null ? null : ctx.nodeState(node).podSockets([ip]);
  if (s === null || s.state === 'unknown') return 'pod-refuses';
  if (protocol === 'SCTP') return 'contradiction'; // ss -t -u lists no SCTP socket (and --probe sends TCP only)
  return listenerFor(s.sockets, ip, port, protocol).state === 'listens' ? 'contradiction' : 'pod-not-listening';
}

/** A client-to-node probe: compared with its ingress node's replay, then explained by the other probes. */
function clientReading(ctx: CheckContext, probe: Probe, probes: readonly Probe[], podReadings: readonly ProbeReading[]): ProbeReading {
  const expected = clientExpectation(pathOf(ctx, probe.node, probe.port, probe.ip), probe);
  const r = probe.result;
  const cls = ((): WireClass => {
    if (!isWireResult(r) || expected.undecided !== null) return 'cannot-say';
    if (expected.results.has(r)) return 'agrees';
    const fromHere = podReadings.filter((p) => p.probe.from === probe.node);
    const failed = r === 'timed-out' || r === 'unreachable';
    if (failed && expected.results.has('connected') && fromHere.some((p) => p.class === 'overlay')) return 'overlay';
    if (r === 'refused' && expected.results.has('connected')) {
      const pods = deliveredTo(expected.path);
      const atPods = podReadings.filter((p) => pods.some((b) => b.ip === p.probe.ip && b.port === p.probe.port));
      const cause = atPods.find((p) => p.class === 'pod-refuses' || p.class === 'pod-not-listening')?.class
        ?? (pods.some((b) => refusalClass(ctx, b.node, b.ip, b.port, probe.protocol) === 'pod-not-listening') ? 'pod-not-listening' : null);
      if (cause !== null) return cause;
    }
    const self = probes.find((p) => p.kind === 'node-to-self' && p.node === probe.node);
    const nodeAnswers = self !== undefined && (self.result === 'connected' || self.result === 'refused');
    if (failed && nodeAnswers && (expected.results.has('connected') || expected.results.has('refused'))) return 'blocked-before-node';
    return 'contradiction';
  })();
  return { probe, expected, class: cls };
}

/** The pods a replayed path delivers to. */
function deliveredTo(path: NodePath | null): { ip: string; port: number; node: string | null }[] {
  const out = new Map<string, { ip: string; port: number; node: string | null }>();
  for (const b of path?.branches ?? []) {
    if (b.result !== 'delivered' || b.backend === null || b.backend.port === null) continue;
    out.set(`${b.backend.ip}:${b.backend.port}`, { ip: b.backend.ip, port: b.backend.port, node: b.backend.node });
  }
  return [...out.values()];
}

/** Path evidence: the replay a reading was compared with. */
export function replayEvidence(r: ProbeReading): { kind: 'path'; node: string; summary: string } | null {
  const p = r.expected.path;
  return p === null ? null : { kind: 'path', node: p.node, summary: r.expected.verdict };
}
