/**
 * Native nftables rule texts (`nft -f` input) for the nft kernel scenarios, in the shapes the real
 * writers produce:
 *
 *   - kube-proxy's nftables mode (pkg/proxy/nftables/proxier.go; reference kube-proxy-dataplane.md
 *     §3): `table ip kube-proxy` (the IPv6 proxier's `table ip6 kube-proxy` with `family: 'ip6'`), in the ≤ v1.33 base-chain layout or the v1.34+ one, with kube-proxy's
 *     real chain names (`service-ULMVA6XW-ns/svc/tcp/port`, hashed as hashAndTruncate does), maps,
 *     element comments and per-service rules, written as knftables writes a transaction.
 *   - a firewalld-like `table inet firewalld` (firewalld's nftables backend: zone dispatch chains,
 *     `ct state established,related accept`, `iifname "lo" accept`, `reject with icmpx
 *     admin-prohibited` for what the zone does not allow).
 *
 * Scenarios describe services (ports, endpoints, traffic policy); this file turns them into rules.
 */
import { hashAndTruncate } from '../../support/scenario-kit/kube-proxy-names.js';

// ---------------------------------------------------------------------------------------------
// kube-proxy (nftables mode)

/** ≤ v1.33: every filter chain at dstnat-10 (-110). v1.34+ (kubernetes#132456): filter at 0. */
export type KubeProxyLayout = 'v1.33' | 'v1.34';

export interface NftEndpoint {
  ip: string;
  port: number;
  /** On the node these rules are for (eTP=Local uses only these). */
  local: boolean;
}

export interface NftServicePort {
  namespace: string;
  name: string;
  /** The Service port's name (`http`): part of every chain name and comment. */
  portName: string;
  proto: 'tcp' | 'udp';
  clusterIp: string;
  port: number;
  nodePort?: number;
  externalTrafficPolicy?: 'Cluster' | 'Local';
  /** sessionAffinity ClientIP: its timeout (s); absent: None. */
  affinitySeconds?: number;
  endpoints: NftEndpoint[];
}

export interface KubeProxyNftOptions {
  layout: KubeProxyLayout;
  services: NftServicePort[];
  /** --nodeport-addresses resolved to this node's IPs (the `nodeport-ips` set). Absent: match-all
   *  (`fib daddr type local ip daddr != 127.0.0.0/8`). */
  nodePortIps?: string[];
  /** The local-traffic detector's cluster CIDR (detect-local-mode ClusterCIDR). */
  clusterCidr?: string;
  /** The service CIDR (`cluster-ips-check` drops unallocated ClusterIPs in it). */
  serviceCidr?: string;
  /**
   * `ip6`: the IPv6 proxier's `table ip6 kube-proxy` (ipv6_addr sets, `ip6 daddr`, NodePorts never
   * on ::1; proxier.go ipX / ipvX_addr / noLocalhost); its defaults CIDRs fd00:244::/48 and fd00:96::/112.
   */
  family?: 'ip' | 'ip6';
}

const portBase = (s: NftServicePort): string => `${s.namespace}/${s.name}/${s.proto}/${s.portName}`;

/** kube-proxy's chain names for a service port (servicePortChainNameBase / servicePortEndpointChainNameBase). */
/** An endpoint's chain and affinity-set name base; an IPv6 endpoint's colons become dots, as a name cannot hold them. */
const endpointBase = (s: NftServicePort, e: { ip: string; port: number }): string => `${portBase(s)}__${e.ip.replaceAll(':', '.')}/${e.port}`;

export const kpChain = {
  service: (s: NftServicePort): string => `service-${hashAndTruncate(portBase(s))}`,
  local: (s: NftServicePort): string => `local-${hashAndTruncate(portBase(s))}`,
  external: (s: NftServicePort): string => `external-${hashAndTruncate(portBase(s))}`,
  endpoint: (s: NftServicePort, e: { ip: string; port: number }): string => `endpoint-${hashAndTruncate(endpointBase(s, e))}`,
  /** The endpoint's affinity set (ClientIP): the endpoint chain's name base. */
  affinity: (s: NftServicePort, e: { ip: string; port: number }): string => `affinity-${hashAndTruncate(endpointBase(s, e))}`,
};

/** ServicePortName.String(): `ns/name:port`, the element comments. */
export const svcPortName = (s: NftServicePort): string => `${s.namespace}/${s.name}:${s.portName}`;

interface BaseChain {
  name: string;
  type: 'filter' | 'nat';
  hook: string;
  priority: number;
}

const BASE_CHAINS: Record<KubeProxyLayout, BaseChain[]> = {
  'v1.33': [
    { name: 'filter-prerouting', type: 'filter', hook: 'prerouting', priority: -110 },
    { name: 'filter-input', type: 'filter', hook: 'input', priority: -110 },
    { name: 'filter-forward', type: 'filter', hook: 'forward', priority: -110 },
    { name: 'filter-output', type: 'filter', hook: 'output', priority: -110 },
    { name: 'filter-output-post-dnat', type: 'filter', hook: 'output', priority: -90 },
    { name: 'nat-prerouting', type: 'nat', hook: 'prerouting', priority: -100 },
    { name: 'nat-output', type: 'nat', hook: 'output', priority: -100 },
    { name: 'nat-postrouting', type: 'nat', hook: 'postrouting', priority: 100 },
  ],
  'v1.34': [
    { name: 'filter-prerouting-pre-dnat', type: 'filter', hook: 'prerouting', priority: -110 },
    { name: 'filter-output-pre-dnat', type: 'filter', hook: 'output', priority: -110 },
    { name: 'filter-input', type: 'filter', hook: 'input', priority: 0 },
    { name: 'filter-forward', type: 'filter', hook: 'forward', priority: 0 },
    { name: 'filter-output', type: 'filter', hook: 'output', priority: 0 },
    { name: 'nat-prerouting', type: 'nat', hook: 'prerouting', priority: -100 },
    { name: 'nat-output', type: 'nat', hook: 'output', priority: -100 },
    { name: 'nat-postrouting', type: 'nat', hook: 'postrouting', priority: 100 },
  ],
};

/** nftablesJumpChains: [destination chain, base chain, extra match], in proxier.go's order. */
const JUMPS: Record<KubeProxyLayout, [string, string, string][]> = {
  'v1.33': [
    ['nodeport-endpoints-check', 'filter-input', 'ct state new'],
    ['service-endpoints-check', 'filter-input', 'ct state new'],
    ['service-endpoints-check', 'filter-forward', 'ct state new'],
    ['service-endpoints-check', 'filter-output', 'ct state new'],
    ['firewall-check', 'filter-prerouting', 'ct state new'],
    ['firewall-check', 'filter-output', 'ct state new'],
    ['services', 'nat-output', ''],
    ['services', 'nat-prerouting', ''],
    ['masquerading', 'nat-postrouting', ''],
    ['cluster-ips-check', 'filter-forward', 'ct state new'],
    ['cluster-ips-check', 'filter-output-post-dnat', 'ct state new'],
  ],
  'v1.34': [
    ['nodeport-endpoints-check', 'filter-input', 'ct state new'],
    ['service-endpoints-check', 'filter-input', 'ct state new'],
    ['service-endpoints-check', 'filter-forward', 'ct state new'],
    ['service-endpoints-check', 'filter-output', 'ct state new'],
    ['firewall-check', 'filter-prerouting-pre-dnat', 'ct state new'],
    ['firewall-check', 'filter-output-pre-dnat', 'ct state new'],
    ['services', 'nat-output', ''],
    ['services', 'nat-prerouting', ''],
    ['masquerading', 'nat-postrouting', ''],
    ['cluster-ips-check', 'filter-forward', 'ct state new'],
    ['cluster-ips-check', 'filter-output', 'ct state new'],
  ],
};

const MASQ_MARK = '0x4000';
const q = (s: string): string => `"${s}"`;

/**
 * The `nft -f` transaction kube-proxy would run for these services on one node (IPv4). Objects
 * come in knftables' order: table, base chains, jump chains with their jump rules, the fixed
 * chains, sets and maps, then per service port its chains, rules and elements.
 */
export function kubeProxyNft(o: KubeProxyNftOptions): string {
  const ipX = o.family ?? 'ip';
  const v6 = ipX === 'ip6';
  const addr = v6 ? 'ipv6_addr' : 'ipv4_addr';
  const noLocalhost = v6 ? 'ip6 daddr != ::1' : 'ip daddr != 127.0.0.0/8';
  const clusterCidr = o.clusterCidr ?? (v6 ? 'fd00:244::/48' : '10.244.0.0/16');
  const serviceCidr = o.serviceCidr ?? (v6 ? 'fd00:96::/112' : '10.96.0.0/12');
  const T = `${ipX} kube-proxy`;
  const out: string[] = [`add table ${T} { comment "rules for kube-proxy" ; }`];
  const chains = new Set<string>();
  const chain = (name: string, comment?: string) => {
    if (chains.has(name)) return;
    chains.add(name);
    out.push(`add chain ${T} ${name}${comment !== undefined ? ` { comment ${q(comment)} ; }` : ''}`);
  };
  const rule = (c: string, text: string, comment?: string) => out.push(`add rule ${T} ${c} ${text}${comment !== undefined ? ` comment ${q(comment)}` : ''}`);
  const element = (set: string, key: string, value?: string, comment?: string) =>
    out.push(`add element ${T} ${set} { ${key}${comment !== undefined ? ` comment ${q(comment)}` : ''}${value !== undefined ? ` : ${value}` : ''} }`);

  for (const b of BASE_CHAINS[o.layout]) {
    chains.add(b.name);
    out.push(`add chain ${T} ${b.name} { type ${b.type} hook ${b.hook} priority ${b.priority} ; }`);
  }
  for (const [dst, src, extra] of JUMPS[o.layout]) {
    chain(dst);
    rule(src, `${extra !== '' ? `${extra} ` : ''}jump ${dst}`);
  }
  for (const c of ['services', 'cluster-ips-check', 'masquerading', 'mark-for-masquerade']) chain(c);
  rule('mark-for-masquerade', `mark set mark or ${MASQ_MARK}`);
  rule('masquerading', `mark and ${MASQ_MARK} == 0 return`);
  rule('masquerading', `mark set mark xor ${MASQ_MARK}`);
  rule('masquerading', 'masquerade fully-random');

  out.push(`add set ${T} cluster-ips { type ${addr} ; comment "Active ClusterIPs" ; }`);
  rule('cluster-ips-check', `${ipX} daddr @cluster-ips reject`, 'Reject traffic to invalid ports of ClusterIPs');
  rule('cluster-ips-check', `${ipX} daddr { ${serviceCidr} } drop`, 'Drop traffic to unallocated ClusterIPs');

  const restricted = o.nodePortIps !== undefined;
  if (restricted) {
    out.push(`add set ${T} nodeport-ips { type ${addr} ; comment "IPs that accept NodePort traffic" ; }`);
    for (const ip of o.nodePortIps!) element('nodeport-ips', ip);
  }

  out.push(`add map ${T} no-endpoint-services { type ${addr} . inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to services with no endpoints" ; }`);
  out.push(`add map ${T} no-endpoint-nodeports { type inet_proto . inet_service : verdict ; comment "vmap to drop or reject packets to service nodeports with no endpoints" ; }`);
  chain('reject-chain', 'helper for @no-endpoint-services / @no-endpoint-nodeports');
  rule('reject-chain', 'reject');
  rule('service-endpoints-check', `${ipX} daddr . meta l4proto . th dport vmap @no-endpoint-services`);
  rule('nodeport-endpoints-check', `${restricted ? `${ipX} daddr @nodeport-ips` : noLocalhost} meta l4proto . th dport vmap @no-endpoint-nodeports`);

  out.push(`add map ${T} firewall-ips { type ${addr} . inet_proto . inet_service : verdict ; comment "destinations that are subject to LoadBalancerSourceRanges" ; }`);
  rule('firewall-check', `${ipX} daddr . meta l4proto . th dport vmap @firewall-ips`);

  out.push(`add map ${T} service-ips { type ${addr} . inet_proto . inet_service : verdict ; comment "ClusterIP, ExternalIP and LoadBalancer IP traffic" ; }`);
  out.push(`add map ${T} service-nodeports { type inet_proto . inet_service : verdict ; comment "NodePort traffic" ; }`);
  rule('services', `${ipX} daddr . meta l4proto . th dport vmap @service-ips`);
  rule('services', `${restricted ? `${ipX} daddr @nodeport-ips` : `fib daddr type local ${noLocalhost}`} meta l4proto . th dport vmap @service-nodeports`);

  const set = (name: string, spec: string) => out.push(`add set ${T} ${name} { ${spec} ; }`);
  for (const s of o.services) servicePort(s, o.layout, clusterCidr, ipX, { chain, rule, element, set });
  return `${out.join('\n')}\n`;
}

interface Emit {
  chain(name: string): void;
  rule(chain: string, text: string, comment?: string): void;
  element(set: string, key: string, value?: string, comment?: string): void;
  set(name: string, spec: string): void;
}

/** syncProxyRules for one service port (CategorizeEndpoints with every endpoint ready, iTP=Cluster). */
function servicePort(s: NftServicePort, layout: KubeProxyLayout, clusterCidr: string, ipX: 'ip' | 'ip6', e: Emit): void {
  const local = s.externalTrafficPolicy === 'Local';
  const clusterEndpoints = s.endpoints;
  const localEndpoints = s.endpoints.filter((x) => x.local);
  const hasEndpoints = clusterEndpoints.length > 0;
  const hasExternalEndpoints = local ? localEndpoints.length > 0 : hasEndpoints;
  const svcChain = kpChain.service(s);
  const localChain = kpChain.local(s);
  const extChain = kpChain.external(s);
  const usesLocalChain = local && localEndpoints.length > 0;
  const usesExternalChain = hasEndpoints && s.nodePort !== undefined;
  const key = `${s.clusterIp} . ${s.proto} . ${s.port}`;
  const name = svcPortName(s);

  for (const ep of clusterEndpoints) e.chain(kpChain.endpoint(s, ep));
  if (hasEndpoints) e.chain(svcChain);
  if (usesLocalChain) e.chain(localChain);
  if (usesExternalChain) e.chain(extChain);

  e.element('cluster-ips', s.clusterIp);
  if (hasEndpoints) e.element('service-ips', key, `goto ${svcChain}`);
  else e.element('no-endpoint-services', key, 'goto reject-chain', name);

  if (s.nodePort !== undefined) {
    const npKey = `${s.proto} . ${s.nodePort}`;
    if (hasEndpoints) e.element('service-nodeports', npKey, `goto ${extChain}`);
    if (!hasExternalEndpoints) e.element('no-endpoint-nodeports', npKey, hasEndpoints ? 'drop' : 'goto reject-chain', name);
  }

  if (hasEndpoints) {
    // Masquerade off-cluster traffic to the ClusterIP (detect-local: cluster CIDR).
    const masq =
      layout === 'v1.33'
        ? `${ipX} daddr ${s.clusterIp} ${s.proto} dport ${s.port} ${ipX} saddr != ${clusterCidr} jump mark-for-masquerade`
        : `${ipX} daddr ${s.clusterIp} ${ipX} saddr != ${clusterCidr} jump mark-for-masquerade`;
    e.rule(svcChain, masq);
  }

  if (usesExternalChain) {
    if (!local) e.rule(extChain, 'jump mark-for-masquerade');
    else {
      e.rule(extChain, `${ipX} saddr ${clusterCidr} goto ${svcChain}`, 'short-circuit pod traffic');
      e.rule(extChain, 'fib saddr type local jump mark-for-masquerade', 'masquerade local traffic');
      e.rule(extChain, `fib saddr type local goto ${svcChain}`, 'short-circuit local traffic');
    }
    if (hasExternalEndpoints) e.rule(extChain, `goto ${local ? localChain : svcChain}`);
  }

  // ClientIP: one dynamic set per endpoint; a source found in one goes back to its endpoint before the split.
  const affinity = s.affinitySeconds;
  if (affinity !== undefined) for (const ep of clusterEndpoints) e.set(kpChain.affinity(s, ep), `type ${ipX === 'ip6' ? 'ipv6_addr' : 'ipv4_addr'} ; flags dynamic,timeout ; timeout ${affinity}s`);
  const balance = (c: string, eps: NftEndpoint[]) => {
    if (affinity !== undefined) for (const ep of eps) e.rule(c, `${ipX} saddr @${kpChain.affinity(s, ep)} goto ${kpChain.endpoint(s, ep)}`);
    e.rule(c, `numgen random mod ${eps.length} vmap { ${eps.map((ep, i) => `${i} : goto ${kpChain.endpoint(s, ep)}`).join(' , ')} }`);
  };
  if (hasEndpoints) balance(svcChain, clusterEndpoints);
  if (usesLocalChain) balance(localChain, localEndpoints);

  for (const ep of clusterEndpoints) {
    const c = kpChain.endpoint(s, ep);
    e.rule(c, `${ipX} saddr ${ep.ip} jump mark-for-masquerade`);
    if (affinity !== undefined) e.rule(c, `update @${kpChain.affinity(s, ep)} { ${ipX} saddr }`);
    // net.JoinHostPort: an IPv6 endpoint is [addr]:port.
    e.rule(c, `meta l4proto ${s.proto} dnat to ${ipX === 'ip6' ? `[${ep.ip}]` : ep.ip}:${ep.port}`);
  }
}

// ---------------------------------------------------------------------------------------------
// firewalld (nftables backend)

export interface FirewalldOptions {
  /** The interface of the public zone. */
  iface: string;
  /** What the public zone allows in, as nft port expressions (`22`, `30000-32767`). */
  allowTcp: string[];
  /** Output interfaces of a trusted zone (firewalld writes `cali+` as `cali*`): forwarded traffic
   *  to them is accepted. Without it, forwarded traffic ends in filter_FORWARD's `drop`. */
  trustedOut?: string[];
}

/**
 * A firewalld-like `table inet firewalld`: the base chains firewalld registers (priorities
 * `filter + 10`, `dstnat + 10`, `srcnat + 10`), its zone dispatch (`filter_INPUT_ZONES` →
 * `filter_IN_public` → `filter_IN_public_allow`), `ct state { established, related } accept` and
 * `iifname "lo" accept` first, `reject with icmpx admin-prohibited` for whatever the zone did not
 * accept, and a filter_FORWARD that drops what no zone accepted.
 */
export function firewalldNft(o: FirewalldOptions): string {
  const ifq = q(o.iface);
  const trusted = o.trustedOut ?? [];
  const lines = [
    'table inet firewalld {',
    '  chain nat_PREROUTING {',
    '    type nat hook prerouting priority dstnat + 10; policy accept;',
    '    jump nat_PREROUTING_ZONES',
    '  }',
    '  chain nat_PREROUTING_ZONES {',
    `    iifname ${ifq} goto nat_PRE_public`,
    '    goto nat_PRE_public',
    '  }',
    '  chain nat_PRE_public {',
    '    jump nat_PRE_public_allow',
    '  }',
    '  chain nat_PRE_public_allow {',
    '  }',
    '  chain nat_POSTROUTING {',
    '    type nat hook postrouting priority srcnat + 10; policy accept;',
    '    jump nat_POSTROUTING_ZONES',
    '  }',
    '  chain nat_POSTROUTING_ZONES {',
    `    oifname ${ifq} goto nat_POST_public`,
    '    goto nat_POST_public',
    '  }',
    '  chain nat_POST_public {',
    '    jump nat_POST_public_allow',
    '  }',
    '  chain nat_POST_public_allow {',
    '  }',
    '  chain filter_INPUT {',
    '    type filter hook input priority filter + 10; policy accept;',
    '    ct state { established, related } accept',
    '    iifname "lo" accept',
    '    ct state invalid drop',
    '    jump filter_INPUT_ZONES',
    '    reject with icmpx admin-prohibited',
    '  }',
    '  chain filter_FORWARD {',
    '    type filter hook forward priority filter + 10; policy accept;',
    '    ct state { established, related } accept',
    '    iifname "lo" accept',
    '    ct state invalid drop',
    '    jump filter_FORWARD_ZONES',
    '    drop',
    '  }',
    '  chain filter_OUTPUT {',
    '    type filter hook output priority filter + 10; policy accept;',
    '    ct state { established, related } accept',
    '    oifname "lo" accept',
    '  }',
    '  chain filter_INPUT_ZONES {',
    `    iifname ${ifq} goto filter_IN_public`,
    '    goto filter_IN_public',
    '  }',
    '  chain filter_IN_public {',
    '    jump filter_IN_public_allow',
    '    meta l4proto { icmp, ipv6-icmp } accept',
    '  }',
    '  chain filter_IN_public_allow {',
    ...o.allowTcp.map((p) => `    tcp dport ${p} ct state { new, untracked } accept`),
    '  }',
    '  chain filter_FORWARD_ZONES {',
    ...trusted.map((i) => `    oifname ${q(i)} goto filter_FWD_trusted`),
    `    iifname ${ifq} goto filter_FWD_public`,
    '    goto filter_FWD_public',
    '  }',
    ...(trusted.length > 0 ? ['  chain filter_FWD_trusted {', '    accept', '  }'] : []),
    '  chain filter_FWD_public {',
    '    jump filter_FWD_public_allow',
    '  }',
    '  chain filter_FWD_public_allow {',
    '  }',
    '}',
    '',
  ];
  return lines.join('\n');
}
