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
import { NodeData, type Family } from './node-data.js';

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export class ClusterModel {
  readonly services: ServiceInfo[];
  readonly pods: PodInfo[];
  readonly nodes: NodeInfo[];
  readonly kubeProxy: KubeProxyConfig | null;
  private readonly nodeData = new Map<string, NodeData>();

  constructor(readonly snapshot: Snapshot) {
    const c = snapshot.cluster;
    this.services = c.services.map(readService);
    this.pods = c.pods.map(readPod);
    this.nodes = c.nodes.map(readNode);
    this.kubeProxy = c.kubeProxy.config;
  }

  service(namespace: string, name: string): ServiceInfo | undefined {
    return this.services.find((s) => s.namespace === namespace && s.name === name);
  }

  /**
   * Every endpoint the API lists for one port of a Service, from its EndpointSlices of one address
   * family (a dual-stack Service has a slice per family; kube-proxy programs each in its own tables).
   */
  endpoints(svc: ServiceInfo, port: ServicePort, family: Family): SliceEndpoint[] {
    const type = family === 4 ? 'IPv4' : 'IPv6';
    return this.snapshot.cluster.endpointSlices
      .filter((s) => s.metadata.namespace === svc.namespace && s.metadata.labels?.[SERVICE_NAME_LABEL] === svc.name)
      .filter((s) => (s as { addressType?: unknown }).addressType === undefined || (s as { addressType?: unknown }).addressType === type)
      .flatMap((s) => readSliceEndpoints(s, port));
  }

  /** Pods in the Service's namespace that its selector picks. */
  selectedPods(svc: ServiceInfo): PodInfo[] {
    const sel = svc.selector;
    return sel === null ? [] : this.pods.filter((p) => p.namespace === svc.namespace && selects(sel, p.labels));
  }

  pod(namespace: string | undefined, name: string): PodInfo | undefined {
    return this.pods.find((p) => p.name === name && (namespace === undefined || p.namespace === namespace));
  }

  podByIp(ip: string): PodInfo | undefined {
    return this.pods.find((p) => !p.hostNetwork && p.ips.includes(ip));
  }

  node(name: string): NodeInfo | undefined {
    return this.nodes.find((n) => n.name === name);
  }

  /** The Node that lists `ip` among its addresses (InternalIP, ExternalIP…). */
  nodeByAddress(ip: string): NodeInfo | undefined {
    return this.nodes.find((n) => n.addresses.some((a) => a.address === ip));
  }

  /** The pod CIDRs of the cluster: kube-proxy's clusterCIDR, else the nodes' podCIDRs. */
  podCidrs(): string[] {
    const cc = this.kubeProxy?.clusterCIDR;
    if (cc) return cc.split(',').map((s) => s.trim()).filter((s) => parseCidr(s) !== null);
    return this.nodes.flatMap((n) => n.podCIDRs);
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
      const state: NodeState | undefined = this.snapshot.nodes.find((n) => n.name === name);
      const errors = this.snapshot.errors.filter((e) => e.stage === 'node' && e.node === name);
      d = new NodeData(name, state ?? null, errors, this.snapshot.source.collect);
      this.nodeData.set(name, d);
    }
    return d;
  }
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
