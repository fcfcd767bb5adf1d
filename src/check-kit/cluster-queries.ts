/**
 * The API objects a check reads, one query object per read the gathering makes (and the runner
 * checks): the Services, the EndpointSlices, the Pods, the Nodes, the NetworkPolicies, kube-proxy's
 * objects, CoreDNS and kube-apiserver's flags. Each answers from the ClusterModel the whole
 * diagnosis shares.
 */
import type { ClusterModel } from '../model/cluster.js';
import type { Family } from '../model/node-data.js';
import { readPod, type NodeInfo, type PodInfo, type ServiceInfo, type ServicePort, type SliceEndpoint } from '../model/kube.js';
import { configuredMode } from '../model/proxy-mode.js';
import type { ClusterState, KubeObject, KubeProxyConfig } from '../snapshot/schema.js';
import { isLoopbackIp } from './address.js';
import { evaluateIngress, type PolicyDecision, type PolicyPod, type PolicyProtocol, type PolicyWorld, type Protocol } from './engine.js';


export interface Services {
  /** Every Service the snapshot holds (one, when gathered for one Service). */
  readonly all: readonly ServiceInfo[];
  get(namespace: string, name: string): ServiceInfo | undefined;
}

/** An endpoint that has the Service port's target port. */
export type PortedEndpoint = SliceEndpoint & { port: number };

export interface EndpointSlices {
  /**
   * Every endpoint the API lists for the port in the slices of the question's address family
   * (kube-proxy's proxier of each family reads only its own): ready or not, with or without the port.
   */
  of(svc: ServiceInfo, port: ServicePort): SliceEndpoint[];
  /** The endpoints kube-proxy sends to: ready ones with the port, else serving terminating ones. */
  used(svc: ServiceInfo, port: ServicePort): PortedEndpoint[];
  /** kube-proxy's local endpoints of a node: ready local ones, else serving terminating local ones. */
  local(svc: ServiceInfo, port: ServicePort, node: string): PortedEndpoint[];
  /** The node an endpoint runs on: its nodeName, else its pod's (when the pods were read). */
  nodeOf(e: SliceEndpoint): string | null;
  /** The Service's EndpointSlice objects as the API returned them (every address family). */
  objectsOf(svc: ServiceInfo): KubeObject[];
}

export interface Pods {
  /** The pods of the gathered namespaces. */
  readonly all: readonly PodInfo[];
  /** A pod by name; any namespace when `namespace` is undefined. */
  get(namespace: string | undefined, name: string): PodInfo | undefined;
  /** The pod (not host-network) that has `ip`. */
  byIp(ip: string): PodInfo | undefined;
  /** The pods in the Service's namespace that its selector picks. */
  selectedBy(svc: ServiceInfo): PodInfo[];
}

export interface Nodes {
  readonly all: readonly NodeInfo[];
  get(name: string): NodeInfo | undefined;
  /** The Node that lists `ip` among its addresses (InternalIP, ExternalIP…). */
  byAddress(ip: string): NodeInfo | undefined;
  /** The pod CIDRs of the cluster: kube-proxy's clusterCIDR when it was read, else the nodes' podCIDRs. */
  podCidrs(): string[];
  inPodCidr(ip: string): boolean;
}

export interface NetworkPolicies {
  get(ref: { namespace: string; name: string }): KubeObject | undefined;
  /** How the NetworkPolicies treat a connection from `srcIp` to the pod's `port`. */
  ingress(q: { srcIp: string; pod: PodInfo; port: number; protocol: Protocol }): PolicyDecision;
}

export interface KubeProxy {
  /** Its configuration (ConfigMap and DaemonSet flags), null when neither exists. */
  readonly config: KubeProxyConfig | null;
  /** The mode the configuration asks for (empty means iptables), or null when it was not read. */
  readonly configuredMode: { mode: string; source: string } | null;
  readonly configMap: KubeObject | null;
  readonly daemonSet: KubeObject | null;
  readonly pods: readonly PodInfo[];
  podsOn(node: string): PodInfo[];
}

export type CoreDns = ClusterState['coreDns'];
export type ApiServer = ClusterState['apiServer'];

export function servicesOf(cluster: ClusterModel): Services {
  return { all: cluster.services, get: (namespace, name) => cluster.service(namespace, name) };
}

export function endpointSlicesOf(cluster: ClusterModel, family: Family): EndpointSlices {
  const ported = (eps: SliceEndpoint[]) => eps.filter((e): e is PortedEndpoint => e.port !== null);
  // kube-proxy sends to ready endpoints; when none is ready, to serving terminating ones.
  const pick = (eps: PortedEndpoint[]) => {
    const ready = eps.filter((e) => e.ready);
    return ready.length > 0 ? ready : eps.filter((e) => e.serving && e.terminating);
  };
  return {
    of: (svc, port) => cluster.endpoints(svc, port, family),
    used: (svc, port) => pick(ported(cluster.endpoints(svc, port, family))),
    local: (svc, port, node) => pick(ported(cluster.endpoints(svc, port, family)).filter((e) => e.nodeName === node)),
    nodeOf: (e) => e.nodeName ?? endpointPod(cluster, e)?.nodeName ?? null,
    objectsOf: (svc) => cluster.slicesOf(svc),
  };
}

/** The pod behind an endpoint: the one its targetRef names, else the pod with its address. */
export function endpointPod(cluster: ClusterModel, e: SliceEndpoint): PodInfo | undefined {
  return e.pod ? cluster.pod(e.pod.namespace, e.pod.name) : cluster.podByIp(e.address);
}

export function podsOf(cluster: ClusterModel): Pods {
  return {
    all: cluster.pods,
    get: (namespace, name) => cluster.pod(namespace, name),
    byIp: (ip) => cluster.podByIp(ip),
    selectedBy: (svc) => cluster.selectedPods(svc),
  };
}

export function nodesOf(cluster: ClusterModel): Nodes {
  return {
    all: cluster.nodes,
    get: (name) => cluster.node(name),
    byAddress: (ip) => cluster.nodeByAddress(ip),
    podCidrs: () => cluster.podCidrs(),
    inPodCidr: (ip) => cluster.inPodCidr(ip),
  };
}

const POLICY_PROTOCOL: Partial<Record<Protocol, PolicyProtocol>> = { tcp: 'TCP', udp: 'UDP', sctp: 'SCTP' };

export function networkPoliciesOf(cluster: ClusterModel): NetworkPolicies {
  let world: PolicyWorld | undefined;
  return {
    get: (ref) => cluster.snapshot.cluster.networkPolicies.find((p) => p.metadata.namespace === ref.namespace && p.metadata.name === ref.name),
    ingress: ({ srcIp, pod, port, protocol }) =>
      evaluateIngress(world ??= policyWorld(cluster), { srcIp, pod: policyPod(pod), port, protocol: POLICY_PROTOCOL[protocol] ?? 'TCP' }),
  };
}

export function kubeProxyOf(cluster: ClusterModel): KubeProxy {
  const objects = cluster.snapshot.cluster.kubeProxy;
  let pods: PodInfo[] | undefined;
  const all = () => (pods ??= objects.pods.map(readPod));
  return {
    config: cluster.kubeProxy,
    configuredMode: configuredMode(cluster),
    configMap: objects.configMap,
    daemonSet: objects.daemonSet,
    get pods() {
      return all();
    },
    podsOn: (node) => all().filter((p) => p.nodeName === node),
  };
}

export function policyPod(p: PodInfo): PolicyPod {
  return {
    namespace: p.namespace, name: p.name, labels: p.labels, ips: p.ips, hostNetwork: p.hostNetwork,
    ...(p.nodeName ? { nodeName: p.nodeName } : {}),
    containerPorts: p.ports.map((c) => ({ ...(c.name ? { name: c.name } : {}), port: c.port, protocol: c.protocol })),
  };
}

/** One world per model: it is the same for every question, and the evaluator indexes it once. */
const worlds = new WeakMap<ClusterModel, PolicyWorld>();

/** What NetworkPolicy evaluation knows of the cluster: the policies, the pods, namespace labels, node addresses, pod CIDRs. */
export function policyWorld(cluster: ClusterModel): PolicyWorld {
  let world = worlds.get(cluster);
  if (world === undefined) {
    world = buildPolicyWorld(cluster);
    worlds.set(cluster, world);
  }
  return world;
}

function buildPolicyWorld(cluster: ClusterModel): PolicyWorld {
  const ns = cluster.snapshot.cluster.namespaces;
  return {
    policies: cluster.snapshot.cluster.networkPolicies,
    pods: cluster.pods.map(policyPod),
    namespaces: ns === undefined ? null : ns.map((n) => ({ name: n.metadata.name, labels: n.metadata.labels ?? {} })),
    nodeAddresses: Object.fromEntries(cluster.nodes.map((n) => [n.name, [...new Set([...n.addresses.map((a) => a.address), ...nodeLocalIps(cluster, n.name)])]])),
    podCidrs: cluster.podCidrs(),
  };
}

/** The node's own addresses of both families (`ip -j addr`) other than loopback. */
function nodeLocalIps(cluster: ClusterModel, name: string): string[] {
  return cluster.nodeDataOf(name).ownAddresses.filter((a) => !isLoopbackIp(a));
}
