/**
 * Deterministic generator of the nftables ruleset kube-proxy (nftables mode, v1.34 layout) writes
 * on one node of a 100-node cluster: `table ip kube-proxy`, as `nft -f` input. Same options and
 * seed → byte-identical text.
 *
 * Two renderings of the same ruleset:
 *   - `ruleset` (default): one `table ip kube-proxy { … }` block, the way `nft list ruleset` prints it;
 *   - `transaction`: the `add table/set/map/chain/rule/element …` lines of a kube-proxy full sync
 *     (knftables' transaction text, as in pkg/proxy/nftables/proxier_test.go).
 *
 * Script use: node --import tsx bench/gen-nft.ts --services 10000 --endpoints 2 [--seed 1]
 *             [--format ruleset|transaction] > kube-proxy.nft
 * Address plan and service mix: bench/README.md (the same as gen-dump.ts).
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { hashAndTruncate } from '../test/support/scenario-kit/kube-proxy-names.js';
import { cidrContains } from '../test/support/scenario-kit/net.js';
import { octetAddress, range, Rng } from './gen-dump.js';

type Proto = 'tcp' | 'udp';
export type NftTextFormat = 'ruleset' | 'transaction';

export interface GenerateNftOptions {
  services: number;
  endpointsPerService: number;
  seed?: number;
  format?: NftTextFormat;
}

/** One NodePort (of a NodePort or LoadBalancer Service) on this node, with what a packet to it should meet. */
export interface NftNodePortCase {
  /** Position of the Service in creation order (0-based): `ns<k>/svc<index>`. */
  index: number;
  /** servicePortName.String(): "ns/svc:port", or "ns/svc" when the port is unnamed. */
  name: string;
  port: number;
  proto: Proto;
  policy: 'Cluster' | 'Local';
  /** Every endpoint of the Service as "ip:port", in kube-proxy's order; empty = no endpoints (REJECT). */
  endpoints: string[];
  /** An endpoint runs on this node; with policy Local and none, external traffic is dropped. */
  hasLocalEndpoint: boolean;
  /** The service-… chain the NodePort leads to (through external-…), when the Service has endpoints. */
  serviceChain: string | null;
}

export interface GeneratedNft {
  text: string;
  nodePorts: NftNodePortCase[];
  nodeIp: string;
  podCidr: string;
  serviceCidr: string;
  counts: { chains: number; rules: number; sets: number; elements: number };
}

// Address plan: the same as gen-dump.ts (bench/README.md).
const NODE_COUNT = 100;
const NODE_IP = '192.168.0.2'; // node-N is 192.168.0.(N+2); this node is node-0
const POD_CIDR = '10.0.0.0/8'; // cluster CIDR, kube-proxy's detect-local CIDR; node-N's pods are 10.N.0.0/16
const SERVICE_CIDR = '172.20.0.0/16'; // known ServiceCIDR: cluster-ips-check gets its "unallocated" drop rule
const CLUSTER_IP_SLOTS = 65521; // prime < 2^16: ClusterIPs are spread over 172.20.0.0/16 by a stride
const CLUSTER_IP_STRIDE = 7919;
const LB_VIP_BASE = [198, 18] as const;
const EXTERNAL_IP_BASE = [198, 19] as const;
const NODE_PORT_MIN = 30000;
const NODE_PORT_MAX = 32767;

// Service mix: the same shares as gen-dump.ts (scale-and-speed.md §1.3).
const SHARE_NODE_PORT = 0.2;
const SHARE_LOAD_BALANCER = 0.05;
const SHARE_ETP_LOCAL = 0.2;
const SHARE_LOCAL_ON_THIS_NODE = 0.5;
const SHARE_SOURCE_RANGES = 0.3;
const SHARE_CLIENT_IP_AFFINITY = 0.05;
const SHARE_NO_ENDPOINTS = 0.02;
const SHARE_UDP = 0.05;
const SHARE_EXTERNAL_IPS = 0.01;
const SHARE_UNNAMED_PORT = 0.3;
const SERVICES_PER_NAMESPACE = 50;

const PORTS: Record<Proto, readonly { port: number; targetPort: number }[]> = {
  tcp: [
    { port: 80, targetPort: 8080 },
    { port: 443, targetPort: 8443 },
    { port: 8080, targetPort: 8080 },
    { port: 9090, targetPort: 9090 },
    { port: 5432, targetPort: 5432 },
    { port: 6379, targetPort: 6379 },
    { port: 50051, targetPort: 50051 },
  ],
  udp: [
    { port: 53, targetPort: 5353 },
    { port: 514, targetPort: 5140 },
    { port: 8125, targetPort: 8125 },
  ],
};

/** The last set contains the node IP, which makes kube-proxy admit the LB VIPs as sources too. */
const SOURCE_RANGE_SETS: readonly (readonly string[])[] = [
  ['203.0.113.0/24'],
  ['198.51.100.0/24', '203.0.113.0/24'],
  ['192.168.0.0/16'],
];

const TABLE = 'ip kube-proxy';
const MASQ_MARK = '0x4000';
const STICKY_SECONDS = 10800;
const MARK_MASQ = 'mark-for-masquerade';
const REJECT_CHAIN = 'reject-chain';

interface Endpoint {
  ip: string;
  port: number;
  hostPort: string;
  local: boolean;
  chain: string;
  affinitySet: string;
}

interface ServicePort {
  index: number;
  name: string;
  proto: Proto;
  clusterIp: string;
  port: number;
  nodePort: number;
  externalLocal: boolean;
  clientIpAffinity: boolean;
  externalIps: string[];
  lbVips: string[];
  sourceRanges: readonly string[];
  endpoints: Endpoint[];
  serviceChain: string;
  localChain: string;
  externalChain: string;
  firewallChain: string;
}

export function generateNftRuleset(opts: GenerateNftOptions): GeneratedNft {
  checkOptions(opts);
  const rng = new Rng(opts.seed ?? 1);
  const addresses = new AddressAllocator(rng);
  const services = range(0, opts.services).map((i) => planService(i, opts.endpointsPerService, rng, addresses));
  const t = new NftTable();
  writeFixedObjects(t);
  // kube-proxy ranges over a Go map: per-service chains and elements come in random order.
  for (const svc of rng.shuffle([...services])) writeService(svc, t);
  const format = opts.format ?? 'ruleset';
  return {
    text: format === 'ruleset' ? t.renderRuleset() : t.renderTransaction(),
    nodePorts: services.filter((s) => s.nodePort !== 0).map((s) => ({
      index: s.index,
      name: s.name,
      port: s.nodePort,
      proto: s.proto,
      policy: s.externalLocal ? 'Local' : 'Cluster',
      endpoints: s.endpoints.map((ep) => ep.hostPort),
      hasLocalEndpoint: s.endpoints.some((ep) => ep.local),
      serviceChain: s.endpoints.length > 0 ? s.serviceChain : null,
    })),
    nodeIp: NODE_IP,
    podCidr: POD_CIDR,
    serviceCidr: SERVICE_CIDR,
    counts: t.counts(),
  };
}

function checkOptions(opts: GenerateNftOptions): void {
  if (!Number.isInteger(opts.services) || opts.services < 0 || opts.services > CLUSTER_IP_SLOTS) {
    throw new RangeError(`services must be an integer in 0..${CLUSTER_IP_SLOTS}, got ${opts.services}`);
  }
  if (!Number.isInteger(opts.endpointsPerService) || opts.endpointsPerService < 0) {
    throw new RangeError(`endpointsPerService must be a non-negative integer, got ${opts.endpointsPerService}`);
  }
  if (opts.seed !== undefined && !Number.isInteger(opts.seed)) throw new RangeError(`seed must be an integer, got ${opts.seed}`);
}

// ---------------------------------------------------------------------------------------------
// Cluster model

function planService(i: number, endpointsPerService: number, rng: Rng, addresses: AddressAllocator): ServicePort {
  const proto: Proto = rng.chance(SHARE_UDP) ? 'udp' : 'tcp';
  const { port, targetPort } = rng.pick(PORTS[proto]);
  const ns = `ns${Math.floor(i / SERVICES_PER_NAMESPACE)}`;
  const svcName = `svc${i}`;
  const portName = rng.chance(SHARE_UNNAMED_PORT) ? '' : `p${port}`;
  const name = `${ns}/${svcName}${portName ? `:${portName}` : ''}`;
  let type = pickType(rng);
  let externalLocal = type !== 'ClusterIP' && rng.chance(SHARE_ETP_LOCAL);
  if (type !== 'ClusterIP' && !addresses.hasNodePorts(type === 'LoadBalancer' && externalLocal ? 2 : 1)) {
    type = 'ClusterIP'; // past the NodePort range the cluster grows with ClusterIPs
    externalLocal = false;
  }
  const nodePort = type === 'ClusterIP' ? 0 : addresses.nodePort();
  if (type === 'LoadBalancer' && externalLocal) addresses.nodePort(); // healthCheckNodePort: no nft rule, but it uses up the range
  const forceLocal = externalLocal && rng.chance(SHARE_LOCAL_ON_THIS_NODE);
  const endpointCount = rng.chance(SHARE_NO_ENDPOINTS) ? 0 : endpointsPerService;
  const base = hashAndTruncate(`${ns}/${svcName}/${proto}/${portName}`);
  return {
    index: i,
    name,
    proto,
    clusterIp: octetAddress([172, 20], 1 + ((i * CLUSTER_IP_STRIDE) % CLUSTER_IP_SLOTS)),
    port,
    nodePort,
    externalLocal,
    clientIpAffinity: rng.chance(SHARE_CLIENT_IP_AFFINITY),
    externalIps: rng.chance(SHARE_EXTERNAL_IPS) ? [addresses.externalIp()] : [],
    lbVips: type === 'LoadBalancer' ? [addresses.lbVip()] : [],
    sourceRanges: type === 'LoadBalancer' && rng.chance(SHARE_SOURCE_RANGES) ? rng.pick(SOURCE_RANGE_SETS) : [],
    endpoints: placeEndpoints(endpointCount, forceLocal, targetPort, `${ns}/${svcName}/${proto}/${portName}`, rng, addresses),
    serviceChain: `service-${base}`,
    localChain: `local-${base}`,
    externalChain: `external-${base}`,
    firewallChain: `firewall-${base}`,
  };
}

function pickType(rng: Rng): 'ClusterIP' | 'NodePort' | 'LoadBalancer' {
  const roll = rng.next();
  if (roll < SHARE_LOAD_BALANCER) return 'LoadBalancer';
  return roll < SHARE_LOAD_BALANCER + SHARE_NODE_PORT ? 'NodePort' : 'ClusterIP';
}

function placeEndpoints(count: number, forceLocal: boolean, targetPort: number, chainBase: string, rng: Rng, addresses: AddressAllocator): Endpoint[] {
  const endpoints: Endpoint[] = [];
  for (let k = 0; k < count; k++) {
    const node = k === 0 && forceLocal ? 0 : rng.int(NODE_COUNT);
    const ip = addresses.podIp(node);
    // servicePortEndpointChainNameBase: "ns/svc/proto/portName__ip/port"
    const epBase = hashAndTruncate(`${chainBase}__${ip}/${targetPort}`);
    endpoints.push({ ip, port: targetPort, hostPort: `${ip}:${targetPort}`, local: node === 0, chain: `endpoint-${epBase}`, affinitySet: `affinity-${epBase}` });
  }
  // The EndpointsMap sorts each service's endpoints by their "ip:port" string.
  return endpoints.sort((a, b) => (a.hostPort < b.hostPort ? -1 : a.hostPort > b.hostPort ? 1 : 0));
}

class AddressAllocator {
  private readonly freeNodePorts: number[];
  private readonly podsPerNode = new Array<number>(NODE_COUNT).fill(1);
  private lbVips = 0;
  private externalIps = 0;

  constructor(rng: Rng) {
    this.freeNodePorts = rng.shuffle(range(NODE_PORT_MIN, NODE_PORT_MAX + 1));
  }

  hasNodePorts(count: number): boolean {
    return this.freeNodePorts.length >= count;
  }

  nodePort(): number {
    const port = this.freeNodePorts.pop();
    if (port === undefined) throw new Error('NodePort range exhausted');
    return port;
  }

  lbVip(): string {
    return octetAddress(LB_VIP_BASE, ++this.lbVips);
  }

  externalIp(): string {
    return octetAddress(EXTERNAL_IP_BASE, ++this.externalIps);
  }

  podIp(node: number): string {
    const n = (this.podsPerNode[node] ?? 1) + 1;
    if (n > 0xfffe) throw new RangeError(`node-${node} has no pod IPs left in 10.${node}.0.0/16`);
    this.podsPerNode[node] = n;
    return `10.${node}.${n >> 8}.${n & 0xff}`;
  }
}

// ---------------------------------------------------------------------------------------------
// kube-proxy's objects (pkg/proxy/nftables/proxier.go: setupNFTables and syncProxyRules)

interface ChainDecl {
  name: string;
  base?: { type: 'filter' | 'nat'; hook: string; priority: number };
  comment?: string;
  rules: string[];
}

interface SetDecl {
  kind: 'set' | 'map';
  name: string;
  type: string;
  flags?: string;
  timeout?: string;
  comment?: string;
  elements: string[];
}

/** One table's objects in creation order; renders either as a table block or as `add` lines. */
class NftTable {
  private readonly chains = new Map<string, ChainDecl>();
  private readonly sets = new Map<string, SetDecl>();

  chain(name: string, extra: Omit<ChainDecl, 'name' | 'rules'> = {}): ChainDecl {
    let c = this.chains.get(name);
    if (c === undefined) {
      c = { name, ...extra, rules: [] };
      this.chains.set(name, c);
    }
    return c;
  }

  rule(chain: string, rule: string): void {
    this.chain(chain).rules.push(rule);
  }

  set(decl: Omit<SetDecl, 'elements'>): void {
    if (!this.sets.has(decl.name)) this.sets.set(decl.name, { ...decl, elements: [] });
  }

  element(set: string, element: string): void {
    const s = this.sets.get(set);
    if (s === undefined) throw new Error(`no set ${set}`);
    s.elements.push(element);
  }

  counts(): GeneratedNft['counts'] {
    let rules = 0;
    for (const c of this.chains.values()) rules += c.rules.length;
    let elements = 0;
    for (const s of this.sets.values()) elements += s.elements.length;
    return { chains: this.chains.size, rules, sets: this.sets.size, elements };
  }

  /** As `nft list ruleset` prints a table: sets and maps, then chains, each in creation order. */
  renderRuleset(): string {
    const out: string[] = [`table ${TABLE} {`, '\tcomment "rules for kube-proxy"'];
    for (const s of this.sets.values()) {
      out.push('', `\t${s.kind} ${s.name} {`, `\t\ttype ${s.type}`);
      if (s.flags) out.push(`\t\tflags ${s.flags}`);
      if (s.timeout) out.push(`\t\ttimeout ${s.timeout}`);
      if (s.comment) out.push(`\t\tcomment ${quote(s.comment)}`);
      if (s.elements.length > 0) out.push(`\t\telements = { ${s.elements.join(',\n\t\t\t     ')} }`);
      out.push('\t}');
    }
    for (const c of this.chains.values()) {
      out.push('', `\tchain ${c.name} {`);
      if (c.comment) out.push(`\t\tcomment ${quote(c.comment)}`);
      if (c.base) out.push(`\t\ttype ${c.base.type} hook ${c.base.hook} priority ${c.base.priority}; policy accept;`);
      for (const r of c.rules) out.push(`\t\t${r}`);
      out.push('\t}');
    }
    out.push('}');
    return `${out.join('\n')}\n`;
  }

  /** kube-proxy's full-sync transaction: declarations first, then rules, then elements. */
  renderTransaction(): string {
    const out: string[] = [`add table ${TABLE} { comment "rules for kube-proxy" ; }`];
    for (const s of this.sets.values()) {
      const parts = [`type ${s.type} ;`];
      if (s.flags) parts.push(`flags ${s.flags} ;`);
      if (s.timeout) parts.push(`timeout ${s.timeout} ;`);
      if (s.comment) parts.push(`comment ${quote(s.comment)} ;`);
      out.push(`add ${s.kind} ${TABLE} ${s.name} { ${parts.join(' ')} }`);
    }
    for (const c of this.chains.values()) {
      const parts: string[] = [];
      if (c.base) parts.push(`type ${c.base.type} hook ${c.base.hook} priority ${c.base.priority} ;`);
      if (c.comment) parts.push(`comment ${quote(c.comment)} ;`);
      out.push(`add chain ${TABLE} ${c.name}${parts.length ? ` { ${parts.join(' ')} }` : ''}`);
    }
    for (const c of this.chains.values()) for (const r of c.rules) out.push(`add rule ${TABLE} ${c.name} ${r}`);
    for (const s of this.sets.values()) for (const e of s.elements) out.push(`add element ${TABLE} ${s.name} { ${e} }`);
    return `${out.join('\n')}\n`;
  }
}

/** setupNFTables (v1.34: filter chains at priority 0, the firewall checks before DNAT at -110). */
function writeFixedObjects(t: NftTable): void {
  t.set({ kind: 'set', name: 'cluster-ips', type: 'ipv4_addr', comment: 'Active ClusterIPs' });
  t.set({ kind: 'set', name: 'nodeport-ips', type: 'ipv4_addr', comment: 'IPs that accept NodePort traffic' });
  const vmap3 = 'ipv4_addr . inet_proto . inet_service : verdict';
  const vmap2 = 'inet_proto . inet_service : verdict';
  t.set({ kind: 'map', name: 'firewall-ips', type: vmap3, comment: 'destinations that are subject to LoadBalancerSourceRanges' });
  t.set({ kind: 'map', name: 'no-endpoint-nodeports', type: vmap2, comment: 'vmap to drop or reject packets to service nodeports with no endpoints' });
  t.set({ kind: 'map', name: 'no-endpoint-services', type: vmap3, comment: 'vmap to drop or reject packets to services with no endpoints' });
  t.set({ kind: 'map', name: 'service-ips', type: vmap3, comment: 'ClusterIP, ExternalIP and LoadBalancer IP traffic' });
  t.set({ kind: 'map', name: 'service-nodeports', type: vmap2, comment: 'NodePort traffic' });

  t.chain('filter-prerouting-pre-dnat', { base: { type: 'filter', hook: 'prerouting', priority: -110 } });
  t.chain('filter-output-pre-dnat', { base: { type: 'filter', hook: 'output', priority: -110 } });
  t.chain('filter-forward', { base: { type: 'filter', hook: 'forward', priority: 0 } });
  t.chain('filter-input', { base: { type: 'filter', hook: 'input', priority: 0 } });
  t.chain('filter-output', { base: { type: 'filter', hook: 'output', priority: 0 } });
  t.chain('nat-prerouting', { base: { type: 'nat', hook: 'prerouting', priority: -100 } });
  t.chain('nat-output', { base: { type: 'nat', hook: 'output', priority: -100 } });
  t.chain('nat-postrouting', { base: { type: 'nat', hook: 'postrouting', priority: 100 } });
  for (const name of ['cluster-ips-check', 'firewall-check', MARK_MASQ, 'masquerading', 'nodeport-endpoints-check', 'services', 'service-endpoints-check']) t.chain(name);
  t.chain(REJECT_CHAIN, { comment: 'helper for @no-endpoint-services / @no-endpoint-nodeports' });

  // The base rules of proxier_test.go (v1.34), in the order of nftablesJumpChains.
  t.rule('filter-input', 'ct state new jump nodeport-endpoints-check');
  t.rule('filter-input', 'ct state new jump service-endpoints-check');
  t.rule('filter-forward', 'ct state new jump service-endpoints-check');
  t.rule('filter-output', 'ct state new jump service-endpoints-check');
  t.rule('filter-prerouting-pre-dnat', 'ct state new jump firewall-check');
  t.rule('filter-output-pre-dnat', 'ct state new jump firewall-check');
  t.rule('nat-output', 'jump services');
  t.rule('nat-prerouting', 'jump services');
  t.rule('nat-postrouting', 'jump masquerading');
  t.rule('filter-forward', 'ct state new jump cluster-ips-check');
  t.rule('filter-output', 'ct state new jump cluster-ips-check');
  t.rule(MARK_MASQ, `mark set mark or ${MASQ_MARK}`);
  t.rule('masquerading', `mark and ${MASQ_MARK} == 0 return`);
  t.rule('masquerading', `mark set mark xor ${MASQ_MARK}`);
  t.rule('masquerading', 'masquerade fully-random');
  t.rule('cluster-ips-check', 'ip daddr @cluster-ips reject comment "Reject traffic to invalid ports of ClusterIPs"');
  t.rule('cluster-ips-check', `ip daddr { ${SERVICE_CIDR} } drop comment "Drop traffic to unallocated ClusterIPs"`);
  t.element('nodeport-ips', NODE_IP); // --nodeport-addresses=192.168.0.2/32: not match-all
  t.rule(REJECT_CHAIN, 'reject');
  t.rule('service-endpoints-check', 'ip daddr . meta l4proto . th dport vmap @no-endpoint-services');
  t.rule('nodeport-endpoints-check', 'ip daddr @nodeport-ips meta l4proto . th dport vmap @no-endpoint-nodeports');
  t.rule('firewall-check', 'ip daddr . meta l4proto . th dport vmap @firewall-ips');
  t.rule('services', 'ip daddr . meta l4proto . th dport vmap @service-ips');
  t.rule('services', 'ip daddr @nodeport-ips meta l4proto . th dport vmap @service-nodeports');
}

/** syncProxyRules' per-service-port block, for internalTrafficPolicy=Cluster and a CIDR local detector. */
function writeService(svc: ServicePort, t: NftTable): void {
  const { proto, port } = svc;
  const hasEndpoints = svc.endpoints.length > 0;
  const localEndpoints = svc.endpoints.filter((ep) => ep.local);
  const hasExternalEndpoints = hasEndpoints && (!svc.externalLocal || localEndpoints.length > 0);
  const usesLocalChain = svc.externalLocal && localEndpoints.length > 0;
  const usesExternalChain = hasEndpoints && (svc.nodePort !== 0 || svc.lbVips.length > 0 || svc.externalIps.length > 0);
  const usesFwChain = svc.lbVips.length > 0 && svc.sourceRanges.length > 0;
  const filterVerdict = hasEndpoints ? 'drop' : `goto ${REJECT_CHAIN}`;
  const noEndpoint = (key: string): string => `${key} comment ${quote(svc.name)} : ${filterVerdict}`;

  // Chains, in ensureChain order: endpoints, cluster policy, local policy, external, firewall.
  for (const ep of svc.endpoints) t.chain(ep.chain);
  if (hasEndpoints) t.chain(svc.serviceChain);
  if (usesLocalChain) t.chain(svc.localChain);
  if (usesExternalChain) t.chain(svc.externalChain);
  if (usesFwChain) t.chain(svc.firewallChain);

  // Elements.
  t.element('cluster-ips', svc.clusterIp);
  const cipKey = `${svc.clusterIp} . ${proto} . ${port}`;
  if (hasEndpoints) t.element('service-ips', `${cipKey} : goto ${svc.serviceChain}`);
  else t.element('no-endpoint-services', noEndpoint(cipKey));
  for (const ip of svc.externalIps) {
    const key = `${ip} . ${proto} . ${port}`;
    if (hasEndpoints) t.element('service-ips', `${key} : goto ${svc.externalChain}`);
    if (!hasExternalEndpoints) t.element('no-endpoint-services', noEndpoint(key));
  }
  for (const vip of svc.lbVips) {
    const key = `${vip} . ${proto} . ${port}`;
    if (hasEndpoints) t.element('service-ips', `${key} : goto ${svc.externalChain}`);
    if (usesFwChain) t.element('firewall-ips', `${key} : goto ${svc.firewallChain}`);
  }
  if (!hasExternalEndpoints) for (const vip of svc.lbVips) t.element('no-endpoint-services', noEndpoint(`${vip} . ${proto} . ${port}`));
  if (svc.nodePort !== 0) {
    const key = `${proto} . ${svc.nodePort}`;
    if (hasEndpoints) t.element('service-nodeports', `${key} : goto ${svc.externalChain}`);
    if (!hasExternalEndpoints) t.element('no-endpoint-nodeports', noEndpoint(key));
  }

  // Internal traffic: masquerade off-cluster sources (v1.34 form, without the port).
  if (hasEndpoints) t.rule(svc.serviceChain, `ip daddr ${svc.clusterIp} ip saddr != ${POD_CIDR} jump ${MARK_MASQ}`);

  if (usesExternalChain) {
    if (!svc.externalLocal) {
      t.rule(svc.externalChain, `jump ${MARK_MASQ}`);
    } else {
      t.rule(svc.externalChain, `ip saddr ${POD_CIDR} goto ${svc.serviceChain} comment "short-circuit pod traffic"`);
      t.rule(svc.externalChain, `fib saddr type local jump ${MARK_MASQ} comment "masquerade local traffic"`);
      t.rule(svc.externalChain, `fib saddr type local goto ${svc.serviceChain} comment "short-circuit local traffic"`);
    }
    if (hasExternalEndpoints) t.rule(svc.externalChain, `goto ${svc.externalLocal ? svc.localChain : svc.serviceChain}`);
  }

  if (usesFwChain) {
    const sources = [...svc.sourceRanges];
    if (svc.sourceRanges.some((cidr) => cidrContains(cidr, NODE_IP))) sources.push(...svc.lbVips);
    t.rule(svc.firewallChain, `ip saddr != { ${sources.join(', ')} } drop`);
  }

  if (svc.clientIpAffinity) {
    for (const ep of svc.endpoints) {
      t.set({ kind: 'set', name: ep.affinitySet, type: 'ipv4_addr', flags: 'dynamic,timeout', timeout: `${STICKY_SECONDS}s` });
    }
  }
  if (hasEndpoints) writeServiceToEndpointRules(svc, svc.serviceChain, svc.endpoints, t);
  if (usesLocalChain) writeServiceToEndpointRules(svc, svc.localChain, localEndpoints, t);

  for (const ep of svc.endpoints) {
    t.rule(ep.chain, `ip saddr ${ep.ip} jump ${MARK_MASQ}`);
    if (svc.clientIpAffinity) t.rule(ep.chain, `update @${ep.affinitySet} { ip saddr }`);
    t.rule(ep.chain, `meta l4proto ${proto} dnat to ${ep.hostPort}`);
  }
}

function writeServiceToEndpointRules(svc: ServicePort, chain: string, endpoints: Endpoint[], t: NftTable): void {
  if (svc.clientIpAffinity) {
    for (const ep of endpoints) t.rule(chain, `ip saddr @${ep.affinitySet} goto ${ep.chain}`);
  }
  const vmap = endpoints.map((ep, i) => `${i} : goto ${ep.chain}`).join(' , ');
  t.rule(chain, `numgen random mod ${endpoints.length} vmap { ${vmap} }`);
}

// ---------------------------------------------------------------------------------------------
// Small helpers

const quote = (text: string): string => `"${text}"`;

// ---------------------------------------------------------------------------------------------
// CLI

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      services: { type: 'string', default: '1000' },
      endpoints: { type: 'string', default: '2' },
      seed: { type: 'string', default: '1' },
      format: { type: 'string', default: 'ruleset' },
    },
  });
  if (values.format !== 'ruleset' && values.format !== 'transaction') throw new Error(`--format must be ruleset or transaction, got ${values.format}`);
  const out = generateNftRuleset({
    services: Number(values.services),
    endpointsPerService: Number(values.endpoints),
    seed: Number(values.seed),
    format: values.format,
  });
  process.stdout.write(out.text);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2));
}
