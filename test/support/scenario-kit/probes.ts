/**
 * What --probe records on a kit cluster. The kit has no wire: a scenario says what each connect
 * sees (by default every one connects), and probesFor builds the probes a snapshot stores for the
 * target Service's first port: from here to every node's nodePort, on every reachable node to its
 * own nodePort, and on every reachable node to every ready backend pod's IP and targetPort.
 */
import { PROBE_TIMEOUT_MS, type Probe, type ProbeResult } from '../../../src/snapshot/probe.js';
import { DEFAULT_TARGET } from './build.js';
import { findService, internalIPOf, isPodReady, podIPOf, type ClusterSpec, type PodSpec } from './spec.js';
import { SNAPSHOT_TAKEN } from './time.js';

export interface Wire {
  /** From where np-doctor runs to `node`'s nodePort. */
  fromHere?: (node: string) => ProbeResult;
  /** On `node`, to its own address and nodePort. */
  self?: (node: string) => ProbeResult;
  /** On `from`, to the pod's IP and targetPort. */
  toPod?: (from: string, pod: PodSpec) => ProbeResult;
  /** The source address this machine's routing picks for the nodes. */
  fromAddress?: string;
}

/** How long each result takes: a connect on a LAN is quick, a timeout waits for the whole limit. */
const MS: Record<ProbeResult, number | null> = { connected: 1, refused: 1, 'timed-out': PROBE_TIMEOUT_MS, unreachable: 2, error: null, 'not-run': null };

export function probesFor(spec: ClusterSpec, wire: Wire = {}, target: { namespace: string; service: string } = DEFAULT_TARGET): Probe[] {
  const svc = findService(spec, `${target.namespace}/${target.service}`);
  const port = svc.ports[0];
  if (port?.nodePort === undefined) throw new Error(`${target.namespace}/${target.service} has no nodePort`);
  const nodePort = port.nodePort;
  const protocol = port.protocol ?? 'TCP';
  const selector = Object.entries(svc.selector ?? {});
  const backends = svc.selector === undefined ? [] : spec.pods.filter((p) =>
    p.namespace === svc.namespace && selector.every(([k, v]) => p.labels[k] === v) && isPodReady(spec, p) && podIPOf(spec, p) !== null);
  const targetPortOf = (pod: PodSpec): number => {
    const tp = port.targetPort ?? port.port;
    if (typeof tp === 'number') return tp;
    const named = pod.containers.flatMap((c) => c.ports ?? []).find((c) => c.name === tp);
    if (named === undefined) throw new Error(`pod ${pod.name} has no port named ${tp}`);
    return named.containerPort;
  };
  const probe = (p: Omit<Probe, 'protocol' | 'ms' | 'at' | 'result'>, result: ProbeResult): Probe => {
    const connectable = protocol === 'TCP';
    return {
      ...p, protocol,
      result: connectable ? result : 'not-run',
      ms: connectable ? MS[result] : null,
      at: SNAPSHOT_TAKEN,
      ...(connectable ? {} : { detail: `${protocol} cannot be proven by a connect` }),
    };
  };
  const reachable = spec.nodes.filter((n) => n.access !== false);
  return [
    ...spec.nodes.map((n) => probe({ kind: 'client-to-node', from: 'here', fromAddress: wire.fromAddress ?? null, node: n.name, ip: internalIPOf(n), port: nodePort }, wire.fromHere?.(n.name) ?? 'connected')),
    ...reachable.map((n) => probe({ kind: 'node-to-self', from: n.name, node: n.name, ip: internalIPOf(n), port: nodePort }, wire.self?.(n.name) ?? 'connected')),
    ...reachable.flatMap((n) => backends.map((pod) => probe({
      kind: 'node-to-pod', from: n.name, node: pod.node ?? '', pod: { namespace: pod.namespace, name: pod.name }, ip: podIPOf(spec, pod) ?? '', port: targetPortOf(pod),
    }, wire.toPod?.(n.name, pod) ?? 'connected'))),
  ];
}
