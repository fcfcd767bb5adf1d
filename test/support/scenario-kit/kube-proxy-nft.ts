/**
 * The `table ip kube-proxy` kube-proxy v1.33, v1.34 or v1.37 in nftables mode writes on one node: the
 * transaction of its first (full) sync, in its own words (pkg/proxy/nftables/proxier.go
 * setupNFTables and syncProxyRules; reference kube-proxy-dataplane.md §3), for the same
 * per-service-port plan as the iptables rules (kube-proxy-rules.ts servicePortPlans:
 * CategorizeEndpoints, has-endpoints and traffic-policy decisions).
 *
 * Layouts. v1.33 (proxier.go with filterOutputPostDNATChain): filter-prerouting, filter-input,
 * filter-forward, filter-output at dstnat-10 (-110), filter-output-post-dnat at dstnat+10 (-90);
 * the ClusterIP masquerade rule is `ip daddr CIP <proto> dport P ip saddr != <clusterCIDR>`.
 * v1.34 (PR kubernetes#132456, CHANGELOG-1.34; proxier_test.go baseRules): filter-prerouting-pre-dnat
 * and filter-output-pre-dnat at -110, filter-input / -forward / -output at 0; the masquerade rule
 * is `ip daddr CIP ip saddr != <clusterCIDR>` (PR #131492). nat-prerouting / nat-output (-100) and
 * nat-postrouting (100) in both. v1.37 (read from the real v1.37.2 by test/k8s/kit-vs-real.test.ts):
 * v1.34's chains, masquerading and DNAT reworked (Layout.inlineMasquerade, singleEndpointDnat).
 *
 * Dual-stack: the IPv6 proxier writes `table ip6 kube-proxy` with the same names, ipv6_addr sets,
 * `ip6 daddr`/`ip6 saddr`, and `ip6 daddr != ::1` where IPv4 excludes 127.0.0.0/8 (proxier.go
 * ipX / ipvX_addr / noLocalhost).
 *
 * Differences from a live kube-proxy, invisible in what nft lists: services are written in
 * service-port-name order and the endpoint union of a Local-policy service sorted by "ip:port"
 * (kube-proxy ranges over Go maps), and handles are those of the first sync (later syncs renumber
 * the rules they rewrite).
 */
import type { ProxyEndpoint } from './endpoint-slices.js';
import { hashAndTruncate } from './kube-proxy-names.js';
import { nodePortMissing, servicePortPlans, type KubeProxyInput, type ServicePortPlan } from './kube-proxy-rules.js';
import { key, nft, NftTransaction, type NftAddrProto, type NftBaseChain, type NftTableSpec } from './nft-model.js';
import { inCidr } from './net.js';
import { clusterCIDROf, type NftablesLayout } from './spec.js';

/** servicePortChainNameBase: `HASH-ns/svc/proto/portName` (portName empty for an unnamed port). */
const chainBase = (plan: ServicePortPlan): string => hashAndTruncate(`${plan.svc.namespace}/${plan.svc.name}/${plan.proto}/${plan.port.name ?? ''}`);

/** servicePortEndpointChainNameBase: `HASH-ns/svc/proto/portName__ip/port`, an IPv6 address's colons as dots (a chain name cannot hold them). */
const endpointBase = (plan: ServicePortPlan, e: ProxyEndpoint): string =>
  hashAndTruncate(`${plan.svc.namespace}/${plan.svc.name}/${plan.proto}/${plan.port.name ?? ''}__${e.ip.replaceAll(':', '.')}/${e.port}`);

const base = (type: NftBaseChain['type'], hook: NftBaseChain['hook'], prio: number): NftBaseChain => ({ type, hook, prio, prioText: String(prio) });

interface Layout {
  baseChains: [string, NftBaseChain][];
  /** nftablesJumpChains: [destination, source, with `ct state new`]. */
  jumps: [string, string, boolean][];
  /** The ClusterIP masquerade rule matches the port too. */
  masqueradeMatchesPort: boolean;
  /**
   * v1.37 (v1.36 too): rules set the masquerade mark themselves (no mark-for-masquerade chain);
   * one rule in `services` marks ClusterIP traffic from outside the cluster, instead of one per
   * service chain; hairpin traffic is masqueraded in `masquerading` for the connections in the
   * hairpin-connections set (every local endpoint: ip . ip . proto . port), instead of by a rule
   * per endpoint chain; endpoint chains exist only for ClientIP affinity, otherwise the service
   * chain DNATs through a numgen map; the localhost-NodePort reject map, chains and counters
   * (feature gate KubeProxyNFTablesLocalhostNodePorts, alpha, off) are added and deleted again.
   */
  inlineMasquerade: boolean;
  /** v1.37: a service chain with one endpoint DNATs to it plainly, without a numgen map. */
  singleEndpointDnat: boolean;
}

const V134_BASE_CHAINS: [string, NftBaseChain][] = [
  ['filter-prerouting-pre-dnat', base('filter', 'prerouting', -110)],
  ['filter-output-pre-dnat', base('filter', 'output', -110)],
  ['filter-input', base('filter', 'input', 0)],
  ['filter-forward', base('filter', 'forward', 0)],
  ['filter-output', base('filter', 'output', 0)],
  ['nat-prerouting', base('nat', 'prerouting', -100)],
  ['nat-output', base('nat', 'output', -100)],
  ['nat-postrouting', base('nat', 'postrouting', 100)],
];

const V134_JUMPS: [string, string, boolean][] = [
  ['nodeport-endpoints-check', 'filter-input', true],
  ['service-endpoints-check', 'filter-input', true],
  ['service-endpoints-check', 'filter-forward', true],
  ['service-endpoints-check', 'filter-output', true],
  ['firewall-check', 'filter-prerouting-pre-dnat', true],
  ['firewall-check', 'filter-output-pre-dnat', true],
  ['services', 'nat-output', false],
  ['services', 'nat-prerouting', false],
  ['masquerading', 'nat-postrouting', false],
  ['cluster-ips-check', 'filter-forward', true],
  ['cluster-ips-check', 'filter-output', true],
];

const LAYOUTS: Record<NftablesLayout, Layout> = {
  'v1.33': {
    baseChains: [
      ['filter-prerouting', base('filter', 'prerouting', -110)],
      ['filter-input', base('filter', 'input', -110)],
      ['filter-forward', base('filter', 'forward', -110)],
      ['filter-output', base('filter', 'output', -110)],
      ['filter-output-post-dnat', base('filter', 'output', -90)],
      ['nat-prerouting', base('nat', 'prerouting', -100)],
      ['nat-output', base('nat', 'output', -100)],
      ['nat-postrouting', base('nat', 'postrouting', 100)],
    ],
    jumps: [
      ['nodeport-endpoints-check', 'filter-input', true],
      ['service-endpoints-check', 'filter-input', true],
      ['service-endpoints-check', 'filter-forward', true],
      ['service-endpoints-check', 'filter-output', true],
      ['firewall-check', 'filter-prerouting', true],
      ['firewall-check', 'filter-output', true],
      ['services', 'nat-output', false],
      ['services', 'nat-prerouting', false],
      ['masquerading', 'nat-postrouting', false],
      ['cluster-ips-check', 'filter-forward', true],
      ['cluster-ips-check', 'filter-output-post-dnat', true],
    ],
    masqueradeMatchesPort: true,
    inlineMasquerade: false,
    singleEndpointDnat: false,
  },
  'v1.34': { baseChains: V134_BASE_CHAINS, jumps: V134_JUMPS, masqueradeMatchesPort: false, inlineMasquerade: false, singleEndpointDnat: false },
  'v1.37': { baseChains: V134_BASE_CHAINS, jumps: V134_JUMPS, masqueradeMatchesPort: false, inlineMasquerade: true, singleEndpointDnat: true },
};

const CONTAINERS: [string, boolean][] = [
  ['cluster-ips', false], ['service-ips', true], ['firewall-ips', true], ['no-endpoint-services', true], ['no-endpoint-nodeports', true], ['service-nodeports', true],
];

/** The words of one family's table: `ip`/`ip6`, ipv4_addr/ipv6_addr, the loopback NodePorts never answer on. */
interface FamilyWords {
  ipX: NftAddrProto;
  addr: string;
  loopback: string;
}

const familyWords = (input: KubeProxyInput): FamilyWords =>
  (input.settings.family === 6 ? { ipX: 'ip6', addr: 'ipv6_addr', loopback: '::1' } : { ipX: 'ip', addr: 'ipv4_addr', loopback: '127.0.0.0/8' });

/** kube-proxy's `table ip kube-proxy` (`table ip6 kube-proxy` for the IPv6 proxier) for one node: the commands of its first full sync. */
export function kubeProxyNftTable(input: KubeProxyInput): NftTableSpec {
  const { settings, spec } = input;
  const layout = LAYOUTS[settings.nftablesLayout];
  const { ipX, addr, loopback } = familyWords(input);
  const tx = new NftTransaction(ipX, 'kube-proxy');
  const created = new Set<string>();
  // ensureChain: add and flush a chain once per transaction.
  const ensureChain = (name: string): void => {
    if (created.has(name)) return;
    created.add(name);
    tx.addChain(name).flushChain(name);
  };
  const mark = settings.mark;
  const matchAll = settings.nodePortAddresses === null;

  // setupNFTables
  tx.addTable('rules for kube-proxy');
  // The first sync deletes whatever base chains an earlier kube-proxy left (their priorities may differ).
  for (const [name] of layout.baseChains) tx.addChain(name).deleteChain(name);
  for (const [name, hook] of layout.baseChains) tx.addChain(name, { base: hook }).flushChain(name);
  for (const [dst, src, ctNew] of layout.jumps) {
    ensureChain(dst);
    tx.addRule(src, [...(ctNew ? [nft.ctState('new')] : []), nft.jump(dst)]);
  }
  if (!layout.inlineMasquerade) {
    for (const c of ['services', 'cluster-ips-check', 'masquerading', 'mark-for-masquerade']) ensureChain(c);
    tx.addRule('mark-for-masquerade', [nft.markSet('or', mark)]);
    tx.addRule('masquerading', [nft.markAndIsZero(mark), nft.return()]);
    tx.addRule('masquerading', [nft.markSet('xor', mark)]);
    if (!settings.noMasqueradeRule) tx.addRule('masquerading', [nft.masquerade(true)]);
  } else {
    for (const c of ['services', 'cluster-ips-check', 'masquerading']) ensureChain(c);
    tx.addSet('hairpin-connections', { type: [addr, addr, 'inet_proto', 'inet_service'], comment: 'service hairpin connections' });
    // noMasqueradeRule: the mark is still cleared, nothing is masqueraded.
    tx.addRule('masquerading', [nft.markAndIsNotZero(mark), nft.markSet('xor', mark), ...(settings.noMasqueradeRule ? [] : [nft.masquerade(true)])]);
    if (!settings.noMasqueradeRule) tx.addRule('masquerading', [nft.ctStatus('dnat'), nft.connectionInSet('hairpin-connections', ipX), nft.masquerade(true)]);
  }

  tx.addSet('cluster-ips', { type: [addr], comment: 'Active ClusterIPs' });
  tx.addRule('cluster-ips-check', [nft.ip('daddr', '@cluster-ips', false, ipX), nft.reject(ipX)], 'Reject traffic to invalid ports of ClusterIPs');
  // The ServiceCIDRs of its family kube-proxy watches (the default one: --service-cluster-ip-range).
  const serviceCIDR = settings.family === 6 ? spec.ipv6?.serviceCIDR ?? '' : spec.serviceCIDR;
  tx.addRule('cluster-ips-check', [nft.ipSet('daddr', [serviceCIDR], false, ipX), nft.drop()], 'Drop traffic to unallocated ClusterIPs');

  tx.addSet('nodeport-ips', { type: [addr], comment: 'IPs that accept NodePort traffic' });
  if (matchAll) {
    tx.deleteSet('nodeport-ips');
  } else {
    tx.flushSet('nodeport-ips');
    const cidrs = settings.nodePortAddresses ?? [];
    // "--nodeport-addresses includes localhost but localhost NodePorts are not supported"
    for (const ip of input.localAddresses.filter((a) => cidrs.some((c) => inCidr(c, a)) && !a.startsWith('127.') && a !== '::1')) tx.addElement('nodeport-ips', [key.addr(ip)]);
  }

  const endpointVerdictMap = (name: string, withIp: boolean, comment: string): void => {
    tx.addSet(name, { type: [...(withIp ? [addr] : []), 'inet_proto', 'inet_service'], map: true, comment });
  };
  endpointVerdictMap('no-endpoint-services', true, 'vmap to drop or reject packets to services with no endpoints');
  endpointVerdictMap('no-endpoint-nodeports', false, 'vmap to drop or reject packets to service nodeports with no endpoints');
  tx.addChain('reject-chain', { comment: 'helper for @no-endpoint-services / @no-endpoint-nodeports' }).flushChain('reject-chain');
  tx.addRule('reject-chain', [nft.reject(ipX)]);
  tx.addRule('service-endpoints-check', [nft.vmapDispatch(true, 'no-endpoint-services', ipX)]);
  tx.addRule('nodeport-endpoints-check', [matchAll ? nft.ip('daddr', loopback, true, ipX) : nft.ip('daddr', '@nodeport-ips', false, ipX), nft.vmapDispatch(false, 'no-endpoint-nodeports')]);
  if (layout.inlineMasquerade) {
    // Localhost NodePorts (gate KubeProxyNFTablesLocalhostNodePorts, off): the reject map, and a
    // chain and a named counter per protocol, are made sure not to exist (added, then deleted).
    tx.addSet('localhost-nodeport-reject-ports', { type: ['inet_proto', 'inet_service'], map: true, comment: 'localhost NodePorts rejected by kube-proxy' });
    tx.deleteSet('localhost-nodeport-reject-ports', true);
    for (const proto of ['tcp', 'udp', 'sctp']) {
      tx.addChain(`localhost-nodeport-reject-${proto}`).deleteChain(`localhost-nodeport-reject-${proto}`);
      tx.addCounter(`localhost-nodeport-rejected-${proto}`).deleteCounter(`localhost-nodeport-rejected-${proto}`);
    }
  }

  endpointVerdictMap('firewall-ips', true, 'destinations that are subject to LoadBalancerSourceRanges');
  ensureChain('firewall-check');
  tx.addRule('firewall-check', [nft.vmapDispatch(true, 'firewall-ips', ipX)]);

  endpointVerdictMap('service-ips', true, 'ClusterIP, ExternalIP and LoadBalancer IP traffic');
  endpointVerdictMap('service-nodeports', false, 'NodePort traffic');
  if (layout.inlineMasquerade) {
    // Masquerade ClusterIP traffic that does not come from a pod (or all of it): once, for every ClusterIP.
    if (settings.masqueradeAll) tx.addRule('services', [nft.ip('daddr', '@cluster-ips', false, ipX), nft.markSet('or', mark)], 'masquerade all clusterIP traffic');
    else tx.addRule('services', [nft.ip('daddr', '@cluster-ips', false, ipX), nft.ip('saddr', clusterCIDROf(spec, settings.family), true, ipX), nft.markSet('or', mark)], 'masquerade clusterIP traffic from outside cluster');
  }
  tx.addRule('services', [nft.vmapDispatch(true, 'service-ips', ipX)]);
  tx.addRule('services', matchAll
    ? [nft.fibTypeLocal('daddr'), nft.ip('daddr', loopback, true, ipX), nft.vmapDispatch(false, 'service-nodeports')]
    : [nft.ip('daddr', '@nodeport-ips', false, ipX), nft.vmapDispatch(false, 'service-nodeports')]);
  for (const [name, map] of CONTAINERS) tx.flushSet(name, map);
  if (layout.inlineMasquerade) tx.flushSet('hairpin-connections');

  // syncProxyRules, one service port at a time
  const hairpins = new Set<string>();
  const hairpin = (e: ProxyEndpoint, proto: string): void => {
    const id = `${e.ip}/${proto}/${e.port}`;
    if (hairpins.has(id)) return;
    hairpins.add(id);
    tx.addElement('hairpin-connections', [key.addr(e.ip), key.addr(e.ip), key.proto(proto), key.port(e.port)]);
  };
  for (const plan of servicePortPlans(input)) writeServicePort(tx, ensureChain, hairpin, input, layout, plan);
  return tx.spec;
}

function writeServicePort(
  tx: NftTransaction, ensureChain: (name: string) => void, hairpin: (e: ProxyEndpoint, proto: string) => void,
  input: KubeProxyInput, layout: Layout, plan: ServicePortPlan,
): void {
  const { settings, spec } = input;
  const { port, clusterIP, name, proto, eps, lbVips, externalIPs, nodePort, sourceRanges, hasEndpoints } = plan;
  const { svc } = plan;
  const { ipX, addr } = familyWords(input);
  const clusterCIDR = clusterCIDROf(spec, settings.family);
  const chainName = chainBase(plan);
  const clusterPolicyChain = `service-${chainName}`;
  const localPolicyChain = `local-${chainName}`;
  const externalTrafficChain = `external-${chainName}`;
  const fwChain = `firewall-${chainName}`;
  const endpointChain = (e: ProxyEndpoint): string => `endpoint-${endpointBase(plan, e)}`;
  const affinitySet = (e: ProxyEndpoint): string => `affinity-${endpointBase(plan, e)}`;

  // Endpoint chains: every endpoint's, or (v1.37) only with affinity; v1.37 records local endpoints as hairpin connections.
  for (const e of eps.all) {
    if (!layout.inlineMasquerade || plan.affinity) ensureChain(endpointChain(e));
    if (layout.inlineMasquerade && e.node === settings.nodeName) hairpin(e, proto);
  }
  if (plan.usesClusterPolicyChain) ensureChain(clusterPolicyChain);
  if (plan.usesLocalPolicyChain) ensureChain(localPolicyChain);
  const internalTrafficChain = plan.internalLocal ? localPolicyChain : clusterPolicyChain;
  const externalPolicyChain = plan.externalLocal ? localPolicyChain : clusterPolicyChain;
  if (plan.usesExternalTrafficChain) ensureChain(externalTrafficChain);

  // No endpoints at all: reject; no endpoints for this kind of traffic (a Local policy): drop.
  const internalVerdict = !hasEndpoints ? nft.goto('reject-chain') : nft.drop();
  const externalVerdict = internalVerdict;
  const vip = (ip: string, p: number) => [key.addr(ip), key.proto(proto), key.port(p)];
  const np = (p: number) => [key.proto(proto), key.port(p)];

  tx.addElement('cluster-ips', [key.addr(clusterIP)]);
  if (plan.hasInternalEndpoints) tx.addElement('service-ips', vip(clusterIP, port.port), { value: nft.goto(internalTrafficChain) });
  else tx.addElement('no-endpoint-services', vip(clusterIP, port.port), { value: internalVerdict, comment: name });

  for (const ip of externalIPs) {
    if (hasEndpoints) tx.addElement('service-ips', vip(ip, port.port), { value: nft.goto(externalTrafficChain) });
    if (!plan.hasExternalEndpoints) tx.addElement('no-endpoint-services', vip(ip, port.port), { value: externalVerdict, comment: name });
  }

  // Unlike iptables mode, the firewall chain does not wait for endpoints.
  const usesFWChain = lbVips.length > 0 && sourceRanges.length > 0;
  if (usesFWChain) ensureChain(fwChain);
  for (const ip of lbVips) {
    if (hasEndpoints) tx.addElement('service-ips', vip(ip, port.port), { value: nft.goto(externalTrafficChain) });
    if (usesFWChain) tx.addElement('firewall-ips', vip(ip, port.port), { value: nft.goto(fwChain) });
  }
  if (!plan.hasExternalEndpoints) {
    for (const ip of lbVips) tx.addElement('no-endpoint-services', vip(ip, port.port), { value: externalVerdict, comment: name });
  }

  if (nodePort !== 0) {
    if (hasEndpoints && !nodePortMissing(settings, svc)) tx.addElement('service-nodeports', np(nodePort), { value: nft.goto(externalTrafficChain) });
    if (!plan.hasExternalEndpoints) tx.addElement('no-endpoint-nodeports', np(nodePort), { value: externalVerdict, comment: name });
  }

  const markMasquerade = layout.inlineMasquerade ? nft.markSet('or', settings.mark) : nft.jump('mark-for-masquerade');

  // Internal traffic: masquerade what does not come from a pod (v1.37: one rule in `services` for all).
  if (plan.hasInternalEndpoints && !layout.inlineMasquerade) {
    const target = [nft.ip('daddr', clusterIP, false, ipX), ...(layout.masqueradeMatchesPort ? [nft.dport(proto, port.port)] : [])];
    if (settings.masqueradeAll) tx.addRule(internalTrafficChain, [...target, nft.jump('mark-for-masquerade')]);
    else tx.addRule(internalTrafficChain, [...target, nft.ip('saddr', clusterCIDR, true, ipX), nft.jump('mark-for-masquerade')]);
  }

  if (plan.usesExternalTrafficChain) {
    if (!plan.externalLocal) {
      tx.addRule(externalTrafficChain, [markMasquerade], layout.inlineMasquerade ? 'masquerade' : undefined);
    } else {
      tx.addRule(externalTrafficChain, [nft.ip('saddr', clusterCIDR, false, ipX), nft.goto(clusterPolicyChain)], 'short-circuit pod traffic');
      tx.addRule(externalTrafficChain, [nft.fibTypeLocal('saddr'), markMasquerade], 'masquerade local traffic');
      tx.addRule(externalTrafficChain, [nft.fibTypeLocal('saddr'), nft.goto(clusterPolicyChain)], 'short-circuit local traffic');
    }
    if (plan.hasExternalEndpoints) tx.addRule(externalTrafficChain, [nft.goto(externalPolicyChain)]);
  }

  if (usesFWChain) {
    const sources = [...sourceRanges];
    if (sourceRanges.some((c) => inCidr(c, input.nodeIP))) sources.push(...lbVips);
    tx.addRule(fwChain, [nft.ipSet('saddr', sources, true, ipX), nft.drop()]);
  }

  if (plan.affinity) {
    for (const e of eps.all) tx.addSet(affinitySet(e), { type: [addr], flags: ['dynamic', 'timeout'], timeout: plan.affinitySeconds });
  }

  const toEndpoints = (chain: string, endpoints: ProxyEndpoint[]): void => {
    if (layout.inlineMasquerade && !plan.affinity) {
      // v1.37: the service chain DNATs itself.
      tx.addRule(chain, [layout.singleEndpointDnat && endpoints.length === 1 ? nft.dnat(proto, endpoints[0]!.ip, endpoints[0]!.port) : nft.dnatNumgenMap(proto, endpoints, ipX)]);
      return;
    }
    if (plan.affinity) for (const e of endpoints) tx.addRule(chain, [nft.ip('saddr', `@${affinitySet(e)}`, false, ipX), nft.goto(endpointChain(e))]);
    tx.addRule(chain, [nft.numgenVmap(endpoints.map(endpointChain))]);
  };
  if (plan.usesClusterPolicyChain) toEndpoints(clusterPolicyChain, eps.cluster);
  if (plan.usesLocalPolicyChain) toEndpoints(localPolicyChain, eps.local);

  if (layout.inlineMasquerade && !plan.affinity) return;
  for (const e of eps.all) {
    const chain = endpointChain(e);
    // Hairpin: a pod reaching itself through the service (v1.37: the hairpin-connections set instead).
    if (!layout.inlineMasquerade) tx.addRule(chain, [nft.ip('saddr', e.ip, false, ipX), nft.jump('mark-for-masquerade')]);
    if (plan.affinity) tx.addRule(chain, [nft.updateSaddr(affinitySet(e), ipX)]);
    tx.addRule(chain, [nft.dnat(proto, e.ip, e.port)]);
  }
}
