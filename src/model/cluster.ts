/**
 * The cluster as analysis reads it: the snapshot's objects, typed once and indexed, plus each
 * gathered node's dumps parsed on first use. Checks and path analysis share one ClusterModel per
 * diagnosis, so a dump is parsed once however many checks read it.
 */
import { cidrContains, parseAddr, parseCidr } from '../engine/address.js';
import type { KubeProxyConfig, NodeState, Snapshot } from '../snapshot/schema.js';
import {
  readNode, readPod, readService, readSliceEndpoints, selects,
  type NodeInfo, type PodInfo, type ServiceInfo, type ServicePort, type SliceEndpoint,
} from './kube.js';
import type { DumpParses } from './dataplane.js';
import { NodeData, type Family } from './node-data.js';

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export class ClusterModel {
  readonly services: ServiceInfo[];
  readonly pods: PodInfo[];
  readonly nodes: NodeInfo[];
  readonly kubeProxy: KubeProxyConfig | null;
  private readonly nodeData = new Map<string, NodeData>();
  /** Nodes with the same dump (most of a cluster's, often) parse it once. */
  private readonly parses: DumpParses = new Map();
  // Indexes built on first use: a scan asks each of these once per Service, and a linear search
  // per question over 10k Services and their pods is quadratic. Each keeps the first match in
  // the snapshot's order, as the searches they replace did.
  private byName: Map<string, ServiceInfo> | undefined;
  private slicesByService: Map<string, Snapshot['cluster']['endpointSlices']> | undefined;
  private podsByNamespace: Map<string, PodInfo[]> | undefined;
  private podIndex: { byKey: Map<string, PodInfo>; byName: Map<string, PodInfo>; byIp: Map<string, PodInfo> } | undefined;
  private nodeIndex: { byName: Map<string, NodeInfo>; byAddress: Map<string, NodeInfo> } | undefined;
  private states: Map<string, NodeState> | undefined;
  private cidrs: string[] | undefined;

  constructor(readonly snapshot: Snapshot) {
    const c = snapshot.cluster;
    this.services = c.services.map(readService);
    this.pods = c.pods.map(readPod);
    this.nodes = c.nodes.map(readNode);
    this.kubeProxy = c.kubeProxy.config;
  }

  service(namespace: string, name: string): ServiceInfo | undefined {
    this.byName ??= firstBy(this.services, (s) => [`${s.namespace}/${s.name}`]);
    return this.byName.get(`${namespace}/${name}`);
  }

  /** The EndpointSlices the API lists for a Service (by the kubernetes.io/service-name label), in the snapshot's order. */
  slicesOf(svc: ServiceInfo): Snapshot['cluster']['endpointSlices'] {
    if (this.slicesByService === undefined) {
      this.slicesByService = new Map();
      for (const s of this.snapshot.cluster.endpointSlices) {
        const owner = s.metadata.labels?.[SERVICE_NAME_LABEL];
        if (owner === undefined) continue;
        const key = `${s.metadata.namespace}/${owner}`;
        const list = this.slicesByService.get(key);
        if (list === undefined) this.slicesByService.set(key, [s]);
        else list.push(s);
      }
    }
    return this.slicesByService.get(`${svc.namespace}/${svc.name}`) ?? [];
  }

  /**
   * Every endpoint the API lists for one port of a Service, from its EndpointSlices of one address
   * family (a dual-stack Service has a slice per family; kube-proxy programs each in its own tables).
   */
  endpoints(svc: ServiceInfo, port: ServicePort, family: Family): SliceEndpoint[] {
    const type = family === 4 ? 'IPv4' : 'IPv6';
    return this.slicesOf(svc)
      .filter((s) => (s as { addressType?: unknown }).addressType === undefined || (s as { addressType?: unknown }).addressType === type)
      .flatMap((s) => readSliceEndpoints(s, port));
  }

  /** Pods in the Service's namespace that its selector picks. */
  selectedPods(svc: ServiceInfo): PodInfo[] {
    const sel = svc.selector;
    if (sel === null) return [];
    if (this.podsByNamespace === undefined) {
      this.podsByNamespace = new Map();
      for (const p of this.pods) {
        const list = this.podsByNamespace.get(p.namespace);
        if (list === undefined) this.podsByNamespace.set(p.namespace, [p]);
        else list.push(p);
      }
    }
    return (this.podsByNamespace.get(svc.namespace) ?? []).filter((p) => selects(sel, p.labels));
  }

  pod(namespace: string | undefined, name: string): PodInfo | undefined {
    const index = this.pods_();
    return namespace === undefined ? index.byName.get(name) : index.byKey.get(`${namespace}/${name}`);
  }

  podByIp(ip: string): PodInfo | undefined {
    return this.pods_().byIp.get(ip);
  }

  node(name: string): NodeInfo | undefined {
    return this.nodes_().byName.get(name);
  }

  /** The Node that lists `ip` among its addresses (InternalIP, ExternalIP…). */
  nodeByAddress(ip: string): NodeInfo | undefined {
    return this.nodes_().byAddress.get(ip);
  }

  /** The pod CIDRs of the cluster: kube-proxy's clusterCIDR, else the nodes' podCIDRs. */
  podCidrs(): string[] {
    if (this.cidrs === undefined) {
      const cc = this.kubeProxy?.clusterCIDR;
      this.cidrs = cc ? cc.split(',').map((s) => s.trim()).filter((s) => parseCidr(s) !== null) : this.nodes.flatMap((n) => n.podCIDRs);
    }
    return [...this.cidrs];
  }

  /** The gathered state of a node by name (first of that name), undefined when it was not read. */
  nodeState(name: string): NodeState | undefined {
    this.states ??= firstBy(this.snapshot.nodes, (n) => [n.name]);
    return this.states.get(name);
  }

  private pods_(): NonNullable<ClusterModel['podIndex']> {
    this.podIndex ??= {
      byKey: firstBy(this.pods, (p) => [`${p.namespace}/${p.name}`]),
      byName: firstBy(this.pods, (p) => [p.name]),
      byIp: firstBy(this.pods.filter((p) => !p.hostNetwork), (p) => p.ips),
    };
    return this.podIndex;
  }

  private nodes_(): NonNullable<ClusterModel['nodeIndex']> {
    this.nodeIndex ??= { byName: firstBy(this.nodes, (n) => [n.name]), byAddress: firstBy(this.nodes, (n) => n.addresses.map((a) => a.address)) };
    return this.nodeIndex;
  }

  inPodCidr(ip: string): boolean {
    const a = parseAddr(ip);
    return a !== null && this.podCidrs().some((c) => {
      const cidr = parseCidr(c);
      return cidr !== null && cidrContains(cidr, a);
    });
  }

  /** What gathering recorded about a node: its commands, or the error that kept us out. */
  nodeDataOf(name: string): NodeData {
    let d = this.nodeData.get(name);
    if (d === undefined) {
      const state = this.nodeState(name);
      const errors = this.snapshot.errors.filter((e) => e.stage === 'node' && e.node === name);
      d = new NodeData(name, state ?? null, errors, this.snapshot.source.collect, this.parses);
      this.nodeData.set(name, d);
    }
    return d;
  }
}

/** Each item under every key it gives, the first item of a key winning (as a find() over the list would). */
function firstBy<T>(items: readonly T[], keys: (item: T) => readonly string[]): Map<string, T> {
  const map = new Map<string, T>();
  for (const item of items) for (const k of keys(item)) if (!map.has(k)) map.set(k, item);
  return map;
}

/**
 * The address families a Service has, primary first: spec.ipFamilies, else its ClusterIPs'
 * (an API server before dual-stack, or a hand-written object), else IPv4, the only family there was.
 */
export function ipFamiliesOf(svc: ServiceInfo): Family[] {
  const spec = svc.object.spec as { ipFamilies?: unknown } | undefined;
  const named = Array.isArray(spec?.ipFamilies) ? spec.ipFamilies : [];
  const listed = named.map((f): Family | null => (f === 'IPv4' ? 4 : f === 'IPv6' ? 6 : null)).filter((f): f is Family => f !== null);
  const fromIps = svc.clusterIPs.map((ip) => parseAddr(ip)?.family).filter((f): f is Family => f !== undefined);
  const out = [...new Set(listed.length > 0 ? listed : fromIps)].slice(0, 2);
  return out.length > 0 ? out : [4];
}
