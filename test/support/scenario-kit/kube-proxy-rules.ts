/**
 * The rules kube-proxy v1.31 in iptables mode keeps on one node, written in its own words
 * (pkg/proxy/iptables/proxier.go, syncProxyRules; reference kube-proxy-dataplane.md §1): the
 * canaries, the jumps from the built-in chains (EnsureRule Prepend), the fixed per-sync rules,
 * and for every service port the KUBE-SERVICES / KUBE-NODEPORTS / KUBE-EXT / KUBE-FW / KUBE-SVC /
 * KUBE-SVL / KUBE-SEP chains and the filter REJECT/DROP rules, with endpoints categorised as
 * CategorizeEndpoints does (ready, else serving+terminating; locality by kube-proxy's own node name).
 *
 * Differences from a live kube-proxy, all invisible in iptables-save: services are written in
 * service-port-name order (kube-proxy ranges over a Go map), and the nfacct matches of v1.30+
 * are left out (kube-proxy omits them when it cannot create the nfacct counters, and
 * iptables-restore cannot load them without those kernel objects).
 */
import { portProtoHash, endpointHash } from '../../../bench/gen-dump.js';
import type { KubeObject } from '../../../src/snapshot/schema.js';
import { hostPort, proxyEndpoints, staleProxyEndpoints, type ProxyEndpoint } from './endpoint-slices.js';
import { kubeProxyProbability, type Ruleset, type Table } from './iptables-text.js';
import { cidrContains } from './net.js';
import {
  healthCheckNodePortOf, servicePortName,
  type ClusterSpec, type NodeSpec, type ServicePortSpec, type ServiceSpec, type StaleEndpoint,
} from './spec.js';

/** What one node's kube-proxy runs with: the ConfigMap, overridden by the node's knobs. */
export interface KubeProxySettings {
  /** The node name kube-proxy believes it has (endpoint locality). */
  nodeName: string;
  /** The masquerade mark as kube-proxy writes it (`%#08x`, e.g. 0x004000). */
  mark: string;
  nodePortAddresses: string[] | null;
  /** After NewProxier's check: off unless the NodePort addresses include 127.0.0.1. */
  localhostNodePorts: boolean;
  masqueradeAll: boolean;
  ctInvalidDrop: boolean;
  noMasqueradeRule: boolean;
  missingNodePort: true | string[] | undefined;
}

export function kubeProxySettings(spec: ClusterSpec, node: NodeSpec): KubeProxySettings {
  const k = node.kubeProxy ?? {};
  const bit = k.masqueradeBit ?? spec.kubeProxy.masqueradeBit;
  const nodePortAddresses = 'nodePortAddresses' in k ? k.nodePortAddresses ?? null : spec.kubeProxy.nodePortAddresses;
  const v4 = (nodePortAddresses ?? []).filter((c) => !c.includes(':'));
  const matchAll = v4.length === 0 || v4.some((c) => c.endsWith('/0'));
  const tcpBeLiberal = node.sysctls?.tcpBeLiberal ?? spec.kubeProxy.tcpBeLiberal;
  return {
    nodeName: k.hostnameOverride ?? node.name,
    mark: `0x${(2 ** bit).toString(16).padStart(6, '0')}`,
    nodePortAddresses: matchAll ? null : v4,
    localhostNodePorts: (k.localhostNodePorts ?? spec.kubeProxy.localhostNodePorts) && (matchAll || v4.some((c) => cidrContains(c, '127.0.0.1'))),
    masqueradeAll: spec.kubeProxy.masqueradeAll,
    ctInvalidDrop: k.ctInvalidDrop ?? !tcpBeLiberal,
    noMasqueradeRule: k.noMasqueradeRule === true,
    missingNodePort: k.missingNodePort,
  };
}

export interface KubeProxyInput {
  spec: ClusterSpec;
  settings: KubeProxySettings;
  /** The Services' EndpointSlices, keyed `ns/name`. */
  slices: Map<string, KubeObject[]>;
  /** The endpoints the rules were written from when they differ from the slices. */
  staleEndpoints?: Record<string, StaleEndpoint[]>;
  /** The node's IPv4 addresses in interface order (for --nodeport-addresses). */
  localAddresses: string[];
  /** The node's primary address (a LoadBalancer source range holding it admits the VIPs as sources). */
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

  const ports = input.spec.services
    .filter((s) => s.clusterIP !== 'None' && s.clusterIP !== '')
    .flatMap((svc) => svc.ports.map((port) => ({ svc, port, name: servicePortName(svc, port) })))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const { svc, port, name } of ports) {
    const slices = input.slices.get(`${svc.namespace}/${svc.name}`) ?? [];
    const current = proxyEndpoints(slices, port);
    const endpoints = staleProxyEndpoints(input.staleEndpoints, svc, port, current) ?? current;
    writeServicePort(nat, filter, input, svc, port, name, endpoints);
  }

  const tail = '-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain"';
  if (settings.nodePortAddresses === null) {
    nat.append('KUBE-SERVICES', `${tail} -m addrtype --dst-type LOCAL${settings.localhostNodePorts ? '' : ' ! -d 127.0.0.0/8'} -j KUBE-NODEPORTS`);
  } else {
    const cidrs = settings.nodePortAddresses;
    for (const ip of input.localAddresses.filter((a) => cidrs.some((c) => cidrContains(c, a)))) {
      // "--nodeport-addresses includes localhost but --iptables-localhost-nodeports=false was passed"
      if (ip.startsWith('127.') && !settings.localhostNodePorts) continue;
      nat.append('KUBE-SERVICES', `${tail} -d ${ip} -j KUBE-NODEPORTS`);
    }
  }

  if (settings.ctInvalidDrop) filter.append('KUBE-FORWARD', '-m conntrack --ctstate INVALID -j DROP');
  filter.append('KUBE-FORWARD', `-m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`);
  filter.append('KUBE-FORWARD', '-m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
}

interface Categorized {
  cluster: ProxyEndpoint[];
  local: ProxyEndpoint[];
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
  const all = new Map<string, ProxyEndpoint>();
  for (const e of [...cluster, ...local]) all.set(hostPort(e), e);
  return { cluster, local, all: [...all.values()], hasAny };
}

function writeServicePort(nat: Table, filter: Table, input: KubeProxyInput, svc: ServiceSpec, port: ServicePortSpec, name: string, endpoints: ProxyEndpoint[]): void {
  const { settings, spec } = input;
  const proto = (port.protocol ?? 'TCP').toLowerCase();
  const hash = portProtoHash(name, proto);
  const svcChain = `KUBE-SVC-${hash}`;
  const svlChain = `KUBE-SVL-${hash}`;
  const extChain = `KUBE-EXT-${hash}`;
  const fwChain = `KUBE-FW-${hash}`;
  const sepChain = (e: ProxyEndpoint): string => `KUBE-SEP-${endpointHash(name, proto, hostPort(e))}`;

  const lbVips = svc.type === 'LoadBalancer' ? svc.loadBalancerIngress ?? [] : [];
  const externalIPs = svc.externalIPs ?? [];
  const nodePort = svc.type === 'ClusterIP' ? 0 : port.nodePort ?? 0;
  const externallyAccessible = nodePort !== 0 || lbVips.length > 0 || externalIPs.length > 0;
  const internalLocal = svc.internalTrafficPolicy === 'Local';
  const externalLocal = externallyAccessible && svc.type !== 'ClusterIP' && svc.externalTrafficPolicy === 'Local';
  // Even with externalTrafficPolicy Local the cluster endpoints are needed for short-circuiting.
  const usesClusterEndpoints = !internalLocal || externallyAccessible;
  const usesLocalEndpoints = internalLocal || externalLocal;
  const eps = categorize(endpoints, usesClusterEndpoints, usesLocalEndpoints, settings.nodeName);
  const hasEndpoints = eps.hasAny;

  const usesClusterPolicyChain = eps.cluster.length > 0 && usesClusterEndpoints;
  const usesLocalPolicyChain = eps.local.length > 0 && usesLocalEndpoints;
  const internalTrafficChain = internalLocal ? svlChain : svcChain;
  const hasInternalEndpoints = hasEndpoints && (!internalLocal || eps.local.length > 0);
  const externalPolicyChain = externalLocal ? svlChain : svcChain;
  const hasExternalEndpoints = hasEndpoints && (!externalLocal || eps.local.length > 0);
  const usesExternalTrafficChain = hasEndpoints && externallyAccessible;
  const sourceRanges = svc.loadBalancerSourceRanges ?? [];
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
  if (hasInternalEndpoints) nat.append('KUBE-SERVICES', `-m comment --comment "${name} cluster IP" ${match(svc.clusterIP, port.port)} -j ${internalTrafficChain}`);
  else filter.append('KUBE-SERVICES', `-m comment --comment ${internalFilter.comment} ${match(svc.clusterIP, port.port)} -j ${internalFilter.target}`);

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
    const missing = settings.missingNodePort === true || (settings.missingNodePort ?? []).includes(`${svc.namespace}/${svc.name}`);
    if (hasEndpoints && !missing) nat.append('KUBE-NODEPORTS', `-m comment --comment ${name} -m ${proto} -p ${proto} --dport ${nodePort} -j ${extChain}`);
    if (!hasExternalEndpoints) {
      filter.append('KUBE-EXTERNAL-SERVICES', `-m comment --comment ${externalFilter.comment} -m addrtype --dst-type LOCAL -m ${proto} -p ${proto} --dport ${nodePort} -j ${externalFilter.target}`);
    }
  }
  const hc = healthCheckNodePortOf(spec, svc);
  if (hc !== 0) filter.append('KUBE-NODEPORTS', `-m comment --comment "${name} health check node port" -m tcp -p tcp --dport ${hc} -j ACCEPT`);

  // Internal traffic: masquerade what does not come from a pod.
  if (hasInternalEndpoints) {
    const args = `-m comment --comment "${name} cluster IP" ${match(svc.clusterIP, port.port)}`;
    if (settings.masqueradeAll) nat.append(internalTrafficChain, `${args} -j KUBE-MARK-MASQ`);
    else nat.append(internalTrafficChain, `${args} ! -s ${spec.clusterCIDR} -j KUBE-MARK-MASQ`);
  }

  if (usesExternalTrafficChain) {
    if (!externalLocal) {
      nat.append(extChain, `-m comment --comment "masquerade traffic for ${name} external destinations" -j KUBE-MARK-MASQ`);
    } else {
      nat.append(extChain, `-m comment --comment "pod traffic for ${name} external destinations" -s ${spec.clusterCIDR} -j ${svcChain}`);
      nat.append(extChain, `-m comment --comment "masquerade LOCAL traffic for ${name} external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`);
      nat.append(extChain, `-m comment --comment "route LOCAL traffic for ${name} external destinations" -m addrtype --src-type LOCAL -j ${svcChain}`);
    }
    if (hasExternalEndpoints) nat.append(extChain, `-j ${externalPolicyChain}`);
  }

  if (usesFWChain) {
    const args = `-m comment --comment "${name} loadbalancer IP"`;
    for (const cidr of sourceRanges) nat.append(fwChain, `${args} -s ${cidr} -j ${extChain}`);
    if (sourceRanges.some((c) => cidrContains(c, input.nodeIP))) for (const ip of lbVips) nat.append(fwChain, `${args} -s ${ip} -j ${extChain}`);
    nat.append(fwChain, `-m comment --comment "other traffic to ${name} will be dropped by KUBE-PROXY-FIREWALL"`);
  }

  const affinity = svc.sessionAffinity === 'ClientIP';
  const seconds = svc.sessionAffinityTimeoutSeconds ?? 10800;
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

  for (const e of [...eps.all].sort((a, b) => (hostPort(a) < hostPort(b) ? -1 : 1))) {
    const chain = sepChain(e);
    nat.declare(chain);
    nat.append(chain, `-m comment --comment ${name} -s ${e.ip} -j KUBE-MARK-MASQ`);
    nat.append(chain, `-m comment --comment ${name}${affinity ? ` -m recent --name ${chain} --set` : ''} -m ${proto} -p ${proto} -j DNAT --to-destination ${hostPort(e)}`);
  }
}
