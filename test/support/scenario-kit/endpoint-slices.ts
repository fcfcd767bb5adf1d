/**
 * EndpointSlices as the EndpointSlice controller (kube-controller-manager v1.31) writes them for a
 * spec, and the endpoints kube-proxy reads back from them for one service port.
 *
 * Controller rules reproduced: only Services with a non-empty selector get managed slices; a pod
 * is an endpoint when it is selected, has an IP and is not in a terminal phase (terminating pods
 * stay, with ready=false, serving=<readiness>, terminating=true); each service port resolves per
 * pod (a named targetPort through the pod's container ports with the same protocol; a pod lacking
 * it has no such port), and endpoints with different resolved port sets go to different slices
 * (a pod that resolves no port at all lands in a slice with `ports: null`, which kube-proxy ignores).
 * A dual-stack Service gets slices per family in spec.ipFamilies order (addressType IPv4 / IPv6,
 * each with the pods' address of that family); kube-proxy's proxier of each family reads only its
 * own (slicesOfFamily).
 */
import type { KubeObject } from '../../../src/snapshot/schema.js';
import { joinHostPort, nameSuffix, stableUid } from './net.js';
import type { ClusterSpec, Family, PodSpec, Protocol, ServicePortSpec, ServiceSpec, StaleEndpoint } from './spec.js';
import { familyOf, ipFamiliesOf, ipFamilyOf, isPodReady, podIPOfFamily, podPhaseOf, servicePortName } from './spec.js';
import { at, WORKLOADS } from './time.js';

const SERVICE_NAME = 'kubernetes.io/service-name';
const MANAGED_BY = 'endpointslice.kubernetes.io/managed-by';

/** Every EndpointSlice of the cluster: hand-written overrides, else the controller's. */
export function endpointSlices(spec: ClusterSpec): KubeObject[] {
  return spec.services.flatMap((svc) => slicesOf(spec, svc));
}

/** The slices of one Service. */
export function slicesOf(spec: ClusterSpec, svc: ServiceSpec): KubeObject[] {
  const key = `${svc.namespace}/${svc.name}`;
  const override = spec.endpointSlicesOverride[key];
  if (override !== undefined) return override.map((s) => withMetadata(s, svc));
  if (svc.selector === undefined || Object.keys(svc.selector).length === 0) return [];
  return ipFamiliesOf(spec, svc).flatMap((f) => controllerSlices(spec, svc, familyOf(f)));
}

/** The slices of one family (a slice without addressType is IPv4): what that family's proxier reads; FQDN slices are ignored. */
export const slicesOfFamily = (slices: KubeObject[], family: Family): KubeObject[] =>
  slices.filter((s) => ((s.addressType as string | undefined) ?? 'IPv4') === ipFamilyOf(family));

const protocolOf = (p: { protocol?: Protocol }): Protocol => p.protocol ?? 'TCP';

/** podutil.FindPort: the container port a service port's targetPort names, or undefined. */
export function findPort(pod: PodSpec, port: ServicePortSpec): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  for (const c of pod.containers) {
    for (const cp of c.ports ?? []) if (cp.name === target && protocolOf(cp) === protocolOf(port)) return cp.containerPort;
  }
  return undefined;
}

export const selects = (svc: ServiceSpec, pod: PodSpec): boolean =>
  pod.namespace === svc.namespace && svc.selector !== undefined && Object.entries(svc.selector).every(([k, v]) => pod.labels[k] === v);

function controllerSlices(spec: ClusterSpec, svc: ServiceSpec, family: Family): KubeObject[] {
  const groups = new Map<string, { ports: Record<string, unknown>[]; endpoints: Record<string, unknown>[] }>();
  for (const pod of spec.pods) {
    const ip = podIPOfFamily(spec, pod, family);
    const phase = podPhaseOf(spec, pod);
    if (!selects(svc, pod) || ip === null || phase === 'Succeeded' || phase === 'Failed') continue;
    const ports = svc.ports.flatMap((p) => {
      const port = findPort(pod, p);
      return port === undefined ? [] : [{ name: p.name ?? '', port, protocol: protocolOf(p) }];
    });
    const key = JSON.stringify(ports);
    let group = groups.get(key);
    if (group === undefined) {
      group = { ports, endpoints: [] };
      groups.set(key, group);
    }
    const serving = isPodReady(spec, pod);
    const terminating = pod.terminating === true;
    const ready = svc.publishNotReadyAddresses === true || (serving && !terminating);
    group.endpoints.push({
      addresses: [ip],
      conditions: { ready, serving, terminating },
      ...(pod.node !== null ? { nodeName: pod.node } : {}),
      targetRef: { kind: 'Pod', name: pod.name, namespace: pod.namespace, uid: stableUid(`Pod/${pod.namespace}/${pod.name}`) },
    });
  }
  // A Service that selects nothing still gets a placeholder slice. Empty lists are stored as
  // protobuf and come back from the API as null.
  if (groups.size === 0) groups.set('[]', { ports: [], endpoints: [] });
  return [...groups.values()].map((g, i) => {
    const name = `${svc.name}-${nameSuffix(`slice/${svc.namespace}/${svc.name}/${family === 6 ? 'IPv6/' : ''}${i}`, 5)}`;
    return {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      addressType: ipFamilyOf(family),
      endpoints: g.endpoints.length === 0 ? null : g.endpoints,
      metadata: {
        annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': at(WORKLOADS + 3) },
        creationTimestamp: at(WORKLOADS + 3),
        generateName: `${svc.name}-`,
        generation: 1,
        // The controller copies the Service's labels onto its slices.
        labels: { ...svc.labels, [MANAGED_BY]: 'endpointslice-controller.k8s.io', [SERVICE_NAME]: svc.name, ...(svc.clusterIP === 'None' ? { 'service.kubernetes.io/headless': '' } : {}) },
        name,
        namespace: svc.namespace,
        ownerReferences: [{ apiVersion: 'v1', blockOwnerDeletion: true, controller: true, kind: 'Service', name: svc.name, uid: stableUid(`Service/${svc.namespace}/${svc.name}`) }],
        uid: stableUid(`EndpointSlice/${svc.namespace}/${name}`),
      },
      ports: g.ports.length === 0 ? null : g.ports,
    };
  });
}

function withMetadata(slice: KubeObject, svc: ServiceSpec): KubeObject {
  const name = slice.metadata.name;
  return {
    ...slice,
    metadata: {
      uid: stableUid(`EndpointSlice/${svc.namespace}/${name}`),
      creationTimestamp: at(0),
      ...slice.metadata,
      labels: { [SERVICE_NAME]: svc.name, ...slice.metadata.labels },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// kube-proxy's side

/** One endpoint of one service port as kube-proxy's EndpointSliceCache holds it. */
export interface ProxyEndpoint {
  ip: string;
  port: number;
  node: string | undefined;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
}

/** `ip:port` as kube-proxy prints an endpoint (net.JoinHostPort: `[ip]:port` for IPv6). */
export const hostPort = (ep: { ip: string; port: number }): string => joinHostPort(ep.ip, ep.port);

interface WireEndpoint {
  addresses?: string[];
  conditions?: { ready?: boolean | null; serving?: boolean | null; terminating?: boolean | null };
  nodeName?: string;
}

/**
 * The endpoints of one service port in the slices: matched by port name and protocol, a nil
 * `ready`/`serving` read as true, deduplicated by ip:port, sorted by "ip:port" as kube-proxy's
 * endpoints map does.
 */
export function proxyEndpoints(slices: KubeObject[], port: ServicePortSpec): ProxyEndpoint[] {
  const seen = new Map<string, ProxyEndpoint>();
  for (const slice of slices) {
    const ports = (slice.ports as { name?: string; port?: number | null; protocol?: string }[] | undefined) ?? [];
    const sp = ports.find((p) => (p.name ?? '') === (port.name ?? '') && (p.protocol ?? 'TCP') === protocolOf(port));
    if (typeof sp?.port !== 'number') continue;
    for (const e of (slice.endpoints as WireEndpoint[] | undefined) ?? []) {
      const ip = e.addresses?.[0];
      if (ip === undefined) continue;
      const ready = e.conditions?.ready !== false;
      const ep: ProxyEndpoint = {
        ip,
        port: sp.port,
        node: e.nodeName,
        ready,
        serving: e.conditions?.serving ?? ready,
        terminating: e.conditions?.terminating === true,
      };
      if (!seen.has(hostPort(ep))) seen.set(hostPort(ep), ep);
    }
  }
  return sortEndpoints([...seen.values()]);
}

const sortEndpoints = (eps: ProxyEndpoint[]): ProxyEndpoint[] => eps.sort((a, b) => (hostPort(a) < hostPort(b) ? -1 : hostPort(a) > hostPort(b) ? 1 : 0));

/**
 * The endpoints a stale kube-proxy holds for a service port: `stale` keyed `ns/svc:port` or
 * `ns/svc`; undefined when neither key is there (the node is in sync for this port).
 */
export function staleProxyEndpoints(stale: Record<string, StaleEndpoint[]> | undefined, svc: ServiceSpec, port: ServicePortSpec, current: ProxyEndpoint[]): ProxyEndpoint[] | undefined {
  const list = stale?.[servicePortName(svc, port)] ?? stale?.[`${svc.namespace}/${svc.name}`];
  if (list === undefined) return undefined;
  const target = port.targetPort ?? port.port;
  const defaultPort = current[0]?.port ?? (typeof target === 'number' ? target : undefined);
  return sortEndpoints(list.map((e) => {
    const p = e.port ?? defaultPort;
    if (p === undefined) throw new Error(`stale endpoint ${e.ip} of ${servicePortName(svc, port)} needs a port: the API has no endpoint to take it from`);
    const ready = e.ready ?? true;
    return { ip: e.ip, port: p, node: e.node, ready, serving: e.serving ?? ready, terminating: e.terminating ?? false };
  }));
}
