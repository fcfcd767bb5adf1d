/**
 * What one node's kube-proxy runs with (kubeProxySettings: the ConfigMap and the node's knobs,
 * mode included), the per-service-port plan every mode shares (servicePortPlans: endpoints
 * categorised as pkg/proxy/topology.go CategorizeEndpoints does, ready else serving+terminating,
 * locality by kube-proxy's own node name; the has-endpoints and traffic-policy decisions of
 * syncProxyRules), and the rules kube-proxy v1.31 in iptables mode keeps on one node, written in
 * its own words (pkg/proxy/iptables/proxier.go, syncProxyRules; reference kube-proxy-dataplane.md
 * §1): the canaries, the jumps from the built-in chains (EnsureRule Prepend), the fixed per-sync
 * rules, and for every service port the KUBE-SERVICES / KUBE-NODEPORTS / KUBE-EXT / KUBE-FW /
 * KUBE-SVC / KUBE-SVL / KUBE-SEP chains and the filter REJECT/DROP rules. nftables mode:
 * kube-proxy-nft.ts.
 *
 * The nfacct matches are written when the node's kernel offers nfacct (NodeSpec.kernelNfacct):
 * `-m nfacct --nfacct-name ct_state_invalid_dropped_pkts` on KUBE-FORWARD's INVALID drop (v1.30+)
 * and, with localhost NodePorts, a `-d 127.0.0.0/8 … -m nfacct --nfacct-name
 * localhost_nps_accepted_pkts` KUBE-NODEPORTS rule before each NodePort's (v1.31+).
 * test/k8s/kit-vs-real.test.ts checks these rules against the real kube-proxy v1.34 and v1.37,
 * which write the same iptables rules.
 *
 * Dual-stack (pkg/proxy/metaproxier; iptables/proxier.go NewDualStackProxier): one proxier per
 * family, each with its own KubeProxyInput (`family`): the Services that have a ClusterIP of that
 * family, the EndpointSlices of that addressType, that family's node addresses, nodePortAddresses
 * and cluster CIDR. The IPv6 proxier writes the same chains into ip6tables, with the NodePort tail
 * `! -d ::1/128` (localhost NodePorts never work on IPv6) and no localnet DROP.
 *
 * Difference from a live kube-proxy, invisible once normalised: services are written in
 * service-port-name order (kube-proxy ranges over a Go map).
 */
import type { KubeObject } from '../../../src/snapshot/schema.js';
import { hostPort, proxyEndpoints, staleProxyEndpoints, type ProxyEndpoint } from './endpoint-slices.js';
import type { Ruleset, Table } from './iptables-text.js';
import { endpointHash, portProtoHash } from './kube-proxy-names.js';
import { slicesOfFamily } from './endpoint-slices.js';
import { cidrContains, inCidr, isIPv6 } from './net.js';
import { kubeProxyProbability } from './statistic-probability.js';
import {
  clusterCIDROf, clusterIPOf, healthCheckNodePortOf, internalIPOfFamily, servicePortName,
  type ClusterSpec, type Family, type KubeProxyMode, type NftablesLayout, type NodeSpec, type ServicePortSpec, type ServiceSpec, type StaleEndpoint,
} from './spec.js';

/** What one node's kube-proxy runs with: the ConfigMap, overridden by the node's knobs. */
export interface KubeProxySettings {
  /** The family of this proxier (a dual-stack kube-proxy runs one per family). */
  family: Family;
  /** The proxy mode this node's kube-proxy runs (the node's knob, else the ConfigMap's; default iptables). */
  mode: KubeProxyMode;
  /** nftables mode: which release's table layout (base chains, masquerade rule). */
  nftablesLayout: NftablesLayout;
  /** The node name kube-proxy believes it has (endpoint locality). */
  nodeName: string;
  /** The masquerade mark as kube-proxy writes it (`%#08x`, e.g. 0x004000). */
  mark: string;
  /** The CIDRs of this family NodePorts answer on, `primary` resolved; null = every local address (match-all). */
  nodePortAddresses: string[] | null;
  /** After NewProxier's check: off unless the NodePort addresses include 127.0.0.1. */
  localhostNodePorts: boolean;
  masqueradeAll: boolean;
  ctInvalidDrop: boolean;
  noMasqueradeRule: boolean;
  missingNodePort: true | string[] | undefined;
  /** The nfacct counters kube-proxy created (iptables mode): only those get `-m nfacct` matches. */
  nfacct: { ctStateInvalid: boolean; localhostNodePorts: boolean };
}

/** The minor version of `v1.N.P` (NaN when the spec says something else). */
export const minorVersion = (version: string): number => Number(/^v1\.(\d+)\./.exec(version)?.[1] ?? NaN);

export function kubeProxySettings(spec: ClusterSpec, node: NodeSpec, family: Family = 4): KubeProxySettings {
  const k = node.kubeProxy ?? {};
  const mode = k.mode ?? spec.kubeProxy.mode ?? 'iptables';
  const nodeName = k.hostnameOverride ?? node.name;
  const bit = k.masqueradeBit ?? spec.kubeProxy.masqueradeBit;
  let configured = 'nodePortAddresses' in k ? k.nodePortAddresses ?? null : spec.kubeProxy.nodePortAddresses;
  // cmd/kube-proxy/app/server_linux.go platformApplyDefaults: nftables mode defaults to `primary` (since v1.31).
  if (mode === 'nftables' && (configured === null || configured.length === 0)) configured = ['primary'];
  // util/nodeport_addresses.go: each family keeps its own CIDRs; none left means every address.
  const own = resolvePrimary(spec, nodeName, configured ?? [], family).filter((c) => isIPv6(c) === (family === 6));
  const matchAll = own.length === 0 || own.some((c) => c.endsWith('/0'));
  const tcpBeLiberal = node.sysctls?.tcpBeLiberal ?? spec.kubeProxy.tcpBeLiberal;
  return {
    family,
    mode,
    nftablesLayout: k.nftablesLayout ?? spec.kubeProxy.nftablesLayout ?? 'v1.34',
    nodeName,
    mark: `0x${(2 ** bit).toString(16).padStart(6, '0')}`,
    nodePortAddresses: matchAll ? null : own,
    // nftables mode never serves NodePorts on 127.0.0.1 (and leaves route_localnet alone); IPv6 never on ::1.
    localhostNodePorts: family === 4 && mode !== 'nftables' && (k.localhostNodePorts ?? spec.kubeProxy.localhostNodePorts) && (matchAll || own.some((c) => cidrContains(c, '127.0.0.1'))),
    masqueradeAll: spec.kubeProxy.masqueradeAll,
    ctInvalidDrop: k.ctInvalidDrop ?? !tcpBeLiberal,
    noMasqueradeRule: k.noMasqueradeRule === true,
    missingNodePort: family === 6 ? k.missingNodePort6 : k.missingNodePort,
    // PR kubernetes#122812 (v1.30) and #125015 (v1.31) added the counters.
    nfacct: {
      ctStateInvalid: node.kernelNfacct !== false && minorVersion(spec.kubernetesVersion) >= 30,
      localhostNodePorts: node.kernelNfacct !== false && minorVersion(spec.kubernetesVersion) >= 31,
    },
  };
}

/**
 * cmd/kube-proxy/app/server.go newProxyServer: `nodePortAddresses: [primary]` becomes the node's
 * IP of the proxier's family as a /32 or /128 (the InternalIPs of the Node object kube-proxy
 * fetched by its own node name). A kube-proxy that finds no such Node falls back to loopback,
 * which is dropped: the list ends up empty, which means every local address.
 */
function resolvePrimary(spec: ClusterSpec, nodeName: string, configured: string[], family: Family): string[] {
  if (configured.length !== 1 || configured[0] !== 'primary') return configured;
  const self = spec.nodes.find((n) => n.name === nodeName);
  const ip = self === undefined ? undefined : internalIPOfFamily(self, family);
  return ip === undefined ? [] : [`${ip}/${family === 6 ? 128 : 32}`];
}

export interface KubeProxyInput {
  spec: ClusterSpec;
  settings: KubeProxySettings;
  /** The Services' EndpointSlices, keyed `ns/name`. */
  slices: Map<string, KubeObject[]>;
  /** The endpoints the rules were written from when they differ from the slices. */
  staleEndpoints?: Record<string, StaleEndpoint[]>;
  /** The node's addresses of the proxier's family in interface order (for --nodeport-addresses). */
  localAddresses: string[];
  /**
   * kube-proxy's node IP of the proxier's family: the InternalIP of the Node its node name finds,
   * loopback when it finds none (a LoadBalancer source range holding it admits the VIPs as sources).
   */
  nodeIP: string;
}

/** kube-proxy's iptablesJumpChains, then iptablesKubeletJumpChains; each installed with EnsureRule(Prepend). */
const JUMPS: readonly { table: 'filter' | 'nat'; from: string; to: string; args: string }[] = [
  { table: 'filter', from: 'INPUT', to: 'KUBE-EXTERNAL-SERVICES', args: '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals"' },
  { table: 'filter', from: 'FORWARD', to: 'KUBE-EXTERNAL-SERVICES', args: '-m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals"' },
  { table: 'filter', from: 'INPUT', to: 'KUBE-NODEPORTS', args: '-m comment --comment "kubernetes health check service ports"' },
  { table: 'filter', from: 'FORWARD', to: 'KUBE-SERVICES', args: '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals"' },
  { table: 'filter', from: 'OUTPUT', to: 'KUBE-SERVICES', args: '-m conntrack --ctstate NEW -m comment --comment "kubernetes service portals"' },
  { table: 'filter', from: 'FORWARD', to: 'KUBE-FORWARD', args: '-m comment --comment "kubernetes forwarding rules"' },
  { table: 'filter', from: 'INPUT', to: 'KUBE-PROXY-FIREWALL', args: '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall"' },
  { table: 'filter', from: 'OUTPUT', to: 'KUBE-PROXY-FIREWALL', args: '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall"' },
  { table: 'filter', from: 'FORWARD', to: 'KUBE-PROXY-FIREWALL', args: '-m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall"' },
  { table: 'nat', from: 'OUTPUT', to: 'KUBE-SERVICES', args: '-m comment --comment "kubernetes service portals"' },
  { table: 'nat', from: 'PREROUTING', to: 'KUBE-SERVICES', args: '-m comment --comment "kubernetes service portals"' },
  { table: 'nat', from: 'POSTROUTING', to: 'KUBE-POSTROUTING', args: '-m comment --comment "kubernetes postrouting rules"' },
  { table: 'filter', from: 'INPUT', to: 'KUBE-FIREWALL', args: '' },
  { table: 'filter', from: 'OUTPUT', to: 'KUBE-FIREWALL', args: '' },
];

/** kube-proxy's nfacct counter names (pkg/proxy/metrics). */
export const NFACCT_CT_INVALID = 'ct_state_invalid_dropped_pkts';
export const NFACCT_LOCALHOST_NODEPORTS = 'localhost_nps_accepted_pkts';

const LOCALNET_DROP = '-m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP';

/** Writes everything kube-proxy keeps in the backend it uses. */
export function writeKubeProxyRules(rs: Ruleset, input: KubeProxyInput): void {
  const { settings } = input;
  const mangle = rs.table('mangle');
  const nat = rs.table('nat');
  const filter = rs.table('filter');
  for (const t of [mangle, nat, filter]) t.declare('KUBE-PROXY-CANARY');
  for (const j of JUMPS) {
    const table = j.table === 'nat' ? nat : filter;
    table.declare(j.to);
    table.ensureFirst(j.from, `${j.args}${j.args ? ' ' : ''}-j ${j.to}`);
  }
  // The restore payload declares these chains, which flushes them.
  for (const c of ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-FORWARD', 'KUBE-NODEPORTS', 'KUBE-PROXY-FIREWALL']) filter.flush(c);
  for (const c of ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-MARK-MASQ']) nat.flush(c);

  const mark = settings.mark;
  nat.append('KUBE-POSTROUTING', `-m mark ! --mark ${mark}/${mark} -j RETURN`);
  nat.append('KUBE-POSTROUTING', `-j MARK --xor-mark ${mark}`);
  if (!settings.noMasqueradeRule) nat.append('KUBE-POSTROUTING', '-m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully');
  nat.append('KUBE-MARK-MASQ', `-j MARK --or-mark ${mark}`);
  if (settings.localhostNodePorts) {
    filter.flush('KUBE-FIREWALL');
    filter.append('KUBE-FIREWALL', LOCALNET_DROP);
  }

  for (const plan of servicePortPlans(input)) writeServicePort(nat, filter, input, plan);

  const tail = '-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain"';
  const v6 = settings.family === 6;
  if (settings.nodePortAddresses === null) {
    // "For IPv6 they never work, and for IPv4 they only work if we previously set route_localnet."
    const loopback = v6 ? ' ! -d ::1/128' : settings.localhostNodePorts ? '' : ' ! -d 127.0.0.0/8';
    nat.append('KUBE-SERVICES', `${tail} -m addrtype --dst-type LOCAL${loopback} -j KUBE-NODEPORTS`);
  } else {
    const cidrs = settings.nodePortAddresses;
    for (const ip of input.localAddresses.filter((a) => cidrs.some((c) => inCidr(c, a)))) {
      // "--nodeport-addresses includes localhost but localhost NodePorts are not supported on IPv6"
      // / "… but --iptables-localhost-nodeports=false was passed"
      if (ip === '::1' || (ip.startsWith('127.') && !settings.localhostNodePorts)) continue;
      nat.append('KUBE-SERVICES', `${tail} -d ${ip} -j KUBE-NODEPORTS`);
    }
  }

  if (settings.ctInvalidDrop) filter.append('KUBE-FORWARD', `-m conntrack --ctstate INVALID${settings.nfacct.ctStateInvalid ? ` -m nfacct --nfacct-name ${NFACCT_CT_INVALID}` : ''} -j DROP`);
  filter.append('KUBE-FORWARD', `-m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`);
  filter.append('KUBE-FORWARD', '-m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
}

export interface Categorized {
  cluster: ProxyEndpoint[];
  local: ProxyEndpoint[];
  /** Every endpoint this node may DNAT to (allLocallyReachableEndpoints), sorted by "ip:port". */
  all: ProxyEndpoint[];
  hasAny: boolean;
}

/** pkg/proxy/topology.go CategorizeEndpoints (no topology hints). */
function categorize(endpoints: ProxyEndpoint[], usesCluster: boolean, usesLocal: boolean, nodeName: string): Categorized {
  const isLocal = (e: ProxyEndpoint): boolean => e.node === nodeName;
  let cluster: ProxyEndpoint[] = [];
  let hasAny = false;
  if (usesCluster) {
    cluster = endpoints.filter((e) => e.ready);
    if (cluster.length === 0) cluster = endpoints.filter((e) => e.serving && e.terminating);
    hasAny = cluster.length > 0;
  }
  if (!usesLocal) return { cluster, local: [], all: cluster, hasAny };
  if (endpoints.some((e) => e.ready || (e.serving && e.terminating))) hasAny = true;
  let local = endpoints.filter((e) => isLocal(e) && e.ready);
  if (local.length === 0) local = endpoints.filter((e) => isLocal(e) && e.serving && e.terminating);
  if (!usesCluster) return { cluster, local, all: local, hasAny };
  // kube-proxy builds the union through a Go map (random order); the kit sorts it.
  const all = new Map<string, ProxyEndpoint>();
  for (const e of [...cluster, ...local]) all.set(hostPort(e), e);
  return { cluster, local, all: [...all.values()].sort((a, b) => (hostPort(a) < hostPort(b) ? -1 : 1)), hasAny };
}

/**
 * What syncProxyRules decides for one service port before it writes anything, the same in every
 * mode: which endpoints serve which traffic and whether each kind of traffic has any.
 */
export interface ServicePortPlan {
  svc: ServiceSpec;
  port: ServicePortSpec;
  /** The Service's ClusterIP of the proxier's family. */
  clusterIP: string;
  /** servicePortName.String(): `ns/svc:port` (`ns/svc` for an unnamed port). */
  name: string;
  /** Lower-case protocol: tcp, udp, sctp. */
  proto: string;
  eps: Categorized;
  lbVips: string[];
  externalIPs: string[];
  /** 0 when the Service has none (or is a ClusterIP Service). */
  nodePort: number;
  sourceRanges: string[];
  externallyAccessible: boolean;
  internalLocal: boolean;
  externalLocal: boolean;
  usesClusterEndpoints: boolean;
  usesLocalEndpoints: boolean;
  hasEndpoints: boolean;
  usesClusterPolicyChain: boolean;
  usesLocalPolicyChain: boolean;
  hasInternalEndpoints: boolean;
  hasExternalEndpoints: boolean;
  usesExternalTrafficChain: boolean;
  /** sessionAffinity ClientIP, and its timeout (StickyMaxAgeSeconds). */
  affinity: boolean;
  affinitySeconds: number;
}

/**
 * Every service port the proxier proxies (headless Services and Services without a ClusterIP of
 * its family excluded: the IPv6 proxier skips a SingleStack IPv4 Service, NodePort and all), in
 * service-port-name order.
 */
export function servicePortPlans(input: KubeProxyInput): ServicePortPlan[] {
  const family = input.settings.family;
  return input.spec.services
    .flatMap((svc) => {
      const clusterIP = clusterIPOf(input.spec, svc, family);
      return clusterIP === undefined ? [] : svc.ports.map((port) => ({ svc, port, clusterIP, name: servicePortName(svc, port) }));
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map(({ svc, port, clusterIP, name }) => {
      const slices = slicesOfFamily(input.slices.get(`${svc.namespace}/${svc.name}`) ?? [], family);
      const current = proxyEndpoints(slices, port);
      const stale = staleProxyEndpoints(input.staleEndpoints, svc, port, current)?.filter((e) => isIPv6(e.ip) === (family === 6));
      return servicePortPlan(input, svc, port, clusterIP, name, stale ?? current);
    });
}

function servicePortPlan(input: KubeProxyInput, svc: ServiceSpec, port: ServicePortSpec, clusterIP: string, name: string, endpoints: ProxyEndpoint[]): ServicePortPlan {
  // serviceport.go: externalIPs, LoadBalancer IPs and source ranges split by family.
  const own = (ips: string[]): string[] => ips.filter((ip) => isIPv6(ip) === (input.settings.family === 6));
  const lbVips = own(svc.type === 'LoadBalancer' ? svc.loadBalancerIngress ?? [] : []);
  const externalIPs = own(svc.externalIPs ?? []);
  const nodePort = svc.type === 'ClusterIP' ? 0 : port.nodePort ?? 0;
  const externallyAccessible = nodePort !== 0 || lbVips.length > 0 || externalIPs.length > 0;
  const internalLocal = svc.internalTrafficPolicy === 'Local';
  const externalLocal = externallyAccessible && svc.type !== 'ClusterIP' && svc.externalTrafficPolicy === 'Local';
  // Even with externalTrafficPolicy Local the cluster endpoints are needed for short-circuiting.
  const usesClusterEndpoints = !internalLocal || externallyAccessible;
  const usesLocalEndpoints = internalLocal || externalLocal;
  const eps = categorize(endpoints, usesClusterEndpoints, usesLocalEndpoints, input.settings.nodeName);
  const hasEndpoints = eps.hasAny;
  return {
    svc, port, clusterIP, name, proto: (port.protocol ?? 'TCP').toLowerCase(), eps, lbVips, externalIPs, nodePort,
    sourceRanges: own(svc.loadBalancerSourceRanges ?? []),
    externallyAccessible, internalLocal, externalLocal, usesClusterEndpoints, usesLocalEndpoints, hasEndpoints,
    usesClusterPolicyChain: eps.cluster.length > 0 && usesClusterEndpoints,
    usesLocalPolicyChain: eps.local.length > 0 && usesLocalEndpoints,
    hasInternalEndpoints: hasEndpoints && (!internalLocal || eps.local.length > 0),
    hasExternalEndpoints: hasEndpoints && (!externalLocal || eps.local.length > 0),
    usesExternalTrafficChain: hasEndpoints && externallyAccessible,
    affinity: svc.sessionAffinity === 'ClientIP',
    affinitySeconds: svc.sessionAffinityTimeoutSeconds ?? 10800,
  };
}

/** Whether the node's kube-proxy writes no NodePort dispatch for this Service (missingNodePort knob). */
export const nodePortMissing = (settings: KubeProxySettings, svc: ServiceSpec): boolean =>
  settings.missingNodePort === true || (settings.missingNodePort ?? []).includes(`${svc.namespace}/${svc.name}`);

function writeServicePort(nat: Table, filter: Table, input: KubeProxyInput, plan: ServicePortPlan): void {
  const { settings, spec } = input;
  const { svc, port, clusterIP, name, proto, eps, lbVips, externalIPs, nodePort, sourceRanges, internalLocal, externalLocal, hasEndpoints } = plan;
  const { usesClusterPolicyChain, usesLocalPolicyChain, hasInternalEndpoints, hasExternalEndpoints, usesExternalTrafficChain } = plan;
  const hash = portProtoHash(name, proto);
  const svcChain = `KUBE-SVC-${hash}`;
  const svlChain = `KUBE-SVL-${hash}`;
  const extChain = `KUBE-EXT-${hash}`;
  const fwChain = `KUBE-FW-${hash}`;
  const sepChain = (e: ProxyEndpoint): string => `KUBE-SEP-${endpointHash(name, proto, hostPort(e))}`;
  const clusterCIDR = clusterCIDROf(spec, settings.family);

  const internalTrafficChain = internalLocal ? svlChain : svcChain;
  const externalPolicyChain = externalLocal ? svlChain : svcChain;
  const usesFWChain = hasEndpoints && lbVips.length > 0 && sourceRanges.length > 0;
  const loadBalancerTrafficChain = usesFWChain ? fwChain : extChain;

  const noEndpoints = `"${name} has no endpoints"`;
  const noLocal = `"${name} has no local endpoints"`;
  const internalFilter = !hasEndpoints ? { target: 'REJECT', comment: noEndpoints } : { target: 'DROP', comment: noLocal };
  const externalFilter = internalFilter;
  const match = (ip: string, p: number): string => `-m ${proto} -p ${proto} -d ${ip} --dport ${p}`;

  if (usesExternalTrafficChain) nat.declare(extChain);
  if (usesFWChain) nat.declare(fwChain);

  // The clusterIP.
  if (hasInternalEndpoints) nat.append('KUBE-SERVICES', `-m comment --comment "${name} cluster IP" ${match(clusterIP, port.port)} -j ${internalTrafficChain}`);
  else filter.append('KUBE-SERVICES', `-m comment --comment ${internalFilter.comment} ${match(clusterIP, port.port)} -j ${internalFilter.target}`);

  for (const ip of externalIPs) {
    if (hasEndpoints) nat.append('KUBE-SERVICES', `-m comment --comment "${name} external IP" ${match(ip, port.port)} -j ${extChain}`);
    if (!hasExternalEndpoints) filter.append('KUBE-EXTERNAL-SERVICES', `-m comment --comment ${externalFilter.comment} ${match(ip, port.port)} -j ${externalFilter.target}`);
  }
  for (const ip of lbVips) {
    if (hasEndpoints) nat.append('KUBE-SERVICES', `-m comment --comment "${name} loadbalancer IP" ${match(ip, port.port)} -j ${loadBalancerTrafficChain}`);
    if (usesFWChain) filter.append('KUBE-PROXY-FIREWALL', `-m comment --comment "${name} traffic not accepted by ${fwChain}" ${match(ip, port.port)} -j DROP`);
  }
  if (!hasExternalEndpoints) {
    for (const ip of lbVips) filter.append('KUBE-EXTERNAL-SERVICES', `-m comment --comment ${externalFilter.comment} ${match(ip, port.port)} -j ${externalFilter.target}`);
  }

  if (nodePort !== 0) {
    const missing = nodePortMissing(settings, svc);
    if (hasEndpoints && !missing) {
      // Counts what localhost NodePorts accept, so that iptables users can tell whether nftables mode (no localhost NodePorts) would break them.
      if (settings.localhostNodePorts && settings.nfacct.localhostNodePorts) {
        nat.append('KUBE-NODEPORTS', `-m comment --comment ${name} -m ${proto} -p ${proto} -d 127.0.0.0/8 --dport ${nodePort} -m nfacct --nfacct-name ${NFACCT_LOCALHOST_NODEPORTS} -j ${extChain}`);
      }
      nat.append('KUBE-NODEPORTS', `-m comment --comment ${name} -m ${proto} -p ${proto} --dport ${nodePort} -j ${extChain}`);
    }
    if (!hasExternalEndpoints) {
      filter.append('KUBE-EXTERNAL-SERVICES', `-m comment --comment ${externalFilter.comment} -m addrtype --dst-type LOCAL -m ${proto} -p ${proto} --dport ${nodePort} -j ${externalFilter.target}`);
    }
  }
  const hc = healthCheckNodePortOf(spec, svc);
  if (hc !== 0) filter.append('KUBE-NODEPORTS', `-m comment --comment "${name} health check node port" -m tcp -p tcp --dport ${hc} -j ACCEPT`);

  // Internal traffic: masquerade what does not come from a pod.
  if (hasInternalEndpoints) {
    const args = `-m comment --comment "${name} cluster IP" ${match(clusterIP, port.port)}`;
    if (settings.masqueradeAll) nat.append(internalTrafficChain, `${args} -j KUBE-MARK-MASQ`);
    else nat.append(internalTrafficChain, `${args} ! -s ${clusterCIDR} -j KUBE-MARK-MASQ`);
  }

  if (usesExternalTrafficChain) {
    if (!externalLocal) {
      nat.append(extChain, `-m comment --comment "masquerade traffic for ${name} external destinations" -j KUBE-MARK-MASQ`);
    } else {
      nat.append(extChain, `-m comment --comment "pod traffic for ${name} external destinations" -s ${clusterCIDR} -j ${svcChain}`);
      nat.append(extChain, `-m comment --comment "masquerade LOCAL traffic for ${name} external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`);
      nat.append(extChain, `-m comment --comment "route LOCAL traffic for ${name} external destinations" -m addrtype --src-type LOCAL -j ${svcChain}`);
    }
    if (hasExternalEndpoints) nat.append(extChain, `-j ${externalPolicyChain}`);
  }

  if (usesFWChain) {
    const args = `-m comment --comment "${name} loadbalancer IP"`;
    for (const cidr of sourceRanges) nat.append(fwChain, `${args} -s ${cidr} -j ${extChain}`);
    if (sourceRanges.some((c) => inCidr(c, input.nodeIP))) for (const ip of lbVips) nat.append(fwChain, `${args} -s ${ip} -j ${extChain}`);
    nat.append(fwChain, `-m comment --comment "other traffic to ${name} will be dropped by KUBE-PROXY-FIREWALL"`);
  }

  const affinity = plan.affinity;
  const seconds = plan.affinitySeconds;
  const toEndpoints = (chain: string, list: ProxyEndpoint[]): void => {
    nat.declare(chain);
    if (affinity) {
      for (const e of list) nat.append(chain, `-m comment --comment "${name} -> ${hostPort(e)}" -m recent --name ${sepChain(e)} --rcheck --seconds ${seconds} --reap -j ${sepChain(e)}`);
    }
    list.forEach((e, i) => {
      const statistic = i < list.length - 1 ? ` -m statistic --mode random --probability ${kubeProxyProbability(list.length - i)}` : '';
      nat.append(chain, `-m comment --comment "${name} -> ${hostPort(e)}"${statistic} -j ${sepChain(e)}`);
    });
  };
  if (usesClusterPolicyChain) toEndpoints(svcChain, eps.cluster);
  if (usesLocalPolicyChain) toEndpoints(svlChain, eps.local);

  for (const e of eps.all) {
    const chain = sepChain(e);
    nat.declare(chain);
    nat.append(chain, `-m comment --comment ${name} -s ${e.ip} -j KUBE-MARK-MASQ`);
    nat.append(chain, `-m comment --comment ${name}${affinity ? ` -m recent --name ${chain} --set` : ''} -m ${proto} -p ${proto} -j DNAT --to-destination ${hostPort(e)}`);
  }
}
