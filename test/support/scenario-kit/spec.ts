/**
 * The declarative cluster a scenario starts from: plain data (arrays of nodes, services, pods,
 * policies, namespaces) that a scenario copies with `baseCluster()` and breaks with one assignment
 * or one helper call. Every knob is optional and defaults to the healthy value; build.ts turns a
 * spec into the Snapshot `np-doctor snapshot` would write for that cluster.
 *
 * Scope: single-stack IPv4 or dual-stack (IPv4 first, `dualStack()`; Services SingleStack IPv4 or
 * IPv6, PreferDualStack, RequireDualStack), kube-proxy in iptables mode (the v1.31 rule layout, which v1.34 and
 * v1.37 still write) or nftables mode (v1.33, v1.34 or v1.37 table layout), kubeadm-style control
 * plane. Defaults follow a three-node cluster on 192.168.1.0/24 with flannel-like host-gw routing
 * over a `cni0` bridge.
 */
import type { KubeObject } from '../../../src/snapshot/schema.js';
import type { CiliumSpec } from './cilium.js';
import type { Probe } from '../../../src/snapshot/probe.js';
import { cidrContains, inCidr, ipToInt, intToIp, isIPv6, nameSuffix, normalCidr, nthAddress, nthAddress6, parseCidr, sha256 } from './net.js';
import type { NftTableSpec } from './nft-model.js';

export type Backend = 'nft' | 'legacy';
export type Protocol = 'TCP' | 'UDP' | 'SCTP';
export type TableName = 'raw' | 'mangle' | 'nat' | 'filter' | 'security';
export type Policy = 'ACCEPT' | 'DROP';
/** kube-proxy's proxy modes on Linux (KubeProxyConfiguration `mode`). */
export type KubeProxyMode = 'iptables' | 'nftables' | 'ipvs';
/**
 * The `table ip kube-proxy` layout of a kube-proxy release in nftables mode. v1.33: filter chains
 * filter-prerouting / -input / -forward / -output at dstnat-10 and filter-output-post-dnat at
 * dstnat+10, the ClusterIP masquerade rule matches the port. v1.34: filter-prerouting-pre-dnat and
 * filter-output-pre-dnat at dstnat-10, filter-input / -forward / -output at filter (0), and the
 * masquerade rule matches the ClusterIP alone. v1.37 (v1.34's chains, read from a real v1.37.2):
 * no mark-for-masquerade chain (rules set the mark inline), one masquerade rule for ClusterIP
 * traffic in `services` instead of one per service, hairpin masquerading through the
 * hairpin-connections set instead of a rule per endpoint, endpoint chains only for ClientIP
 * affinity (otherwise the service chain DNATs itself: one endpoint plainly, several through a
 * numgen map). v1.36 already has all of that except the plain single-endpoint DNAT; it is not
 * modelled.
 */
export type NftablesLayout = 'v1.33' | 'v1.34' | 'v1.37';
export type IpFamily = 'IPv4' | 'IPv6';
export type IpFamilyPolicy = 'SingleStack' | 'PreferDualStack' | 'RequireDualStack';
/** An address family as kube-proxy runs one proxier per family: 4 (iptables, `table ip`) or 6 (ip6tables, `table ip6`). */
export type Family = 4 | 6;

export interface ClusterSpec {
  /** kubeconfig context name written into the snapshot's `source`. */
  context: string;
  /** kubelet, kube-proxy and control-plane version (Node nodeInfo, images). */
  kubernetesVersion: string;
  /** kube-proxy's clusterCIDR (its local-traffic detector) and the CNI's pod network. */
  clusterCIDR: string;
  /** kube-apiserver --service-cluster-ip-range. */
  serviceCIDR: string;
  /** kube-apiserver --service-node-port-range. */
  nodePortRange: string;
  /**
   * How pods are wired. `bridge`: flannel-like host-gw (a `cni0` bridge 10.244.N.1/24 per node,
   * veths, routes to other nodes' pod CIDRs via their address on eth0, flannel's FLANNEL-POSTRTG /
   * FLANNEL-FWD chains). `calico`: per-pod /32 routes to caliXXXX veths, a tunl0 address, IPIP
   * routes to the other nodes' blocks, a blackhole route for the own block, no bridge (Calico's own
   * cali-* iptables chains are not generated).
   */
  cni: 'bridge' | 'calico';
  nodes: NodeSpec[];
  namespaces: NamespaceSpec[];
  services: ServiceSpec[];
  /** Workload pods, CoreDNS included. kube-proxy and kube-apiserver pods are derived from nodes. */
  pods: PodSpec[];
  /** NetworkPolicy objects as written to the API (apiVersion/kind/metadata/spec). */
  networkPolicies: KubeObject[];
  /**
   * Hand-written EndpointSlices, keyed `namespace/service`: they replace what the EndpointSlice
   * controller would compute for that Service (a Service without a selector, a stale or
   * hand-edited slice). `default/kubernetes` carries the apiserver's own slice here.
   */
  endpointSlicesOverride: Record<string, KubeObject[]>;
  /** The KubeProxyConfiguration in ConfigMap kube-system/kube-proxy (every node reads it). */
  kubeProxy: KubeProxyConfigSpec;
  coreDns: CoreDnsSpec;
  /** An ip-masq-agent DaemonSet on every node: its IP-MASQ-AGENT chain in nat POSTROUTING. */
  ipMasqAgent?: IpMasqAgentSpec;
  /** What --probe saw (probes.ts builds them from what the wire does); absent: gathered without --probe. */
  probes?: Probe[];
  /** Cilium replaces kube-proxy (cilium.ts: `ciliumCluster()` sets it and stops kube-proxy on every node). */
  cilium?: CiliumSpec;
  /**
   * Dual-stack (`dualStack()` sets it): the IPv6 pod network (kube-controller-manager's second
   * --cluster-cidr, kube-proxy's second clusterCIDR) and service range (kube-apiserver's second
   * --service-cluster-ip-range). IPv4 stays the primary family. Absent: single-stack IPv4, whose
   * ip6tables dumps the kit leaves empty.
   */
  ipv6?: { clusterCIDR: string; serviceCIDR: string };
}

export interface NodeSpec {
  /** `uname -r`. Default 6.1.0-28-amd64. Below 5.13 kube-proxy refuses nftables mode, so it writes no table there. */
  kernelRelease?: string;
  /**
   * The kernel has nfnetlink_acct and the nfacct match (CONFIG_NETFILTER_NETLINK_ACCT,
   * CONFIG_NETFILTER_XT_MATCH_NFACCT; Debian and Ubuntu kernels build both). Then kube-proxy in
   * iptables mode creates its nfacct counters and counts with `-m nfacct`: INVALID drops in
   * KUBE-FORWARD (v1.30+) and accepted localhost NodePorts, one more KUBE-NODEPORTS rule per
   * NodePort (v1.31+). false: it could not create them and writes no nfacct match. Default true.
   */
  kernelNfacct?: boolean;
  name: string;
  /** eth0's address (a /24 on 192.168.1.0/24 by default); the InternalIP unless `internalIP` says otherwise. */
  ip: string;
  /** Prefix length of eth0's address. Default 24. */
  prefix?: number;
  /** Dual-stack: eth0's global IPv6 address (a /64), the Node's second InternalIP. */
  ip6?: string;
  /** Dual-stack: the node's IPv6 pod CIDR (Node.spec.podCIDRs[1]), on cni0 like the IPv4 one. */
  podCIDR6?: string;
  /** Node.spec.podCIDR, the CNI's subnet on this node. */
  podCIDR: string;
  /** Runs the control plane (node-role label, kube-apiserver static pod). */
  controlPlane?: boolean;
  /** false: the kubelet stopped posting status (Ready Unknown, unreachable taints). Default true. */
  ready?: boolean;
  /** false: np-doctor cannot reach the node (SSH times out): no commands, a gather error instead. Default true. */
  access?: boolean;
  /** The InternalIP the Node object reports, when it is not eth0's address (a NAT interface, a duplicate). */
  internalIP?: string;
  /** An ExternalIP in the Node status (a cloud 1:1 NAT address: not configured on any interface). */
  externalIP?: string;
  /** More addresses on the node: a secondary address on eth0, a second NIC, a VIP on lo. */
  extraAddresses?: { iface: string; ip: string; prefix: number }[];
  /** Kernel settings that differ from the healthy defaults. */
  sysctls?: NodeSysctls;
  /** filter FORWARD policy (Docker and firewalls set DROP), in the host firewall's backend. Default ACCEPT. */
  forwardPolicy?: Policy;
  /** Dual-stack: ip6tables' filter FORWARD policy (Docker with ip6tables on, a hardening baseline). Default ACCEPT. */
  forwardPolicy6?: Policy;
  /** Rules another firewall manager wrote (see host-firewall.ts for ufw, firewalld and native-nftables firewalld presets). */
  hostFirewall?: HostFirewallSpec;
  /** Dual-stack: the host firewall's ip6tables rules (same shape, IPv6 addresses), in the host firewall's backend. */
  hostFirewall6?: Partial<Record<TableName, HostFirewallTable>>;
  /** The backend plain `iptables` uses on the host, and everyone's unless splitBackend says otherwise. Default nft. */
  iptablesBackend?: Backend;
  /** Writers that use the other backend, and leftover kube-proxy rules (the legacy/nft split). */
  splitBackend?: SplitBackendSpec;
  /**
   * The host's iptables is older than the one in the kube-proxy image (Ubuntu 18.04: iptables
   * v1.6.1, legacy, no -legacy/-nft tool names): iptables-save prints kube-proxy's DNAT rules as
   * `-j DNAT [unsupported revision]` and drops `--random-fully`. Implies the legacy backend.
   */
  iptablesVersionSkew?: boolean;
  /**
   * Read through the default debug pod, which cannot enter the pods' network namespaces (no
   * CAP_SYS_ADMIN): `ip -all netns exec` prints each one's header, nothing under it, and the setns
   * error on stderr.
   */
  podNamespacesDenied?: boolean;
  /** How this node's kube-proxy differs from a healthy one reading the shared ConfigMap. */
  kubeProxy?: NodeKubeProxySpec;
}

/** Kernel settings; each absent field keeps its healthy default. */
export interface NodeSysctls {
  /** net.ipv4.ip_forward. Default true. */
  ipForward?: boolean;
  /** net.ipv6.conf.all.forwarding. Default: true in a dual-stack cluster (its CNI needs it), else false. */
  ipv6Forwarding?: boolean;
  /** net.ipv4.conf.all.rp_filter. Default 2 (loose, systemd's default). */
  rpFilter?: 0 | 1 | 2;
  /** net.ipv4.conf.default.rp_filter (inherited by interfaces created later: cni0, veths). Default 2. */
  rpFilterDefault?: 0 | 1 | 2;
  /** Per-interface rp_filter, e.g. `{ eth0: 1 }`. Interfaces not listed have the default. */
  rpFilterInterfaces?: Record<string, 0 | 1 | 2>;
  /** false: br_netfilter is not loaded, so no net.bridge.* keys exist. Default true. */
  brNetfilter?: boolean;
  /** net.bridge.bridge-nf-call-iptables (and ip6tables) while br_netfilter is loaded. Default true. */
  bridgeNfCallIptables?: boolean;
  /** net.ipv4.conf.all.route_localnet. Default: what kube-proxy set (1 when localhost NodePorts are on). */
  routeLocalnet?: boolean;
  /** Per-interface route_localnet, e.g. `{ eth0: true }`. Default false everywhere. */
  routeLocalnetInterfaces?: Record<string, boolean>;
  /** net.netfilter.nf_conntrack_count. Default a few thousand. */
  conntrackCount?: number;
  /** net.netfilter.nf_conntrack_max. Default 131072 (what kube-proxy sets for 4 CPUs; the kernel's 262144 without kube-proxy). */
  conntrackMax?: number;
  /** net.netfilter.nf_conntrack_tcp_be_liberal; kube-proxy writes no INVALID drop when set. Default: the ConfigMap's conntrack.tcpBeLiberal. */
  tcpBeLiberal?: boolean;
  /** net.ipv4.vs.conntrack in IPVS mode. Default true (kube-proxy sets it); false: IPVS traffic skips conntrack, so nothing masquerades it. */
  ipvsConntrack?: boolean;
}

/**
 * Rules of one table another firewall manager wrote, as `-A CHAIN …` lines. Write them the way
 * iptables-save prints them: the kit's own rendering normalises the usual modules, the kernel
 * round trip any.
 */
export interface HostFirewallTable {
  /** User chains the rules use (declared in this table). */
  chains?: string[];
  /** Rules put at the top of their built-in chains, before kubelet's and kube-proxy's jumps (a firewall reloaded with -I after Kubernetes started). */
  insert?: string[];
  /** Rules appended at boot: after kubelet's and kube-proxy's jumps (which are prepended), before the CNI's (appended later). */
  append?: string[];
  /** Built-in chain policies, e.g. `{ INPUT: 'DROP' }`. */
  policies?: Record<string, Policy>;
}

/**
 * A host firewall: iptables rules per table (in the backend splitBackend.hostFirewall names), and
 * native nftables tables (`nftables`, e.g. firewalld's `table inet firewalld`, see firewalldNft()),
 * which load at boot before any iptables table exists. Both can be given.
 */
export interface HostFirewallSpec extends Partial<Record<TableName, HostFirewallTable>> {
  /** Native nftables tables in creation order, as `nft -f` would create them (nft-model.ts builds them). */
  nftables?: NftTableSpec[];
}

/** Which backend each writer uses when they differ (default: the node's iptablesBackend). */
export interface SplitBackendSpec {
  /** kubelet: KUBE-IPTABLES-HINT, KUBE-KUBELET-CANARY, KUBE-FIREWALL and its INPUT/OUTPUT jumps. */
  kubelet?: Backend;
  /** kube-proxy: every KUBE-* chain it owns. */
  kubeProxy?: Backend;
  /** The CNI's chains (FLANNEL-*) and ip-masq-agent's. */
  cni?: Backend;
  /** hostFirewall's rules. */
  hostFirewall?: Backend;
  /**
   * A full, stale copy of kube-proxy's rules left in this backend by an earlier kube-proxy (one
   * that used it before an upgrade switched backends). Its endpoints are `endpoints` (keyed like
   * NodeKubeProxySpec.staleEndpoints), else the API's.
   */
  staleKubeProxy?: { backend: Backend; endpoints?: Record<string, StaleEndpoint[]> };
}

/** The cluster-wide kube-proxy configuration (ConfigMap kube-system/kube-proxy, config.conf). */
export interface KubeProxyConfigSpec {
  /**
   * `mode`: iptables (the default), nftables (`table ip kube-proxy`, no kube-proxy iptables rules at
   * all; kubelet's stay), or ipvs (virtual services per node address, kube-proxy's ipsets and IPVS-mode iptables rules).
   */
  mode?: KubeProxyMode;
  /** nftables mode only: whose `table ip kube-proxy` layout the nodes get (see NftablesLayout). Default v1.34. */
  nftablesLayout?: NftablesLayout;
  /**
   * nodePortAddresses: CIDRs, or `['primary']` (the node's InternalIP only, resolved by kube-proxy
   * at start). null = unset: every local address in iptables mode, `primary` in nftables mode (its
   * default since v1.31).
   */
  nodePortAddresses: string[] | null;
  /** The masquerade bit (iptables.masqueradeBit; nftables.masqueradeBit in nftables mode): the mark is 1 << bit. Default 14 (0x4000). */
  masqueradeBit: number;
  /** iptables.localhostNodePorts: NodePorts answer on 127.0.0.1 (sets route_localnet=1). Never in nftables mode. */
  localhostNodePorts: boolean;
  /** masqueradeAll (iptables.masqueradeAll; nftables.masqueradeAll in nftables mode): masquerade all ClusterIP traffic, pods' too. */
  masqueradeAll: boolean;
  /** conntrack.tcpBeLiberal: kube-proxy sets nf_conntrack_tcp_be_liberal=1 and drops no INVALID packets. */
  tcpBeLiberal: boolean;
}

/** How one node's kube-proxy deviates; every field defaults to "healthy, as configured". */
export interface NodeKubeProxySpec {
  /**
   * The mode this node's kube-proxy runs when it differs from the ConfigMap's (a kube-proxy not
   * restarted since the ConfigMap changed, or one started with its own flags). kube-proxy removes
   * the other modes' rules when it starts, so only this mode's rules are there.
   */
  mode?: KubeProxyMode;
  /** This node's nftables layout when its kube-proxy is another release (an upgrade half done). */
  nftablesLayout?: NftablesLayout;
  /** false: no kube-proxy pod on this node and no kube-proxy rules at all (kubelet's remain). */
  running?: boolean;
  /** The pod is in CrashLoopBackOff and exits before its first sync: no kube-proxy rules. */
  crashLooping?: boolean;
  /** The node name kube-proxy believes it has (--hostname-override): endpoint locality uses it, so with a wrong name no endpoint is local. */
  hostnameOverride?: string;
  /**
   * The endpoints this node's rules were written from, out of sync with the API (a deleted pod
   * keeps its KUBE-SEP, a new pod has none). Keyed `ns/service` (every port) or `ns/service:port`.
   */
  staleEndpoints?: Record<string, StaleEndpoint[]>;
  /** No KUBE-NODEPORTS rule (nftables mode: no service-nodeports element): `true` for every Service, or the `ns/service` names that lack it. */
  missingNodePort?: true | string[];
  /** Dual-stack: the IPv6 proxier's rules lack it (ip6tables, `table ip6 kube-proxy`); `missingNodePort` is the IPv4 proxier's. */
  missingNodePort6?: true | string[];
  /** KUBE-POSTROUTING without its MASQUERADE rule (nftables mode: chain masquerading without `masquerade fully-random`): marked packets leave unmasqueraded. */
  noMasqueradeRule?: boolean;
  /** This node's --iptables-masquerade-bit, when it differs from the ConfigMap's. */
  masqueradeBit?: number;
  /**
   * This node's --nodeport-addresses, e.g. ['192.168.1.0/24'] or ['primary']: the KUBE-NODEPORTS
   * tail uses `-d <ip>` per matching local address (nftables mode: the set nodeport-ips holds them).
   */
  nodePortAddresses?: string[] | null;
  /** This node's --iptables-localhost-nodeports. */
  localhostNodePorts?: boolean;
  /** KUBE-FORWARD's `--ctstate INVALID -j DROP`. Default: present unless nf_conntrack_tcp_be_liberal is set. */
  ctInvalidDrop?: boolean;
}

/** One endpoint as a (stale) kube-proxy saw it. */
export interface StaleEndpoint {
  ip: string;
  /** Default: the port the API's slices give for that service port (or a numeric targetPort). */
  port?: number;
  /** Where it runs (decides locality). */
  node?: string;
  /** Default true. */
  ready?: boolean;
  /** Default: ready. */
  serving?: boolean;
  /** Default false. */
  terminating?: boolean;
}

export interface CoreDnsSpec {
  /** The Corefile in ConfigMap kube-system/coredns (see `corefile()`). */
  corefile: string;
}

export interface IpMasqAgentSpec {
  /** Destinations not masqueraded. Default: ip-masq-agent's RFC 1918 and reserved ranges. */
  nonMasqueradeCIDRs?: string[];
  /** Masquerade traffic to 169.254.0.0/16 too. Default false. */
  masqLinkLocal?: boolean;
}

export interface NamespaceSpec {
  name: string;
  /** Beyond kubernetes.io/metadata.name, which is always set. */
  labels?: Record<string, string>;
}

export interface ServicePortSpec {
  /** Required when a Service has several ports. */
  name?: string;
  port: number;
  /** A number or a container port name. Default: `port`. */
  targetPort?: number | string;
  nodePort?: number;
  /** Default TCP. */
  protocol?: Protocol;
}

export interface ServiceSpec {
  namespace: string;
  name: string;
  type: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  /** The IPv4 ClusterIP ('None' = headless: kube-proxy ignores it); unused by a SingleStack IPv6 Service. */
  clusterIP: string;
  /** Dual-stack: the families, primary first (spec.ipFamilies). Default: the policy's (ipFamiliesOf). */
  ipFamilies?: IpFamily[];
  /** Default SingleStack. */
  ipFamilyPolicy?: IpFamilyPolicy;
  /** The IPv6 ClusterIP. Default: a stable address from the cluster's IPv6 service CIDR. */
  clusterIP6?: string;
  ports: ServicePortSpec[];
  /** Absent: no EndpointSlices unless endpointSlicesOverride has some. */
  selector?: Record<string, string>;
  /** NodePort and LoadBalancer only. Default Cluster. */
  externalTrafficPolicy?: 'Cluster' | 'Local';
  /** Default Cluster. */
  internalTrafficPolicy?: 'Cluster' | 'Local';
  externalIPs?: string[];
  /** status.loadBalancer.ingress IPs (LoadBalancer VIPs). */
  loadBalancerIngress?: string[];
  loadBalancerSourceRanges?: string[];
  /** LoadBalancer with externalTrafficPolicy Local: default allocated from the NodePort range. */
  healthCheckNodePort?: number;
  /** Default None. */
  sessionAffinity?: 'None' | 'ClientIP';
  /** Default 10800. */
  sessionAffinityTimeoutSeconds?: number;
  /** Endpoints of unready pods are ready too. */
  publishNotReadyAddresses?: boolean;
  labels?: Record<string, string>;
}

export interface ContainerPortSpec {
  name?: string;
  containerPort: number;
  /** Default TCP. */
  protocol?: Protocol;
}

/** One listening socket of a pod's app. */
export interface ListenSpec {
  port: number;
  /**
   * `0.0.0.0` (IPv4 wildcard, the default; `*` for a pod with an IPv6 address), `127.0.0.1` or `::1` (loopback: refused from outside
   * the pod), `*` (an IPv6 socket that takes IPv4 too: Go's and Java's `:8080`), `::` (IPV6_V6ONLY,
   * nginx's `listen [::]:80`: IPv4 connections are refused).
   */
  address?: '0.0.0.0' | '127.0.0.1' | '::1' | '*' | '::';
  /** Default TCP. */
  protocol?: 'TCP' | 'UDP';
}

export interface ContainerSpec {
  name: string;
  image: string;
  ports?: ContainerPortSpec[];
  /** Kept for kube-system pods only (np-doctor drops workload command lines). */
  command?: string[];
}

export interface PodSpec {
  namespace: string;
  name: string;
  /** Scheduled node; null: unschedulable (Pending, no IP). */
  node: string | null;
  /** Pod IP; null: not assigned yet (Pending). Ignored for hostNetwork pods: they have their node's InternalIP. */
  ip: string | null;
  /**
   * Dual-stack: the pod's IPv6 address. Default: the address at the same offset in its node's
   * podCIDR6 as `ip` has in podCIDR (10.244.1.5 → fd00:10:244:1::5); null: none.
   */
  ip6?: string | null;
  labels: Record<string, string>;
  containers: ContainerSpec[];
  /** Default Running (Pending without node or IP). */
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  /** Readiness probe passing. Default true. */
  ready?: boolean;
  /** Being deleted (deletionTimestamp set): its endpoint is terminating, serving while `ready`. */
  terminating?: boolean;
  /** Containers restart in CrashLoopBackOff (not ready). */
  crashLoop?: boolean;
  /** Default 0, or 12 in a crash loop. */
  restartCount?: number;
  hostNetwork?: boolean;
  /**
   * hostNetwork pods only: how their container ports show in the node's `ss -l` output. `any`
   * (0.0.0.0), `loopback` (127.0.0.1 only: unreachable from other hosts), or false (nothing
   * listens). Default any.
   */
  listening?: 'any' | 'loopback' | false;
  /**
   * Pods with their own network namespace: where the app really listens, as `ss` in the pod's
   * namespace shows it (pod-netns-sockets). Default: every declared containerPort on 0.0.0.0, or,
   * for a pod that declares none, the numeric targetPort of every Service that selects it; nothing
   * while the pod crash-loops. `[]`: nothing listens.
   */
  listens?: ListenSpec[];
  /** The controller that owns it. Default: a ReplicaSet named after the pod's first two name parts. */
  owner?: { kind: 'ReplicaSet' | 'DaemonSet' | 'StatefulSet' | 'Node'; name: string };
}

// ---------------------------------------------------------------------------------------------
// Builders

/** The Corefile kubeadm installs, with the upstream resolver as a knob (`127.0.0.53` loops). */
export function corefile(o: { forward?: string; loop?: boolean } = {}): string {
  return `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . ${o.forward ?? '/etc/resolv.conf'} {
       max_concurrent 1000
    }
    cache 30
${o.loop === false ? '' : '    loop\n'}    reload
    loadbalance
}
`;
}

/** An IPv6 ClusterIP the apiserver could have allocated: stable per name, inside the IPv6 service CIDR. */
export function clusterIP6For(namespace: string, name: string, serviceCIDR6: string): string {
  const bits = Number(serviceCIDR6.split('/')[1] ?? 128);
  const size = 2 ** Math.min(128 - bits, 32);
  return nthAddress6(serviceCIDR6, 20 + (sha32(`clusterip6/${namespace}/${name}`) % (size - 20)));
}

/** A ClusterIP the apiserver could have allocated: stable per name, inside 10.96.0.0/12. */
export function clusterIPFor(namespace: string, name: string, serviceCIDR = '10.96.0.0/12'): string {
  const c = parseCidr(serviceCIDR);
  const size = 2 ** (32 - c.bits);
  const n = sha32(`clusterip/${namespace}/${name}`) % (size - 20);
  return intToIp(c.base + 20 + n); // the first addresses stay for kubernetes (.1) and kube-dns (.10)
}

const sha32 = (seed: string): number => sha256(seed).readUInt32BE(0);

/**
 * A Service. `type` defaults to NodePort when a port has a nodePort, else ClusterIP; the
 * ClusterIP defaults to a stable address from 10.96.0.0/12.
 */
export function service(namespace: string, name: string, o: Omit<ServiceSpec, 'namespace' | 'name' | 'type' | 'clusterIP'> & Partial<Pick<ServiceSpec, 'type' | 'clusterIP'>>): ServiceSpec {
  const type = o.type ?? (o.ports.some((p) => p.nodePort !== undefined) ? 'NodePort' : 'ClusterIP');
  return { namespace, name, ...o, type, clusterIP: o.clusterIP ?? clusterIPFor(namespace, name) };
}

/** A running, ready pod with one container (named after the pod's app) unless `containers` is given. */
export function pod(
  namespace: string,
  name: string,
  o: Partial<Omit<PodSpec, 'namespace' | 'name'>> & { node: string | null; ip: string | null; ports?: ContainerPortSpec[]; image?: string },
): PodSpec {
  const { ports, image, ...rest } = o;
  const app = o.labels?.app ?? name.split('-')[0] ?? name;
  return {
    namespace,
    name,
    labels: {},
    containers: [{ name: app, image: image ?? `registry.example.com/${namespace}/${app}:1.0.0`, ...(ports ? { ports } : {}) }],
    ...rest,
  };
}

/**
 * The pods of a Deployment: one replica per entry of `nodes`, named `<name>-<rs hash>-<suffix>`,
 * labelled `app=<name>` and `pod-template-hash`, with the next free IP of each node's pod CIDR.
 * Returns them; push them into `spec.pods`.
 */
export function deploymentPods(
  spec: ClusterSpec,
  namespace: string,
  name: string,
  o: { nodes: string[]; ports?: ContainerPortSpec[]; image?: string; labels?: Record<string, string> } & Partial<Pick<PodSpec, 'ready' | 'terminating' | 'crashLoop' | 'phase'>>,
): PodSpec[] {
  const rs = `${name}-${nameSuffix(`rs/${namespace}/${name}`, 10)}`;
  const taken = new Set(spec.pods.map((p) => p.ip));
  const { nodes, ports, image, labels, ...state } = o;
  return nodes.map((node, i) => {
    const ip = nextPodIP(spec, node, taken);
    taken.add(ip);
    return {
      ...pod(namespace, `${rs}-${nameSuffix(`pod/${namespace}/${name}/${i}`, 5)}`, { node, ip, ports, image, labels: { app: name, ...labels, 'pod-template-hash': rs.slice(name.length + 1) } }),
      ...state,
      owner: { kind: 'ReplicaSet', name: rs },
    };
  });
}

/** The lowest address of a node's pod CIDR (from .2; .1 is the bridge) no pod of the spec uses. */
export function nextPodIP(spec: ClusterSpec, nodeName: string, taken: Set<string | null> = new Set(spec.pods.map((p) => p.ip))): string {
  const node = findNode(spec, nodeName);
  const size = 2 ** (32 - parseCidr(node.podCIDR).bits);
  for (let n = 2; n < size - 1; n++) {
    const ip = nthAddress(node.podCIDR, n);
    if (!taken.has(ip)) return ip;
  }
  throw new Error(`no free pod IP left in ${node.podCIDR} on ${nodeName}`);
}

/** A NetworkPolicy object as applied to the API (the kit adds uid/creationTimestamp later). */
export function networkPolicy(namespace: string, name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec };
}

/**
 * A hand-written EndpointSlice for `endpointSlicesOverride` (no controller labels unless
 * `managedBy` is given): endpoints with their conditions, ports as the slice lists them.
 */
export function endpointSlice(
  namespace: string,
  serviceName: string,
  endpoints: { ip: string; node?: string; ready?: boolean; serving?: boolean; terminating?: boolean; pod?: string }[],
  ports: { name?: string; port: number; protocol?: Protocol }[],
  o: { name?: string; managedBy?: string } = {},
): KubeObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    addressType: endpoints.some((e) => isIPv6(e.ip)) ? 'IPv6' : 'IPv4',
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false },
      ...(e.node !== undefined ? { nodeName: e.node } : {}),
      ...(e.pod !== undefined ? { targetRef: { kind: 'Pod', name: e.pod, namespace } } : {}),
    })),
    metadata: {
      name: o.name ?? serviceName,
      namespace,
      labels: { 'kubernetes.io/service-name': serviceName, ...(o.managedBy !== undefined ? { 'endpointslice.kubernetes.io/managed-by': o.managedBy } : {}) },
    },
    ports: ports.map((p) => ({ ...(p.name !== undefined ? { name: p.name } : {}), port: p.port, protocol: p.protocol ?? 'TCP' })),
  };
}

// ---------------------------------------------------------------------------------------------
// Lookups and one-line edits

export function findNode(spec: Pick<ClusterSpec, 'nodes'>, name: string): NodeSpec {
  const node = spec.nodes.find((n) => n.name === name);
  if (node === undefined) throw new Error(`no node "${name}" in the spec (nodes: ${spec.nodes.map((n) => n.name).join(', ')})`);
  return node;
}

/** `ns/name` → the Service. */
export function findService(spec: ClusterSpec, key: string): ServiceSpec {
  const svc = spec.services.find((s) => `${s.namespace}/${s.name}` === key);
  if (svc === undefined) throw new Error(`no service "${key}" in the spec`);
  return svc;
}

/** Applies `patch` to the named node (merging kubeProxy and sysctls) and returns the spec. */
export function updateNode(spec: ClusterSpec, name: string, patch: Partial<NodeSpec>): ClusterSpec {
  const node = findNode(spec, name);
  const { kubeProxy, sysctls, ...rest } = patch;
  Object.assign(node, rest);
  if (kubeProxy !== undefined) node.kubeProxy = { ...node.kubeProxy, ...kubeProxy };
  if (sysctls !== undefined) node.sysctls = { ...node.sysctls, ...sysctls };
  return spec;
}

/** Applies `patch` to the Service `ns/name` and returns the spec. */
export function updateService(spec: ClusterSpec, key: string, patch: Partial<ServiceSpec>): ClusterSpec {
  Object.assign(findService(spec, key), patch);
  return spec;
}

/** Applies `patch` to every pod of `namespace` whose labels include `labels`; throws when none matches. */
export function updatePods(spec: ClusterSpec, namespace: string, labels: Record<string, string>, patch: Partial<PodSpec>): ClusterSpec {
  const pods = spec.pods.filter((p) => p.namespace === namespace && Object.entries(labels).every(([k, v]) => p.labels[k] === v));
  if (pods.length === 0) throw new Error(`no pod in ${namespace} has labels ${JSON.stringify(labels)}`);
  for (const p of pods) Object.assign(p, patch);
  return spec;
}

/** `ns/name:port`-style name kube-proxy uses in comments and hashes (`ns/name` for an unnamed port). */
export const servicePortName = (svc: ServiceSpec, port: ServicePortSpec): string =>
  `${svc.namespace}/${svc.name}${port.name ? `:${port.name}` : ''}`;

/** The healthCheckNodePort the apiserver allocated (LoadBalancer + eTP Local only), or 0. */
export function healthCheckNodePortOf(spec: ClusterSpec, svc: ServiceSpec): number {
  if (svc.type !== 'LoadBalancer' || svc.externalTrafficPolicy !== 'Local') return 0;
  if (svc.healthCheckNodePort !== undefined) return svc.healthCheckNodePort;
  const [lo = 30000, hi = 32767] = spec.nodePortRange.split('-').map(Number);
  return lo + (sha32(`hcnp/${svc.namespace}/${svc.name}`) % (hi - lo + 1));
}

/** The address the Node object reports as InternalIP. */
export const internalIPOf = (node: NodeSpec): string => node.internalIP ?? node.ip;

// ---------------------------------------------------------------------------------------------
// Families

export const familyOf = (f: IpFamily): Family => (f === 'IPv6' ? 6 : 4);
export const ipFamilyOf = (f: Family): IpFamily => (f === 6 ? 'IPv6' : 'IPv4');

/** The cluster's families, primary first: IPv4, plus IPv6 in a dual-stack cluster. */
export const clusterFamilies = (spec: Pick<ClusterSpec, 'ipv6'>): Family[] => (spec.ipv6 === undefined ? [4] : [4, 6]);

/** The pod network (kube-proxy's local-traffic detector) of one family. */
export function clusterCIDROf(spec: Pick<ClusterSpec, 'clusterCIDR' | 'ipv6'>, family: Family): string {
  if (family === 4) return spec.clusterCIDR;
  if (spec.ipv6 === undefined) throw new Error('the cluster has no IPv6 pod network (see dualStack())');
  return spec.ipv6.clusterCIDR;
}

/**
 * What the apiserver stores in spec.ipFamilies: SingleStack keeps the one family asked for (default
 * the cluster's primary); Prefer/RequireDualStack get both in a dual-stack cluster, the one asked
 * for first (PreferDualStack on a single-stack cluster keeps one).
 */
export function ipFamiliesOf(spec: Pick<ClusterSpec, 'ipv6'>, svc: ServiceSpec): IpFamily[] {
  const asked = svc.ipFamilies ?? [];
  if ((svc.ipFamilyPolicy ?? 'SingleStack') === 'SingleStack') return [asked[0] ?? 'IPv4'];
  const all = clusterFamilies(spec).map(ipFamilyOf);
  const first = asked[0] ?? all[0] ?? 'IPv4';
  return [first, ...all.filter((f) => f !== first)];
}

/** The Service's ClusterIP of one family; undefined when it has none (or is headless). */
export function clusterIPOf(spec: Pick<ClusterSpec, 'ipv6'>, svc: ServiceSpec, family: Family): string | undefined {
  if (svc.clusterIP === 'None' || svc.clusterIP === '') return undefined;
  if (!ipFamiliesOf(spec, svc).includes(ipFamilyOf(family))) return undefined;
  if (family === 4) return svc.clusterIP;
  return svc.clusterIP6 ?? clusterIP6For(svc.namespace, svc.name, spec.ipv6?.serviceCIDR ?? 'fd00:10:96::/112');
}

/** spec.clusterIPs: one per family, primary first ('None' for a headless Service). */
export function clusterIPsOf(spec: Pick<ClusterSpec, 'ipv6'>, svc: ServiceSpec): string[] {
  if (svc.clusterIP === 'None' || svc.clusterIP === '') return [svc.clusterIP];
  return ipFamiliesOf(spec, svc).map((f) => clusterIPOf(spec, svc, familyOf(f)) ?? '');
}

/** The Node's InternalIP of one family (the IPv6 one: eth0's ip6), or undefined. */
export const internalIPOfFamily = (node: NodeSpec, family: Family): string | undefined => (family === 4 ? internalIPOf(node) : node.ip6);

/** The pod's IPv6 address (see PodSpec.ip6); a hostNetwork pod has its node's. */
export function podIP6Of(spec: Pick<ClusterSpec, 'nodes' | 'ipv6'>, pod: PodSpec): string | null {
  if (spec.ipv6 === undefined || pod.node === null) return null;
  const node = findNode(spec, pod.node);
  if (pod.hostNetwork === true) return node.ip6 ?? null;
  if (pod.ip6 !== undefined) return pod.ip6;
  if (pod.ip === null || node.podCIDR6 === undefined) return null;
  return nthAddress6(node.podCIDR6, ipToInt(pod.ip) - parseCidr(node.podCIDR).base);
}

/** The pod's address of one family. */
export const podIPOfFamily = (spec: Pick<ClusterSpec, 'nodes' | 'ipv6'>, pod: PodSpec, family: Family): string | null =>
  (family === 4 ? podIPOf(spec, pod) : podIP6Of(spec, pod));

/**
 * Makes the cluster dual-stack, IPv4 first, as kubeadm sets it up with both families (--pod-network-cidr
 * and --service-cidr with two ranges, kubelet --node-ip=v4,v6, flannel with EnableIPv6): the IPv6
 * pod network fd00:10:244::/56 (node k's pods on fd00:10:244:k::/64, k the third byte of its IPv4
 * pod CIDR), Services fd00:10:96::/112, node addresses fd00:192:168:1::<last byte of the IPv4 one>,
 * IPv6 forwarding on. Existing Services stay SingleStack IPv4 (as after an upgrade to dual-stack);
 * updateService() makes one dual-stack. Returns the spec.
 */
export function dualStack(spec: ClusterSpec): ClusterSpec {
  spec.ipv6 = { clusterCIDR: 'fd00:10:244::/56', serviceCIDR: 'fd00:10:96::/112' };
  for (const n of spec.nodes) {
    const [a = 0, b = 0, c = 0, d = 0] = n.ip.split('.').map(Number);
    n.ip6 ??= `fd00:${a}:${b}:${c}::${d}`;
    n.podCIDR6 ??= normalCidr(`fd00:10:244:${(parseCidr(n.podCIDR).base >>> 8) & 0xff}::/64`);
  }
  return spec;
}

/** The pod's IP: hostNetwork pods have their node's InternalIP. */
export function podIPOf(spec: Pick<ClusterSpec, 'nodes'>, pod: PodSpec): string | null {
  return pod.hostNetwork === true && pod.node !== null ? internalIPOf(findNode(spec, pod.node)) : pod.ip;
}

/** The pod's phase: Pending until it is scheduled and has an IP, then Running unless told otherwise. */
export function podPhaseOf(spec: Pick<ClusterSpec, 'nodes'>, pod: PodSpec): NonNullable<PodSpec['phase']> {
  return pod.phase ?? (pod.node === null || podIPOf(spec, pod) === null ? 'Pending' : 'Running');
}

/** Readiness as podutil.IsPodReady sees it. */
export const isPodReady = (spec: Pick<ClusterSpec, 'nodes'>, pod: PodSpec): boolean =>
  podPhaseOf(spec, pod) === 'Running' && pod.ready !== false && pod.crashLoop !== true;

/** Checks what would otherwise surface as a confusing failure deep in the build. */
export function validateSpec(spec: ClusterSpec): void {
  const names = new Set<string>();
  for (const n of spec.nodes) {
    if (names.has(n.name)) throw new Error(`node "${n.name}" is listed twice`);
    names.add(n.name);
    if (!cidrContains(spec.clusterCIDR, n.podCIDR.split('/')[0] ?? '')) throw new Error(`node ${n.name}: podCIDR ${n.podCIDR} is outside clusterCIDR ${spec.clusterCIDR}`);
  }
  for (const p of spec.pods) {
    if (p.node !== null && !names.has(p.node)) throw new Error(`pod ${p.namespace}/${p.name} runs on unknown node "${p.node}"`);
  }
  for (const s of spec.services) {
    if (s.ports.length > 1 && s.ports.some((p) => !p.name)) throw new Error(`service ${s.namespace}/${s.name}: every port needs a name when there are several`);
    if (s.clusterIP !== 'None') ipToInt(s.clusterIP);
    const families = ipFamiliesOf(spec, s);
    if (families.includes('IPv6') && spec.ipv6 === undefined) throw new Error(`service ${s.namespace}/${s.name}: IPv6 needs a dual-stack cluster (dualStack())`);
    if (s.ipFamilyPolicy === 'RequireDualStack' && families.length < 2) throw new Error(`service ${s.namespace}/${s.name}: RequireDualStack on a single-stack cluster (the apiserver refuses it)`);
    const ip6 = clusterIPOf(spec, s, 6);
    if (ip6 !== undefined && !inCidr(spec.ipv6?.serviceCIDR ?? '::/0', ip6)) throw new Error(`service ${s.namespace}/${s.name}: clusterIP6 ${ip6} is outside ${spec.ipv6?.serviceCIDR}`);
  }
  validateDualStack(spec);
}

/** What the kit models of dual-stack: the bridge CNI, kube-proxy in iptables or nftables mode, IPv4 first. */
function validateDualStack(spec: ClusterSpec): void {
  if (spec.ipv6 === undefined) {
    const v6 = spec.nodes.find((n) => n.ip6 !== undefined || n.podCIDR6 !== undefined || n.hostFirewall6 !== undefined || n.forwardPolicy6 !== undefined);
    if (v6 !== undefined) throw new Error(`node ${v6.name} has IPv6 settings but the cluster is single-stack IPv4 (dualStack())`);
    return;
  }
  if (!isIPv6(spec.ipv6.clusterCIDR) || !isIPv6(spec.ipv6.serviceCIDR)) throw new Error('spec.ipv6 needs IPv6 clusterCIDR and serviceCIDR');
  if (spec.cni !== 'bridge') throw new Error('dual-stack is modelled for the bridge CNI only');
  for (const n of spec.nodes) {
    if (n.ip6 === undefined || n.podCIDR6 === undefined) throw new Error(`node ${n.name}: a dual-stack node needs ip6 and podCIDR6`);
    if (!inCidr(spec.ipv6.clusterCIDR, n.podCIDR6.split('/')[0] ?? '')) throw new Error(`node ${n.name}: podCIDR6 ${n.podCIDR6} is outside ${spec.ipv6.clusterCIDR}`);
    if ((n.kubeProxy?.mode ?? spec.kubeProxy.mode) === 'ipvs') throw new Error(`node ${n.name}: IPVS mode is not modelled in dual-stack`);
  }
}

// ---------------------------------------------------------------------------------------------
// The healthy base cluster

/**
 * A healthy three-node cluster: node-1 (control plane, 192.168.1.101, pods 10.244.0.0/24),
 * node-2 (.102, 10.244.1.0/24), node-3 (.103, 10.244.2.0/24); clusterCIDR 10.244.0.0/16,
 * Services 10.96.0.0/12, NodePorts 30000-32767; kube-proxy iptables mode on the nft backend;
 * CoreDNS (2/2 ready on node-1, kube-dns 10.96.0.10); namespace `shop` with the NodePort
 * Service `shop/frontend` (30080, port 80 → targetPort `http` = 8080, app=frontend, eTP
 * Cluster, pods on node-2 and node-3) and the ClusterIP Service `shop/backend` (one pod on
 * node-3). Every call returns a fresh copy; `overrides` replace top-level fields.
 */
export function baseCluster(overrides: Partial<ClusterSpec> = {}): ClusterSpec {
  const nodes: NodeSpec[] = [
    { name: 'node-1', ip: '192.168.1.101', podCIDR: '10.244.0.0/24', controlPlane: true },
    { name: 'node-2', ip: '192.168.1.102', podCIDR: '10.244.1.0/24' },
    { name: 'node-3', ip: '192.168.1.103', podCIDR: '10.244.2.0/24' },
  ];
  const http: ContainerPortSpec[] = [{ name: 'http', containerPort: 8080, protocol: 'TCP' }];
  const dnsPorts: ContainerPortSpec[] = [
    { name: 'dns', containerPort: 53, protocol: 'UDP' },
    { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
    { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
  ];
  const spec: ClusterSpec = {
    context: 'kubernetes-admin@shop-prod',
    kubernetesVersion: 'v1.31.4',
    clusterCIDR: '10.244.0.0/16',
    serviceCIDR: '10.96.0.0/12',
    nodePortRange: '30000-32767',
    cni: 'bridge',
    nodes,
    namespaces: ['default', 'kube-node-lease', 'kube-public', 'kube-system', 'shop'].map((name) => ({ name })),
    services: [
      service('default', 'kubernetes', {
        clusterIP: '10.96.0.1',
        ports: [{ name: 'https', port: 443, targetPort: 6443 }],
        labels: { component: 'apiserver', provider: 'kubernetes' },
      }),
      service('kube-system', 'kube-dns', {
        clusterIP: '10.96.0.10',
        ports: [
          { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, targetPort: 53 },
          { name: 'metrics', port: 9153, targetPort: 9153 },
        ],
        selector: { 'k8s-app': 'kube-dns' },
        labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
      }),
      service('shop', 'frontend', {
        clusterIP: '10.96.120.15',
        ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30080 }],
        selector: { app: 'frontend' },
        externalTrafficPolicy: 'Cluster',
        labels: { app: 'frontend' },
      }),
      service('shop', 'backend', {
        clusterIP: '10.96.44.201',
        ports: [{ name: 'http', port: 8080, targetPort: 'http' }],
        selector: { app: 'backend' },
        labels: { app: 'backend' },
      }),
    ],
    pods: [],
    networkPolicies: [],
    endpointSlicesOverride: {
      // The apiserver maintains this slice itself (no selector, no controller).
      'default/kubernetes': [endpointSlice('default', 'kubernetes', [{ ip: '192.168.1.101' }], [{ name: 'https', port: 6443 }])],
    },
    kubeProxy: { nodePortAddresses: null, masqueradeBit: 14, localhostNodePorts: true, masqueradeAll: false, tcpBeLiberal: false },
    coreDns: { corefile: corefile() },
  };
  const dnsRs = `coredns-${nameSuffix('rs/kube-system/coredns', 10)}`;
  spec.pods.push(
    ...['10.244.0.2', '10.244.0.3'].map((ip, i): PodSpec => ({
      namespace: 'kube-system',
      name: `${dnsRs}-${nameSuffix(`pod/kube-system/coredns/${i}`, 5)}`,
      node: 'node-1',
      ip,
      labels: { 'k8s-app': 'kube-dns', 'pod-template-hash': dnsRs.slice('coredns-'.length) },
      containers: [{ name: 'coredns', image: 'registry.k8s.io/coredns/coredns:v1.11.3', ports: dnsPorts }],
      owner: { kind: 'ReplicaSet', name: dnsRs },
    })),
  );
  spec.pods.push(...deploymentPods(spec, 'shop', 'frontend', { nodes: ['node-2', 'node-3'], ports: http, image: 'nginxinc/nginx-unprivileged:1.27.3' }));
  spec.pods.push(...deploymentPods(spec, 'shop', 'backend', { nodes: ['node-3'], ports: http, image: 'ghcr.io/example/shop-backend:2.4.1' }));
  return { ...spec, ...overrides };
}
