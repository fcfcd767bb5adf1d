/**
 * Deterministic generator of the `iptables-save` output of one node of a 100-node cluster whose
 * rules were written by kubelet and kube-proxy (iptables mode, v1.30 rule shapes), printed the
 * way iptables v1.8.9 prints them. Same options and seed → byte-identical text.
 *
 * Script use: node --import tsx bench/gen-dump.ts --services 10000 --endpoints 3 [--no-comments]
 *             [--seed 1] [--backend nft|legacy] [--nodes 100 --node 0] > dump.save
 * One plan (planCluster) renders every node's dump (renderDump): node-N has its own address, its own
 * local endpoints, and its own order of the shared chains' rules.
 * Address plan and service mix: bench/README.md.
 */
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { endpointHash, portProtoHash } from '../test/support/scenario-kit/kube-proxy-names.js';
import { cidrContains } from '../test/support/scenario-kit/net.js';
import { kubeProxyProbability, savedProbability as savedProbabilityOf } from '../test/support/scenario-kit/statistic-probability.js';

type Proto = 'tcp' | 'udp';
type Backend = 'nft' | 'legacy';

export interface GenerateOptions {
  services: number;
  endpointsPerService: number;
  /** false = kube-proxy's large-cluster mode: no `-m comment` on SVC/SVL→SEP jumps and SEP rules. */
  comments: boolean;
  seed?: number;
  backend?: Backend;
  /** How many nodes the endpoints are spread over (node-0 … node-(nodes-1)). Default 100. */
  nodes?: number;
  /** Whose dump: node-N. Default 0. */
  node?: number;
}

/** One NodePort (of a NodePort or LoadBalancer Service) on this node, with what a packet to it should meet. */
export interface NodePortCase {
  port: number;
  proto: Proto;
  policy: 'Cluster' | 'Local';
  /** Every endpoint of the Service as "ip:port", in kube-proxy's order; empty = no endpoints (REJECT). */
  endpoints: string[];
  /** An endpoint runs on this node; with policy Local and none, external traffic is DROPped. */
  hasLocalEndpoint: boolean;
  nodeIp: string;
}

export interface GeneratedDump {
  text: string;
  nodePorts: NodePortCase[];
  nodeIp: string;
  podCidr: string;
}

// Address plan (documented in bench/README.md).
const NODE_COUNT = 100;
/** node-N is 192.168.0.(N+2) and its pods are in 10.N.0.0/16, so N stays below 254. */
export const MAX_NODES = 253;
export const nodeIpOf = (node: number): string => `192.168.0.${node + 2}`;
const POD_CIDR = '10.0.0.0/8'; // cluster CIDR, kube-proxy's detect-local CIDR; node-N's pods are 10.N.0.0/16
const CLUSTER_IP_SLOTS = 65521; // prime < 2^16: ClusterIPs are spread over 172.20.0.0/16 by a stride
const CLUSTER_IP_STRIDE = 7919;
const LB_VIP_BASE = [198, 18] as const; // 198.18.0.0/16, one VIP per LoadBalancer
const EXTERNAL_IP_BASE = [198, 19] as const; // 198.19.0.0/16, one externalIP per Service that has any
const NODE_PORT_MIN = 30000; // kube-apiserver --service-node-port-range default
const NODE_PORT_MAX = 32767;

// Service mix (scale-and-speed.md §1.3).
const SHARE_NODE_PORT = 0.2;
const SHARE_LOAD_BALANCER = 0.05;
const SHARE_ETP_LOCAL = 0.2; // of NodePort and LoadBalancer Services
const SHARE_LOCAL_ON_THIS_NODE = 0.5; // of eTP=Local Services: DaemonSet-like, one endpoint is on node-0
const SHARE_SOURCE_RANGES = 0.3; // of LoadBalancers
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

/** The last set contains the node IP, which makes kube-proxy add `-s <VIP>` accept rules to KUBE-FW. */
const SOURCE_RANGE_SETS: readonly (readonly string[])[] = [
  ['203.0.113.0/24'],
  ['198.51.100.0/24', '203.0.113.0/24'],
  ['192.168.0.0/16'],
];

const MASQ_MARK = '0x4000'; // 1 << --iptables-masquerade-bit (default 14), as iptables-save prints it
const STICKY_SECONDS = 10800; // sessionAffinityConfig.clientIP.timeoutSeconds default
const SAVE_DATE = 'Mon Jun  3 12:00:00 2024'; // fixed ctime(3)-style date keeps the output reproducible
const REJECT = 'REJECT --reject-with icmp-port-unreachable'; // how iptables-save prints kube-proxy's bare -j REJECT

export interface Endpoint {
  ip: string;
  hostPort: string;
  /** The node its pod runs on (N of node-N). */
  node: number;
  chain: string;
}

/** One Service of the plan (each has exactly one port). */
export interface ServicePort {
  /** servicePortName.String(): "ns/svc:port", or "ns/svc" when the port is unnamed. */
  name: string;
  namespace: string;
  service: string;
  /** The port's name ("p80"), null when unnamed. */
  portName: string | null;
  type: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  targetPort: number;
  proto: Proto;
  hash: string;
  clusterIp: string;
  port: number;
  nodePort: number;
  healthCheckNodePort: number;
  externalLocal: boolean;
  clientIpAffinity: boolean;
  externalIps: string[];
  lbVips: string[];
  sourceRanges: readonly string[];
  endpoints: Endpoint[];
}

/** The cluster every node's dump is rendered from. */
export interface ClusterPlan {
  services: ServicePort[];
  nodes: number;
  comments: boolean;
  seed: number;
  /** The generator's state right after planning: node-0's rule order continues from it. */
  afterPlan: Rng;
}

export function generateDump(opts: GenerateOptions): GeneratedDump {
  return renderDump(planCluster(opts), opts.node ?? 0, opts.backend);
}

export function planCluster(opts: GenerateOptions): ClusterPlan {
  checkOptions(opts);
  const seed = opts.seed ?? 1;
  const rng = new Rng(seed);
  const nodes = opts.nodes ?? NODE_COUNT;
  const services = planServices(opts, nodes, rng);
  return { services, nodes, comments: opts.comments, seed, afterPlan: rng.fork() };
}

/** node-N's `iptables-save` output. */
export function renderDump(plan: ClusterPlan, node: number, backend: Backend = 'nft'): GeneratedDump {
  if (!Number.isInteger(node) || node < 0 || node >= plan.nodes) throw new RangeError(`node must be an integer in 0..${plan.nodes - 1}, got ${node}`);
  // node-0 continues the planning sequence (its dump stays what it was before nodes had numbers);
  // every other node's kube-proxy ranged over its Go map in an order of its own.
  const rng = node === 0 ? plan.afterPlan.fork() : new Rng(Math.imul(plan.seed, 0x9e3779b1) + node);
  const here = { node, ip: nodeIpOf(node) };
  const tables: Tables = {
    mangle: new Table('mangle', MANGLE_BUILTINS),
    filter: new Table('filter', FILTER_BUILTINS),
    nat: new Table('nat', NAT_BUILTINS),
  };
  writeKubeletRules(tables);
  writeKubeProxyFixedRules(tables);
  // kube-proxy ranges over a Go map, so the per-service rules of KUBE-SERVICES & co. come in random order.
  for (const svc of rng.shuffle([...plan.services])) writeServiceRules(svc, here, plan.comments, tables.filter, tables.nat);
  tables.nat.append('KUBE-SERVICES', '-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS');
  // iptables-nft-save walks a fixed table list; legacy lists /proc/net/ip_tables_names, newest table
  // first, and kubelet's KUBE-IPTABLES-HINT makes mangle the first table touched on a fresh node.
  const order = backend === 'nft' ? [tables.mangle, tables.filter, tables.nat] : [tables.filter, tables.nat, tables.mangle];
  return { text: renderSave(order, backend), nodePorts: nodePortCases(plan.services, here), nodeIp: here.ip, podCidr: POD_CIDR };
}

/** Which node a dump is rendered for. */
interface Here {
  node: number;
  ip: string;
}

function checkOptions(opts: GenerateOptions): void {
  if (!Number.isInteger(opts.services) || opts.services < 0 || opts.services > CLUSTER_IP_SLOTS) {
    throw new RangeError(`services must be an integer in 0..${CLUSTER_IP_SLOTS}, got ${opts.services}`);
  }
  if (!Number.isInteger(opts.endpointsPerService) || opts.endpointsPerService < 0) {
    throw new RangeError(`endpointsPerService must be a non-negative integer, got ${opts.endpointsPerService}`);
  }
  if (opts.seed !== undefined && !Number.isInteger(opts.seed)) throw new RangeError(`seed must be an integer, got ${opts.seed}`);
  const nodes = opts.nodes ?? NODE_COUNT;
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES) throw new RangeError(`nodes must be an integer in 1..${MAX_NODES}, got ${nodes}`);
}

// ---------------------------------------------------------------------------------------------
// Cluster model

function planServices(opts: GenerateOptions, nodes: number, rng: Rng): ServicePort[] {
  const addresses = new AddressAllocator(rng, nodes);
  return range(0, opts.services).map((i) => planService(i, opts.endpointsPerService, rng, addresses));
}

function planService(i: number, endpointsPerService: number, rng: Rng, addresses: AddressAllocator): ServicePort {
  const proto: Proto = rng.chance(SHARE_UDP) ? 'udp' : 'tcp';
  const { port, targetPort } = rng.pick(PORTS[proto]);
  const namespace = `ns${Math.floor(i / SERVICES_PER_NAMESPACE)}`;
  const service = `svc${i}`;
  const portName = rng.chance(SHARE_UNNAMED_PORT) ? null : `p${port}`;
  const name = portName === null ? `${namespace}/${service}` : `${namespace}/${service}:${portName}`;
  let type = pickType(rng);
  let externalLocal = type !== 'ClusterIP' && rng.chance(SHARE_ETP_LOCAL);
  // Only eTP=Local LoadBalancers get a healthCheckNodePort; it comes from the same port range.
  if (type !== 'ClusterIP' && !addresses.hasNodePorts(type === 'LoadBalancer' && externalLocal ? 2 : 1)) {
    type = 'ClusterIP'; // the apiserver would refuse it; past the range the cluster grows with ClusterIPs
    externalLocal = false;
  }
  const healthCheck = type === 'LoadBalancer' && externalLocal;
  const forceLocal = externalLocal && rng.chance(SHARE_LOCAL_ON_THIS_NODE);
  const endpointCount = rng.chance(SHARE_NO_ENDPOINTS) ? 0 : endpointsPerService;
  return {
    name,
    namespace,
    service,
    portName,
    type,
    targetPort,
    proto,
    hash: portProtoHash(name, proto),
    clusterIp: octetAddress([172, 20], 1 + ((i * CLUSTER_IP_STRIDE) % CLUSTER_IP_SLOTS)),
    port,
    nodePort: type === 'ClusterIP' ? 0 : addresses.nodePort(),
    healthCheckNodePort: healthCheck ? addresses.nodePort() : 0,
    externalLocal,
    clientIpAffinity: rng.chance(SHARE_CLIENT_IP_AFFINITY),
    externalIps: rng.chance(SHARE_EXTERNAL_IPS) ? [addresses.externalIp()] : [],
    lbVips: type === 'LoadBalancer' ? [addresses.lbVip()] : [],
    sourceRanges: type === 'LoadBalancer' && rng.chance(SHARE_SOURCE_RANGES) ? rng.pick(SOURCE_RANGE_SETS) : [],
    endpoints: placeEndpoints(endpointCount, forceLocal, targetPort, name, proto, rng, addresses),
  };
}

function pickType(rng: Rng): 'ClusterIP' | 'NodePort' | 'LoadBalancer' {
  const roll = rng.next();
  if (roll < SHARE_LOAD_BALANCER) return 'LoadBalancer';
  return roll < SHARE_LOAD_BALANCER + SHARE_NODE_PORT ? 'NodePort' : 'ClusterIP';
}

function placeEndpoints(count: number, forceLocal: boolean, targetPort: number, name: string, proto: Proto, rng: Rng, addresses: AddressAllocator): Endpoint[] {
  const endpoints: Endpoint[] = [];
  for (let k = 0; k < count; k++) {
    const node = k === 0 && forceLocal ? 0 : rng.int(addresses.nodes);
    const ip = addresses.podIp(node);
    const hostPort = `${ip}:${targetPort}`;
    endpoints.push({ ip, hostPort, node, chain: `KUBE-SEP-${endpointHash(name, proto, hostPort)}` });
  }
  // The EndpointsMap sorts each service's endpoints by their "ip:port" string (byEndpoint).
  return endpoints.sort((a, b) => (a.hostPort < b.hostPort ? -1 : a.hostPort > b.hostPort ? 1 : 0));
}

/** Hands out NodePorts (in random order, like the apiserver's allocator), VIPs and pod IPs. */
class AddressAllocator {
  private readonly freeNodePorts: number[];
  private readonly podsPerNode: number[];
  private lbVips = 0;
  private externalIps = 0;

  constructor(
    rng: Rng,
    readonly nodes: number,
  ) {
    this.freeNodePorts = rng.shuffle(range(NODE_PORT_MIN, NODE_PORT_MAX + 1));
    this.podsPerNode = new Array<number>(nodes).fill(1);
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

  /** The next pod IP in node-N's 10.N.0.0/16 (10.N.0.0 and 10.N.0.1 are never handed out). */
  podIp(node: number): string {
    const n = (this.podsPerNode[node] ?? 1) + 1;
    if (n > 0xfffe) throw new RangeError(`node-${node} has no pod IPs left in 10.${node}.0.0/16`);
    this.podsPerNode[node] = n;
    return `10.${node}.${n >> 8}.${n & 0xff}`;
  }
}

function nodePortCases(services: ServicePort[], here: Here): NodePortCase[] {
  return services
    .filter((svc) => svc.nodePort !== 0)
    .map((svc) => ({
      port: svc.nodePort,
      proto: svc.proto,
      policy: svc.externalLocal ? 'Local' : 'Cluster',
      endpoints: svc.endpoints.map((ep) => ep.hostPort),
      hasLocalEndpoint: svc.endpoints.some((ep) => ep.node === here.node),
      nodeIp: here.ip,
    }));
}

// ---------------------------------------------------------------------------------------------
// Rules, already in the canonical form iptables-save prints: -s/-d/-p before the matches, /32 on
// host addresses, quoted comments, and the kernel's view of MARK, REJECT, statistic and recent.

const MANGLE_BUILTINS = ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'] as const;
const FILTER_BUILTINS = ['INPUT', 'FORWARD', 'OUTPUT'] as const;
const NAT_BUILTINS = ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'] as const;

interface Tables {
  mangle: Table;
  filter: Table;
  nat: Table;
}

/** pkg/kubelet/kubelet_network_linux.go; kubelet starts before kube-proxy, so its jumps end up last. */
function writeKubeletRules({ mangle, filter, nat }: Tables): void {
  mangle.declare('KUBE-IPTABLES-HINT');
  for (const table of [mangle, nat, filter]) table.declare('KUBE-KUBELET-CANARY');
  filter.append('KUBE-FIREWALL', '! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP');
  filter.prepend('OUTPUT', '-j KUBE-FIREWALL');
  filter.prepend('INPUT', '-j KUBE-FIREWALL');
}

/** kube-proxy's iptablesJumpChains, in its order; each is installed with EnsureRule(Prepend, ...). */
const JUMP_CHAINS: readonly { table: 'filter' | 'nat'; from: string; to: string; comment: string; newOnly: boolean }[] = [
  { table: 'filter', from: 'INPUT', to: 'KUBE-EXTERNAL-SERVICES', comment: 'kubernetes externally-visible service portals', newOnly: true },
  { table: 'filter', from: 'FORWARD', to: 'KUBE-EXTERNAL-SERVICES', comment: 'kubernetes externally-visible service portals', newOnly: true },
  { table: 'filter', from: 'INPUT', to: 'KUBE-NODEPORTS', comment: 'kubernetes health check service ports', newOnly: false },
  { table: 'filter', from: 'FORWARD', to: 'KUBE-SERVICES', comment: 'kubernetes service portals', newOnly: true },
  { table: 'filter', from: 'OUTPUT', to: 'KUBE-SERVICES', comment: 'kubernetes service portals', newOnly: true },
  { table: 'filter', from: 'FORWARD', to: 'KUBE-FORWARD', comment: 'kubernetes forwarding rules', newOnly: false },
  { table: 'filter', from: 'INPUT', to: 'KUBE-PROXY-FIREWALL', comment: 'kubernetes load balancer firewall', newOnly: true },
  { table: 'filter', from: 'OUTPUT', to: 'KUBE-PROXY-FIREWALL', comment: 'kubernetes load balancer firewall', newOnly: true },
  { table: 'filter', from: 'FORWARD', to: 'KUBE-PROXY-FIREWALL', comment: 'kubernetes load balancer firewall', newOnly: true },
  { table: 'nat', from: 'OUTPUT', to: 'KUBE-SERVICES', comment: 'kubernetes service portals', newOnly: false },
  { table: 'nat', from: 'PREROUTING', to: 'KUBE-SERVICES', comment: 'kubernetes service portals', newOnly: false },
  { table: 'nat', from: 'POSTROUTING', to: 'KUBE-POSTROUTING', comment: 'kubernetes postrouting rules', newOnly: false },
];

function writeKubeProxyFixedRules(tables: Tables): void {
  const { mangle, filter, nat } = tables;
  for (const table of [mangle, nat, filter]) table.declare('KUBE-PROXY-CANARY');
  for (const jump of JUMP_CHAINS) {
    const ctstate = jump.newOnly ? '-m conntrack --ctstate NEW ' : '';
    tables[jump.table].prepend(jump.from, `${ctstate}-m comment --comment "${jump.comment}" -j ${jump.to}`);
  }
  for (const chain of ['KUBE-SERVICES', 'KUBE-EXTERNAL-SERVICES', 'KUBE-FORWARD', 'KUBE-NODEPORTS', 'KUBE-PROXY-FIREWALL']) filter.declare(chain);
  for (const chain of ['KUBE-SERVICES', 'KUBE-NODEPORTS']) nat.declare(chain);
  nat.append('KUBE-POSTROUTING', `-m mark ! --mark ${MASQ_MARK}/${MASQ_MARK} -j RETURN`);
  nat.append('KUBE-POSTROUTING', `-j MARK --set-xmark ${MASQ_MARK}/0x0`); // kube-proxy wrote --xor-mark
  nat.append('KUBE-POSTROUTING', '-m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully');
  nat.append('KUBE-MARK-MASQ', `-j MARK --set-xmark ${MASQ_MARK}/${MASQ_MARK}`); // kube-proxy wrote --or-mark
  // No nfacct match: the dump must load where no nfacct objects exist (kube-proxy then omits it too).
  filter.append('KUBE-FORWARD', '-m conntrack --ctstate INVALID -j DROP');
  filter.append('KUBE-FORWARD', `-m comment --comment "kubernetes forwarding rules" -m mark --mark ${MASQ_MARK}/${MASQ_MARK} -j ACCEPT`);
  filter.append('KUBE-FORWARD', '-m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
}

/** What syncProxyRules derives from a service port's endpoints before it writes any rule. */
interface Reachability {
  hasEndpoints: boolean;
  /** false for eTP=Local without a local endpoint: external traffic is DROPped in filter. */
  hasExternalEndpoints: boolean;
  localEndpoints: Endpoint[];
  usesFwChain: boolean;
  /** Comment and target of the filter rules that stop traffic kube-proxy cannot deliver. */
  filterComment: string;
  filterTarget: string;
}

/** For internalTrafficPolicy=Cluster (all generated Services) and a CIDR local detector. */
function reachability(svc: ServicePort, here: Here): Reachability {
  const hasEndpoints = svc.endpoints.length > 0;
  const localEndpoints = svc.endpoints.filter((ep) => ep.node === here.node);
  return {
    hasEndpoints,
    hasExternalEndpoints: hasEndpoints && (!svc.externalLocal || localEndpoints.length > 0),
    localEndpoints,
    usesFwChain: hasEndpoints && svc.lbVips.length > 0 && svc.sourceRanges.length > 0,
    filterComment: hasEndpoints ? `${svc.name} has no local endpoints` : `${svc.name} has no endpoints`,
    filterTarget: hasEndpoints ? 'DROP' : REJECT,
  };
}

/** syncProxyRules' per-service-port block. */
function writeServiceRules(svc: ServicePort, here: Here, comments: boolean, filter: Table, nat: Table): void {
  const reach = reachability(svc, here);
  writeEntryRules(svc, reach, filter, nat);
  if (!reach.hasEndpoints) return; // no nat chains at all for a Service without endpoints
  const svcChain = `KUBE-SVC-${svc.hash}`;
  nat.append(svcChain, `! -s ${POD_CIDR} ${serviceMatch(svc, svc.clusterIp, `${svc.name} cluster IP`)} -j KUBE-MARK-MASQ`);
  if (svc.nodePort !== 0 || svc.lbVips.length > 0 || svc.externalIps.length > 0) writeExternalChain(svc, reach.hasExternalEndpoints, nat);
  if (reach.usesFwChain) writeFirewallChain(svc, here, nat);
  writeEndpointJumps(svc, svcChain, svc.endpoints, comments, nat);
  if (svc.externalLocal && reach.localEndpoints.length > 0) writeEndpointJumps(svc, `KUBE-SVL-${svc.hash}`, reach.localEndpoints, comments, nat);
  for (const ep of svc.endpoints) writeEndpointChain(svc, ep, comments, nat);
}

/** The rules in the shared chains (KUBE-SERVICES, KUBE-NODEPORTS, ...) that lead to the service. */
function writeEntryRules(svc: ServicePort, reach: Reachability, filter: Table, nat: Table): void {
  const { hasEndpoints, hasExternalEndpoints, usesFwChain, filterComment, filterTarget } = reach;
  const extChain = `KUBE-EXT-${svc.hash}`;
  const fwChain = `KUBE-FW-${svc.hash}`;
  if (hasEndpoints) nat.append('KUBE-SERVICES', `${serviceMatch(svc, svc.clusterIp, `${svc.name} cluster IP`)} -j KUBE-SVC-${svc.hash}`);
  else filter.append('KUBE-SERVICES', `${serviceMatch(svc, svc.clusterIp, filterComment)} -j ${REJECT}`);
  for (const ip of svc.externalIps) {
    if (hasEndpoints) nat.append('KUBE-SERVICES', `${serviceMatch(svc, ip, `${svc.name} external IP`)} -j ${extChain}`);
    if (!hasExternalEndpoints) filter.append('KUBE-EXTERNAL-SERVICES', `${serviceMatch(svc, ip, filterComment)} -j ${filterTarget}`);
  }
  for (const vip of svc.lbVips) {
    if (hasEndpoints) nat.append('KUBE-SERVICES', `${serviceMatch(svc, vip, `${svc.name} loadbalancer IP`)} -j ${usesFwChain ? fwChain : extChain}`);
    if (usesFwChain) filter.append('KUBE-PROXY-FIREWALL', `${serviceMatch(svc, vip, `${svc.name} traffic not accepted by ${fwChain}`)} -j DROP`);
  }
  if (!hasExternalEndpoints) {
    for (const vip of svc.lbVips) filter.append('KUBE-EXTERNAL-SERVICES', `${serviceMatch(svc, vip, filterComment)} -j ${filterTarget}`);
  }
  if (svc.nodePort !== 0) {
    const dport = `-m ${svc.proto} --dport ${svc.nodePort}`;
    if (hasEndpoints) nat.append('KUBE-NODEPORTS', `-p ${svc.proto} -m comment --comment "${svc.name}" ${dport} -j ${extChain}`);
    if (!hasExternalEndpoints) filter.append('KUBE-EXTERNAL-SERVICES', `-p ${svc.proto} -m comment --comment "${filterComment}" -m addrtype --dst-type LOCAL ${dport} -j ${filterTarget}`);
  }
  if (svc.healthCheckNodePort !== 0) {
    filter.append('KUBE-NODEPORTS', `-p tcp -m comment --comment "${svc.name} health check node port" -m tcp --dport ${svc.healthCheckNodePort} -j ACCEPT`);
  }
}

/** kube-proxy writes `-m comment -m <p> -p <p> -d <ip> --dport <port>`; iptables-save moves -d and -p first. */
function serviceMatch(svc: ServicePort, ip: string, comment: string): string {
  return `-d ${ip}/32 -p ${svc.proto} -m comment --comment "${comment}" -m ${svc.proto} --dport ${svc.port}`;
}

function writeExternalChain(svc: ServicePort, hasExternalEndpoints: boolean, nat: Table): void {
  const svcChain = `KUBE-SVC-${svc.hash}`;
  const extChain = `KUBE-EXT-${svc.hash}`;
  if (!svc.externalLocal) {
    nat.append(extChain, `-m comment --comment "masquerade traffic for ${svc.name} external destinations" -j KUBE-MARK-MASQ`);
  } else {
    // Short-circuits: pods and the node itself reach the Service through all endpoints.
    nat.append(extChain, `-s ${POD_CIDR} -m comment --comment "pod traffic for ${svc.name} external destinations" -j ${svcChain}`);
    nat.append(extChain, `-m comment --comment "masquerade LOCAL traffic for ${svc.name} external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`);
    nat.append(extChain, `-m comment --comment "route LOCAL traffic for ${svc.name} external destinations" -m addrtype --src-type LOCAL -j ${svcChain}`);
  }
  // eTP=Local without local endpoints: no final jump; filter KUBE-EXTERNAL-SERVICES drops the rest.
  if (hasExternalEndpoints) nat.append(extChain, `-j ${svc.externalLocal ? `KUBE-SVL-${svc.hash}` : svcChain}`);
}

function writeFirewallChain(svc: ServicePort, here: Here, nat: Table): void {
  const fwChain = `KUBE-FW-${svc.hash}`;
  const extChain = `KUBE-EXT-${svc.hash}`;
  const comment = `-m comment --comment "${svc.name} loadbalancer IP"`;
  for (const cidr of svc.sourceRanges) nat.append(fwChain, `-s ${cidr} ${comment} -j ${extChain}`);
  // A range holding the node IP also admits the VIP as source: VIP-like LBs loop node traffic back.
  if (svc.sourceRanges.some((cidr) => cidrContains(cidr, here.ip))) {
    for (const vip of svc.lbVips) nat.append(fwChain, `-s ${vip}/32 ${comment} -j ${extChain}`);
  }
  nat.append(fwChain, `-m comment --comment "other traffic to ${svc.name} will be dropped by KUBE-PROXY-FIREWALL"`);
}

/** writeServiceToEndpointRules: affinity checks first, then a statistic cascade over the endpoints. */
function writeEndpointJumps(svc: ServicePort, chain: string, endpoints: Endpoint[], comments: boolean, nat: Table): void {
  const comment = (ep: Endpoint): string => (comments ? `-m comment --comment "${svc.name} -> ${ep.hostPort}" ` : '');
  if (svc.clientIpAffinity) {
    for (const ep of endpoints) {
      nat.append(chain, `${comment(ep)}-m recent --rcheck --seconds ${STICKY_SECONDS} --reap --name ${ep.chain} --mask 255.255.255.255 --rsource -j ${ep.chain}`);
    }
  }
  endpoints.forEach((ep, i) => {
    const remaining = endpoints.length - i;
    const statistic = remaining > 1 ? `-m statistic --mode random --probability ${savedProbability(remaining)} ` : '';
    nat.append(chain, `${comment(ep)}${statistic}-j ${ep.chain}`);
  });
}

function writeEndpointChain(svc: ServicePort, ep: Endpoint, comments: boolean, nat: Table): void {
  const comment = comments ? `-m comment --comment "${svc.name}" ` : '';
  const recent = svc.clientIpAffinity ? `-m recent --set --name ${ep.chain} --mask 255.255.255.255 --rsource ` : '';
  nat.append(ep.chain, `-s ${ep.ip}/32 ${comment}-j KUBE-MARK-MASQ`); // hairpin: a pod reaching itself
  nat.append(ep.chain, `-p ${svc.proto} ${comment}${recent}-m ${svc.proto} -j DNAT --to-destination ${ep.hostPort}`);
}

// ---------------------------------------------------------------------------------------------
// iptables-save layout

/** One table's chains; rules are full `-A CHAIN ...` lines in chain order. */
class Table {
  private readonly chains = new Map<string, string[]>();

  constructor(
    readonly name: string,
    private readonly builtins: readonly string[],
  ) {
    for (const chain of builtins) this.chains.set(chain, []);
  }

  declare(chain: string): string[] {
    let rules = this.chains.get(chain);
    if (rules === undefined) {
      rules = [];
      this.chains.set(chain, rules);
    }
    return rules;
  }

  append(chain: string, rule: string): void {
    this.declare(chain).push(`-A ${chain} ${rule}`);
  }

  prepend(chain: string, rule: string): void {
    this.declare(chain).unshift(`-A ${chain} ${rule}`);
  }

  /** Builtin chains in hook order with their policy, then user chains sorted by name (strcmp). */
  renderInto(lines: string[]): void {
    const builtinSet = new Set(this.builtins);
    const userChains = [...this.chains.keys()].filter((chain) => !builtinSet.has(chain)).sort();
    for (const chain of this.builtins) lines.push(`:${chain} ACCEPT [0:0]`);
    for (const chain of userChains) lines.push(`:${chain} - [0:0]`);
    for (const chain of [...this.builtins, ...userChains]) {
      for (const rule of this.chains.get(chain) ?? []) lines.push(rule);
    }
  }
}

function renderSave(tables: Table[], backend: Backend): string {
  const tool = backend === 'nft' ? 'iptables-save v1.8.9 (nf_tables)' : 'iptables-save v1.8.9';
  const lines: string[] = [];
  for (const table of tables) {
    lines.push(`# Generated by ${tool} on ${SAVE_DATE}`, `*${table.name}`);
    table.renderInto(lines);
    lines.push('COMMIT', `# Completed on ${SAVE_DATE}`);
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// kube-proxy's --probability numbers

const probabilityCache = new Map<number, string>();

/** How iptables-save prints kube-proxy's `--probability` for 1/n (computed once per n). */
function savedProbability(n: number): string {
  let text = probabilityCache.get(n);
  if (text === undefined) {
    text = savedProbabilityOf(kubeProxyProbability(n));
    probabilityCache.set(n, text);
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

/** mulberry32: tiny, fast, and identical on every platform, which Math.random is not. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A generator that goes on from this one's current state, independently of it. */
  fork(): Rng {
    return new Rng(this.state);
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }

  /** Fisher-Yates, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [items[i], items[j]] = [items[j] as T, items[i] as T];
    }
    return items;
  }
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** The n-th address (n < 65536) of a /16 given by its first two octets. */
export function octetAddress(prefix: readonly [number, number], n: number): string {
  return `${prefix[0]}.${prefix[1]}.${n >> 8}.${n & 0xff}`;
}

// ---------------------------------------------------------------------------------------------
// CLI

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      services: { type: 'string', default: '1000' },
      endpoints: { type: 'string', default: '3' },
      'no-comments': { type: 'boolean', default: false },
      seed: { type: 'string', default: '1' },
      backend: { type: 'string', default: 'nft' },
      nodes: { type: 'string', default: String(NODE_COUNT) },
      node: { type: 'string', default: '0' },
    },
  });
  if (values.backend !== 'nft' && values.backend !== 'legacy') throw new Error(`--backend must be nft or legacy, got ${values.backend}`);
  const dump = generateDump({
    services: Number(values.services),
    endpointsPerService: Number(values.endpoints),
    comments: !values['no-comments'],
    seed: Number(values.seed),
    backend: values.backend,
    nodes: Number(values.nodes),
    node: Number(values.node),
  });
  process.stdout.write(dump.text);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2));
}
