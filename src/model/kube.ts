/**
 * Typed reads of the Kubernetes objects a snapshot keeps in wire form. Only the fields analysis
 * uses, with the API's defaults applied (a Service port's protocol defaults to TCP, an endpoint
 * whose `ready` is unset counts as ready, …). Malformed fields read as absent, never throw: a
 * snapshot is evidence, and one odd object must not hide the rest.
 */
import type { KubeObject } from '../snapshot/schema.js';

export type KubeProtocol = 'TCP' | 'UDP' | 'SCTP';

export interface ObjectRef {
  kind: string;
  namespace?: string;
  name: string;
}

export interface ServicePort {
  name: string;
  protocol: KubeProtocol;
  port: number;
  /** A number, or the name of a container port. Unset in the API means "same as port". */
  targetPort: number | string;
  nodePort: number | null;
}

export interface ServiceInfo {
  ref: ObjectRef;
  namespace: string;
  name: string;
  type: string;
  clusterIPs: string[];
  externalIPs: string[];
  /** null: the Service has no selector, so its EndpointSlices are managed by hand. */
  selector: Record<string, string> | null;
  ports: ServicePort[];
  externalTrafficPolicy: 'Cluster' | 'Local';
  healthCheckNodePort: number | null;
  object: KubeObject;
}

export interface ContainerPort {
  container: string;
  name?: string;
  port: number;
  protocol: KubeProtocol;
}

export interface PodInfo {
  ref: ObjectRef;
  namespace: string;
  name: string;
  labels: Record<string, string>;
  nodeName: string | null;
  ips: string[];
  phase: string | null;
  /** The Ready condition; null when the pod reports none. */
  ready: boolean | null;
  terminating: boolean;
  hostNetwork: boolean;
  ports: ContainerPort[];
  /** Containers that are waiting (CrashLoopBackOff, ImagePullBackOff…) or restarting. */
  troubled: { container: string; reason: string | null; restarts: number }[];
  object: KubeObject;
}

export interface NodeInfo {
  ref: ObjectRef;
  name: string;
  addresses: { type: string; address: string }[];
  internalIPs: string[];
  /** The Ready condition; null when unknown. */
  ready: boolean | null;
  readyMessage: string | null;
  podCIDRs: string[];
  object: KubeObject;
}

export interface SliceEndpoint {
  address: string;
  /** The resolved port for the Service port asked about; null when the slice has no such port. */
  port: number | null;
  nodeName: string | null;
  /** EndpointSlice conditions; an unset `ready` means ready (API semantics), unset serving follows ready. */
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  pod: ObjectRef | null;
  slice: string;
}

const rec = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const int = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) ? v : null);
const strings = (v: unknown): string[] => arr(v).filter((x): x is string => typeof x === 'string');
const protocol = (v: unknown): KubeProtocol => (v === 'UDP' || v === 'SCTP' ? v : 'TCP');
const labelsOf = (o: KubeObject): Record<string, string> => o.metadata.labels ?? {};

export function refOf(o: KubeObject, kind = o.kind ?? 'Object'): ObjectRef {
  return { kind, name: o.metadata.name, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) };
}

export function refText(r: ObjectRef): string {
  return `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
}

export function readService(o: KubeObject): ServiceInfo {
  const spec = rec(o.spec);
  const selector = spec.selector === undefined || spec.selector === null ? null : (rec(spec.selector) as Record<string, string>);
  const clusterIPs = strings(spec.clusterIPs);
  const single = str(spec.clusterIP);
  return {
    ref: refOf(o, 'Service'),
    namespace: o.metadata.namespace ?? 'default',
    name: o.metadata.name,
    type: str(spec.type) ?? 'ClusterIP',
    clusterIPs: clusterIPs.length > 0 ? clusterIPs : single !== null && single !== 'None' && single !== '' ? [single] : [],
    externalIPs: strings(spec.externalIPs),
    selector: selector !== null && Object.keys(selector).length > 0 ? selector : null,
    ports: arr(spec.ports).map((p, i) => {
      const r = rec(p);
      const port = int(r.port) ?? 0;
      const tp = r.targetPort;
      return {
        name: str(r.name) ?? (i === 0 ? '' : `#${i}`),
        protocol: protocol(r.protocol),
        port,
        targetPort: typeof tp === 'number' || (typeof tp === 'string' && tp !== '') ? (typeof tp === 'string' && /^\d+$/.test(tp) ? Number(tp) : tp) : port,
        nodePort: int(r.nodePort),
      };
    }),
    externalTrafficPolicy: spec.externalTrafficPolicy === 'Local' ? 'Local' : 'Cluster',
    healthCheckNodePort: int(spec.healthCheckNodePort),
    object: o,
  };
}

export function readPod(o: KubeObject): PodInfo {
  const spec = rec(o.spec);
  const status = rec(o.status);
  const ips = strings(arr(status.podIPs).map((x) => rec(x).ip));
  const single = str(status.podIP);
  const ready = arr(status.conditions).map(rec).find((c) => c.type === 'Ready');
  const statuses = arr(status.containerStatuses).map(rec);
  return {
    ref: refOf(o, 'Pod'),
    namespace: o.metadata.namespace ?? 'default',
    name: o.metadata.name,
    labels: labelsOf(o),
    nodeName: str(spec.nodeName),
    ips: ips.length > 0 ? ips : single !== null ? [single] : [],
    phase: str(status.phase),
    ready: ready === undefined ? null : ready.status === 'True',
    terminating: typeof rec(o.metadata).deletionTimestamp === 'string',
    hostNetwork: spec.hostNetwork === true,
    ports: arr(spec.containers).map(rec).flatMap((c) =>
      arr(c.ports).map(rec).filter((p) => int(p.containerPort) !== null).map((p) => ({
        container: str(c.name) ?? '',
        ...(str(p.name) !== null ? { name: str(p.name)! } : {}),
        port: int(p.containerPort)!,
        protocol: protocol(p.protocol),
      }))),
    troubled: statuses
      .map((s) => ({ container: str(s.name) ?? '', reason: str(rec(rec(s.state).waiting).reason), restarts: int(s.restartCount) ?? 0 }))
      .filter((s) => s.reason !== null || s.restarts > 0),
    object: o,
  };
}

export function readNode(o: KubeObject): NodeInfo {
  const spec = rec(o.spec);
  const status = rec(o.status);
  const addresses = arr(status.addresses).map(rec)
    .filter((a) => typeof a.type === 'string' && typeof a.address === 'string')
    .map((a) => ({ type: a.type as string, address: a.address as string }));
  const ready = arr(status.conditions).map(rec).find((c) => c.type === 'Ready');
  const cidrs = strings(spec.podCIDRs);
  const single = str(spec.podCIDR);
  return {
    ref: refOf(o, 'Node'),
    name: o.metadata.name,
    addresses,
    internalIPs: addresses.filter((a) => a.type === 'InternalIP').map((a) => a.address),
    ready: ready === undefined ? null : ready.status === 'True',
    readyMessage: ready === undefined ? null : str(ready.message) ?? str(ready.reason),
    podCIDRs: cidrs.length > 0 ? cidrs : single !== null ? [single] : [],
    object: o,
  };
}

/**
 * The endpoints of one EndpointSlice for one Service port. A slice names its ports; the port
 * whose name (and protocol) equals the Service port's is the resolved targetPort for every
 * endpoint in that slice (the controller groups endpoints by resolved port).
 */
export function readSliceEndpoints(o: KubeObject, port: ServicePort): SliceEndpoint[] {
  const ports = arr(o.ports).map(rec);
  const match = ports.find((p) => (str(p.name) ?? '') === (port.name.startsWith('#') ? '' : port.name) && protocol(p.protocol) === port.protocol);
  const resolved = match === undefined ? null : int(match.port);
  return arr(o.endpoints).map(rec).flatMap((e) => {
    const cond = rec(e.conditions);
    const ready = cond.ready !== false;
    const ref = rec(e.targetRef);
    return strings(e.addresses).map((address) => ({
      address,
      port: resolved,
      nodeName: str(e.nodeName),
      ready,
      serving: typeof cond.serving === 'boolean' ? cond.serving : ready,
      terminating: cond.terminating === true,
      pod: ref.kind === 'Pod' && typeof ref.name === 'string'
        ? { kind: 'Pod', name: ref.name, ...(typeof ref.namespace === 'string' ? { namespace: ref.namespace } : o.metadata.namespace ? { namespace: o.metadata.namespace } : {}) }
        : null,
      slice: o.metadata.name,
    }));
  });
}

/** Equality-based selector match, as Services select pods. */
export function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}
