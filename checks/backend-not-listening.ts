/**
 * The endpoint is reached, but nothing listens on its port there, the app listens on loopback only,
 * or only for the other protocol: the kernel answers a TCP SYN with a reset ("connection refused"),
 * a UDP datagram with ICMP port unreachable. Proven from the sockets: a hostNetwork backend's are
 * its node's `ss -l` output, any other pod's those of the network namespace holding its IP.
 *
 * Ownership (checks/lib/backend-sockets.ts): a numeric targetPort no selected pod declares, with
 * nothing listening on it and a declared port listening, is target-port-mismatch's finding; this
 * check stays silent for those pods. Pods whose sockets could not be read are pod-sockets-unread's.
 */
import { defineCheck, hostPort, sh, type Command, type Evidence, type FindingInput, type NodePath, type PodInfo, type ServiceInfo, type ServicePort } from '../src/check-kit/index.js';
import {
  backendSockets, boundText, declaredListening, listenerFor, listensText, misdirected, podProbeEvidence, socketEvidence, socketProtocol,
  type BackendSockets, type Listener,
} from './lib/backend-sockets.js';

const MESSAGES = {
  nothing: 'Nothing listens on {{proto}} port {{port}} on {{node}}, where the endpoint {{pod}} (hostNetwork) runs: connections translated to {{target}} are refused by the kernel.{{hint}}',
  loopback: '{{pod}} (hostNetwork, on {{node}}) listens on {{bound}} only: connections to {{target}} arrive on the node\'s own address and are refused. The app must bind 0.0.0.0 (or the node address).',
  podNothing: 'Nothing in {{pod}} (on {{node}}) listens on {{port}}/{{proto}}, the endpoint port: {{listens}}. Connections to {{target}} are {{refused}}.',
  podLoopback: '{{pod}} (on {{node}}) listens on {{bound}} only: connections to {{target}} arrive on the pod\'s own address and are {{refused}}. The app must bind 0.0.0.0 (or ::).',
  podOtherProtocol: '{{pod}} (on {{node}}) listens on {{port}}/{{other}}, but the Service port is {{proto}}: connections to {{target}} are {{refused}}.',
} as const;

type Finding = FindingInput<typeof MESSAGES>;

/** What the kernel does with a connection to a port nothing listens on, per protocol. */
const REFUSED = { TCP: 'refused by the kernel (a reset)', UDP: 'answered with ICMP port unreachable' } as const;

/** One endpoint whose sockets refuse it, with what every finding about it shows. */
interface Refusal {
  svc: ServiceInfo;
  port: ServicePort;
  pod: PodInfo;
  node: string;
  address: string;
  bport: number;
  proto: 'TCP' | 'UDP';
  read: BackendSockets;
  /** The objects first, then (after the sockets) the replayed paths and --probe connects. */
  objects: Evidence[];
  tail: Evidence[];
}

export default defineCheck({
  id: 'backend-not-listening',
  title: 'Nothing listens on the endpoint port',
  description: 'The endpoint is reached but no socket listens on its port, only on 127.0.0.1, or only for the other protocol (from the node\'s or the pod\'s own ss).',
  severity: 'error',
  stage: 'backend',
  requires: ['service', 'nodePort', 'endpointSlices', 'nodeState', 'pods'],
  messages: MESSAGES,
  run(ctx) {
    const { service: svc, port } = ctx;
    const proto = socketProtocol(port);
    if (proto === null) return [];
    const findings: Finding[] = [];
    const selected = ctx.pods.selectedBy(svc);
    const seen = new Set<string>();
    for (const e of ctx.endpointSlices.used(svc, port)) {
      const key = `${e.address}:${e.port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const pod: PodInfo | undefined = e.pod ? ctx.pods.get(e.pod.namespace ?? svc.namespace, e.pod.name) : undefined;
      const node = e.nodeName ?? pod?.nodeName ?? null;
      if (pod === undefined || node === null || ctx.nodeState(node).unavailable !== null) continue;
      const read = backendSockets(ctx, pod, node, e.address);
      if ('unknown' in read) continue;
      const listener = listenerFor(read.sockets, e.address, e.port, proto);
      if (listener.state === 'listens') continue;
      if (listener.state === 'nothing' && misdirected(selected, port, pod, read.sockets, e.address)) continue;
      const r: Refusal = {
        svc, port, pod, node, address: e.address, bport: e.port, proto, read,
        objects: [
          ...(pod.hostNetwork ? [{ kind: 'object', ref: `Pod ${pod.namespace}/${pod.name}`, field: 'spec.hostNetwork', value: true } as const] : []),
          { kind: 'object', ref: `EndpointSlice ${svc.namespace}/${e.slice}`, field: `endpoints[${e.address}]`, value: { port: e.port, ready: e.ready, nodeName: node } },
        ],
        tail: [...pathEvidence(ctx.paths, e.address, e.port), ...podProbeEvidence(ctx, e.address, e.port)],
      };
      findings.push(pod.hostNetwork ? hostNetworkFinding(r, listener) : podFinding(r, listener));
    }
    return findings;
  },
});

const podText = (pod: PodInfo): string => `pod ${pod.namespace}/${pod.name}`;
const inspect = (pod: PodInfo): Command => sh`kubectl exec -n ${pod.namespace} ${pod.name} -- sh -c ${'ss -ltnup 2>/dev/null || netstat -ltnup'}`;
const logs = (pod: PodInfo): Command => sh`kubectl logs -n ${pod.namespace} ${pod.name}`;
const bindFix = (pod: PodInfo, port: number): string =>
  `Configure the app in ${pod.name} to listen on 0.0.0.0:${port} (its bind/host/listen-address setting) instead of loopback, then restart it.`;

/** A hostNetwork backend: the messages as they were before pods' own sockets were read. */
function hostNetworkFinding(r: Refusal, listener: Exclude<Listener, { state: 'listens' }>): Finding {
  const { pod, node, address, bport, proto, read, svc, port } = r;
  const data = { pod: podText(pod), node, target: hostPort(address, bport) };
  if (listener.state === 'loopback') {
    return {
      messageId: 'loopback', node,
      data: { ...data, bound: listener.sockets.map(boundText).join(', ') },
      evidence: [...r.objects, { kind: 'output', node, command: read.command, excerpt: listener.sockets.map((s) => s.line).join('\n') }, ...r.tail],
      remediation: { summary: bindFix(pod, bport), commands: [inspect(pod), logs(pod)] },
    };
  }
  // A port the pod declares that does listen points at a wrong targetPort.
  const declared = declaredListening(pod, read.sockets, address, proto).filter((c) => c.port !== bport);
  const [listening] = declared;
  const hint = listening !== undefined
    ? ` The pod declares containerPort ${declared.map((c) => c.port).join(', ')}, which is listening: the Service's targetPort (${String(port.targetPort)}) is probably wrong.`
    : ' The app is not running, not ready to accept connections, or listens on another port.';
  const declaredLines = read.sockets.filter((s) => s.protocol === proto && declared.some((c) => c.port === s.port)).map((s) => s.line);
  return {
    messageId: 'nothing', node,
    data: { ...data, port: bport, proto, hint },
    evidence: [...r.objects, { kind: 'output', node, command: read.command, excerpt: `no ${proto.toLowerCase()} socket on port ${bport}${declaredLines.length > 0 ? `; ${declaredLines.join('; ')}` : ''}` }, ...r.tail],
    remediation: {
      summary: listening !== undefined
        ? `Point the Service's targetPort at ${listening.port}, the port the app listens on.`
        : `Find out why the app in ${pod.name} does not listen on ${bport}: its log, its configured port.`,
      commands: [
        ...(listening !== undefined ? [sh`kubectl patch service ${svc.name} -n ${svc.namespace} --type=json -p ${JSON.stringify([{ op: 'replace', path: `/spec/ports/${svc.ports.indexOf(port)}/targetPort`, value: listening.port }])}`] : []),
        logs(pod),
        inspect(pod),
      ],
    },
  };
}

/** A pod in its own network namespace, from that namespace's sockets. */
function podFinding(r: Refusal, listener: Exclude<Listener, { state: 'listens' }>): Finding {
  const { pod, node, address, bport, proto, read, svc } = r;
  const data = { pod: podText(pod), node, target: hostPort(address, bport), refused: REFUSED[proto] };
  if (listener.state === 'loopback') {
    return {
      messageId: 'podLoopback', node,
      data: { ...data, bound: listener.sockets.map(boundText).join(', ') },
      evidence: [...r.objects, socketEvidence(node, read, listener.sockets), ...r.tail],
      remediation: { summary: bindFix(pod, bport), commands: [inspect(pod), logs(pod)] },
    };
  }
  if (listener.state === 'other-protocol') {
    const other = proto === 'TCP' ? 'UDP' : 'TCP';
    return {
      messageId: 'podOtherProtocol', node,
      data: { ...data, port: bport, proto, other },
      evidence: [...r.objects, socketEvidence(node, read, listener.sockets), ...r.tail],
      remediation: {
        summary: `The app in ${pod.name} serves ${other} on ${bport}: set the Service port's protocol (and the containerPort's) to ${other}, or configure the app for ${proto}.`,
        commands: [sh`kubectl get service ${svc.name} -n ${svc.namespace} -o jsonpath=${'{.spec.ports}'}`, inspect(pod)],
      },
    };
  }
  const any = read.sockets.length > 0;
  return {
    messageId: 'podNothing', node,
    data: {
      ...data, port: bport, proto,
      listens: any ? `the container listens on ${listensText(read.sockets, address)}` : 'nothing in it listens at all (the app is not running, or not accepting connections yet)',
    },
    evidence: [...r.objects, socketEvidence(node, read, read.sockets), ...r.tail],
    remediation: {
      summary: any
        ? `Make the app in ${pod.name} listen on ${bport}/${proto}, or point the Service's targetPort (and the containerPort) at the port it listens on.`
        : `Find out why the app in ${pod.name} does not listen: its log, its configured port.`,
      commands: [logs(pod), inspect(pod)],
    },
  };
}

/** The replayed branches that reached this endpoint and failed at the pod, one per ingress node. */
function pathEvidence(paths: readonly NodePath[], ip: string, port: number): Evidence[] {
  return paths.flatMap((p): Evidence[] => p.branches.filter((b) => b.failedAt === 'pod' && b.backend?.ip === ip && b.backend.port === port).slice(0, 1).map((b) => ({ kind: 'path', node: p.node, summary: b.why })));
}
