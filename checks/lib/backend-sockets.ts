/**
 * What a backend pod listens on, as backend-not-listening and target-port-mismatch both read it: a
 * hostNetwork pod's sockets are its node's (`listening-sockets`), any other pod's are those of the
 * network namespace that holds its IP (`pod-netns-sockets`, read on the node it runs on).
 *
 * One cause, one finding: a numeric targetPort that no selected pod declares, where the sockets show
 * nothing on it but a declared containerPort listening, is the Service's mistake and
 * target-port-mismatch's finding (`misdirected`); backend-not-listening reports every other pod
 * whose sockets refuse the endpoint (nothing on the port, loopback only, the other protocol).
 */
import {
  boundText, listenerFor, probeEvidence, reaches, type CheckContext, type ContainerPort, type Evidence, type ListeningSocket, type PodInfo, type ServicePort,
} from '../../src/check-kit/index.js';

export { boundText, listenerFor, reaches, type Listener } from '../../src/check-kit/index.js';

export interface BackendSockets {
  sockets: readonly ListeningSocket[];
  /** The command that printed them, and the pod's network namespace (null: the node's own). */
  command: string;
  netns: string | null;
}

/** A pod's listening sockets, or why they are not known. */
export function backendSockets(ctx: Pick<CheckContext, 'nodeState'>, pod: PodInfo, node: string, ip: string): BackendSockets | { unknown: string } {
  const state = ctx.nodeState(node);
  if (pod.hostNetwork) {
    const sockets = state.sockets;
    const out = state.command('listening-sockets');
    return sockets === null || out === undefined ? { unknown: `the sockets of ${node} were not read` } : { sockets, command: out.argv.join(' '), netns: null };
  }
  const read = state.podSockets([...new Set([ip, ...pod.ips])]);
  return read.state === 'read' ? { sockets: read.sockets, command: read.command, netns: read.netns } : { unknown: read.why };
}


/** `8080/TCP`, or `127.0.0.1:9000/TCP` for a socket not reachable at `ip`; at most six, deduplicated. */
export function listensText(sockets: readonly ListeningSocket[], ip: string): string {
  const texts = [...new Set(sockets.map((s) => `${reaches(s, ip) ? s.port : boundText(s)}/${s.protocol}`))];
  return texts.slice(0, 6).join(', ') + (texts.length > 6 ? ', …' : '');
}

/** The protocol of a Service port as sockets have it; SCTP is not listed by `ss -t -u`. */
export function socketProtocol(port: ServicePort): 'TCP' | 'UDP' | null {
  return port.protocol === 'TCP' || port.protocol === 'UDP' ? port.protocol : null;
}

/**
 * target-port-mismatch's numeric case: the targetPort is a number none of `pods` declares for the
 * port's protocol while some declare other ports of it. Returns that number, else null.
 */
export function undeclaredNumericTargetPort(port: ServicePort, pods: readonly PodInfo[]): number | null {
  const tp = port.targetPort;
  if (typeof tp !== 'number') return null;
  const declared = pods.flatMap((p) => p.ports.filter((c) => c.protocol === port.protocol));
  return declared.length > 0 && !declared.some((c) => c.port === tp) ? tp : null;
}

/** The pod's declared containerPorts of `protocol` that listen, reachable at `ip`. */
export function declaredListening(pod: PodInfo, sockets: readonly ListeningSocket[], ip: string, protocol: 'TCP' | 'UDP'): ContainerPort[] {
  return pod.ports.filter((c) => c.protocol === protocol && sockets.some((s) => s.protocol === protocol && s.port === c.port && reaches(s, ip)));
}

/**
 * Whether the pod's refusal is the Service's mistake: its targetPort is a number no selected pod
 * declares, nothing listens on it in the pod, and a declared port does (target-port-mismatch's).
 */
export function misdirected(selected: readonly PodInfo[], port: ServicePort, pod: PodInfo, sockets: readonly ListeningSocket[], ip: string): boolean {
  const tp = undeclaredNumericTargetPort(port, selected);
  const protocol = socketProtocol(port);
  return tp !== null && protocol !== null && listenerFor(sockets, ip, tp, protocol).state === 'nothing' && declaredListening(pod, sockets, ip, protocol).length > 0;
}

/** The sockets as evidence: the lines ss printed (at most 12), where. */
export function socketEvidence(node: string, read: BackendSockets, lines: readonly ListeningSocket[]): Evidence {
  const shown = lines.slice(0, 12).map((s) => s.line);
  const where = read.netns === null ? '' : ` (network namespace ${JSON.stringify(read.netns)})`;
  return { kind: 'output', node, command: `${read.command}${where}`, excerpt: shown.length > 0 ? shown.join('\n') : 'no listening socket at all' };
}

/** The --probe connects from a node to this pod address and port, as evidence. */
export function podProbeEvidence(ctx: Pick<CheckContext, 'probes'>, ip: string, port: number): Evidence[] {
  return (ctx.probes ?? []).filter((p) => p.kind === 'node-to-pod' && p.ip === ip && p.port === port).slice(0, 4).map(probeEvidence);
}
