/**
 * kube-proxy v1.31 in IPVS mode on one node: the iptables rules it keeps around IPVS, the IPVS
 * table (`ipvsadm-save -n`), its ipsets (`ipset list`) and the addresses it binds to the
 * `kube-ipvs0` dummy device. Sources: kubernetes pkg/proxy/ipvs/proxier.go (syncProxyRules,
 * writeIptablesRules, acceptIPVSTraffic, createAndLinkKubeChain, syncService, syncEndpoint and the
 * iptablesJumpChain / iptablesChains / ipsetInfo / ipsetWithIptablesChain tables),
 * pkg/proxy/ipvs/ipset.go (set names and comments, syncIPSetEntries),
 * pkg/proxy/ipvs/ipset/ipset.go and types.go (create arguments, entry strings),
 * pkg/proxy/ipvs/util/ipvs_linux.go (netmask, destination flags), pkg/proxy/ipvs/netlink_linux.go
 * (GetAllLocalAddressesExcept, isValidForSet); reference kube-proxy-dataplane.md §4.
 *
 * Endpoint categorisation and the per-port decisions are kube-proxy-rules.ts's own
 * (servicePortPlans: CategorizeEndpoints, externalTrafficPolicy, affinity), shared by every mode.
 *
 * Deterministic choices where a live node is not (each documented where it is made):
 * - service ports are handled in service-port-name order (kube-proxy ranges over a Go map);
 * - `ipvsadm-save -n` sorts services and real servers itself (ipvsServiceOrder, ipvsDestOrder);
 * - ipsets are listed in ipsetInfo order (the kernel lists them in creation order, and kube-proxy
 *   creates them ranging over a Go map); members in kernel hash-bucket order for an `initval`
 *   derived from the node and set name (the kernel draws it at random), inserted in sorted order
 *   as one syncIPSetEntries on an empty set does;
 * - kube-ipvs0 addresses in service-port-name order.
 *
 * Modelled for IPv4 only, scheduler rr (the KubeProxyConfiguration default; the kit has no IPVS
 * knobs). The iptables-mode fault knobs missingNodePort, ctInvalidDrop and localhostNodePorts do
 * not apply to IPVS mode and are ignored; noMasqueradeRule drops the MASQUERADE rule as in
 * iptables mode.
 */
import { hostPort, proxyEndpoints, staleProxyEndpoints } from './endpoint-slices.js';
import { Ruleset, splitWords } from './iptables-text.js';
import { servicePortPlans, type KubeProxyInput } from './kube-proxy-rules.js';
import { cidrContains, intToIp, ipToInt, parseCidr, sha256 } from './net.js';
import { healthCheckNodePortOf } from './spec.js';

/** proxier.go defaultScheduler. */
const SCHEDULER = 'rr';
/** proxier.go defaultDummyDevice: every ClusterIP (and off-node external/LB IP) is bound to it as a /32. */
export const IPVS_DUMMY_DEVICE = 'kube-ipvs0';

// ---------------------------------------------------------------------------------------------
// The ipsets

type SetType = 'hash:ip' | 'hash:ip,port' | 'hash:ip,port,ip' | 'hash:ip,port,net' | 'bitmap:port';

/** ipset.go's names and comments, in proxier.go ipsetInfo order (the order `ipset list` prints here). */
const SETS = {
  loopBack: { name: 'KUBE-LOOP-BACK', type: 'hash:ip,port,ip', comment: 'Kubernetes endpoints dst ip:port, source ip for solving hairpin purpose' },
  clusterIP: { name: 'KUBE-CLUSTER-IP', type: 'hash:ip,port', comment: 'Kubernetes service cluster ip + port for masquerade purpose' },
  externalIP: { name: 'KUBE-EXTERNAL-IP', type: 'hash:ip,port', comment: 'Kubernetes service external ip + port for masquerade and filter purpose' },
  externalIPLocal: { name: 'KUBE-EXTERNAL-IP-LOCAL', type: 'hash:ip,port', comment: 'Kubernetes service external ip + port with externalTrafficPolicy=local' },
  loadBalancer: { name: 'KUBE-LOAD-BALANCER', type: 'hash:ip,port', comment: 'Kubernetes service lb portal' },
  loadBalancerFW: { name: 'KUBE-LOAD-BALANCER-FW', type: 'hash:ip,port', comment: 'Kubernetes service load balancer ip + port for load balancer with sourceRange' },
  loadBalancerLocal: { name: 'KUBE-LOAD-BALANCER-LOCAL', type: 'hash:ip,port', comment: 'Kubernetes service load balancer ip + port with externalTrafficPolicy=local' },
  loadBalancerSourceIP: { name: 'KUBE-LOAD-BALANCER-SOURCE-IP', type: 'hash:ip,port,ip', comment: 'Kubernetes service load balancer ip + port + source IP for packet filter purpose' },
  loadBalancerSourceCIDR: { name: 'KUBE-LOAD-BALANCER-SOURCE-CIDR', type: 'hash:ip,port,net', comment: 'Kubernetes service load balancer ip + port + source cidr for packet filter purpose' },
  nodePortTCP: { name: 'KUBE-NODE-PORT-TCP', type: 'bitmap:port', comment: 'Kubernetes nodeport TCP port for masquerade purpose' },
  nodePortLocalTCP: { name: 'KUBE-NODE-PORT-LOCAL-TCP', type: 'bitmap:port', comment: 'Kubernetes nodeport TCP port with externalTrafficPolicy=local' },
  nodePortUDP: { name: 'KUBE-NODE-PORT-UDP', type: 'bitmap:port', comment: 'Kubernetes nodeport UDP port for masquerade purpose' },
  nodePortLocalUDP: { name: 'KUBE-NODE-PORT-LOCAL-UDP', type: 'bitmap:port', comment: 'Kubernetes nodeport UDP port with externalTrafficPolicy=local' },
  nodePortSCTP: { name: 'KUBE-NODE-PORT-SCTP-HASH', type: 'hash:ip,port', comment: "Kubernetes nodeport SCTP port for masquerade purpose with type 'hash ip:port'" },
  nodePortLocalSCTP: { name: 'KUBE-NODE-PORT-LOCAL-SCTP-HASH', type: 'hash:ip,port', comment: "Kubernetes nodeport SCTP port with externalTrafficPolicy=local with type 'hash ip:port'" },
  healthCheckNodePort: { name: 'KUBE-HEALTH-CHECK-NODE-PORT', type: 'bitmap:port', comment: 'Kubernetes health check node port' },
  // No rule carries this comment (KUBE-IPVS-IPS has no ipsetWithIptablesChain entry).
  ipvs: { name: 'KUBE-IPVS-IPS', type: 'hash:ip', comment: 'Addresses on the ipvs interface' },
} as const satisfies Record<string, { name: string; type: SetType; comment: string }>;

type SetKey = keyof typeof SETS;
const SET_KEYS = Object.keys(SETS) as SetKey[];

/** One ipset member: kube-proxy's entry string, what `ipset list` prints, the element bytes the kernel hashes. */
interface Member {
  /** Entry.String(): what kube-proxy adds (and sorts by). */
  entry: string;
  /** The member as `ipset list` prints it (a /32 net loses its suffix). */
  text: string;
  /** The kernel's struct hash_*4_elem in memory order (bitmap:port: none). */
  elem: number[];
}

const ipBytes = (ip: string): number[] => {
  const n = ipToInt(ip);
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
};
const PROTO_NUMBER: Record<string, number> = { tcp: 6, udp: 17, sctp: 132 };
const portBytes = (port: number): number[] => [port >>> 8, port & 255];
const protoNumber = (proto: string): number => PROTO_NUMBER[proto] ?? 0;

// Entry.String() of pkg/proxy/ipvs/ipset/ipset.go, and the element the kernel stores for it
// (net/netfilter/ipset/ip_set_hash_*.c: ip, [ip2,] port (network order), proto / cidr-1, padding).
const plain = (entry: string, elem: number[]): Member => ({ entry, text: entry, elem });
const ipMember = (ip: string): Member => plain(ip, ipBytes(ip));
const ipPortMember = (ip: string, proto: string, port: number): Member =>
  plain(`${ip},${proto}:${port}`, [...ipBytes(ip), ...portBytes(port), protoNumber(proto), 0]);
const ipPortIpMember = (ip: string, proto: string, port: number, ip2: string): Member =>
  plain(`${ip},${proto}:${port},${ip2}`, [...ipBytes(ip), ...ipBytes(ip2), ...portBytes(port), protoNumber(proto), 0]);
/** hash:ip,port,net: the network is stored masked; `ipset list` prints a /32 without its suffix. */
function ipPortNetMember(ip: string, proto: string, port: number, cidr: string): Member {
  const c = parseCidr(cidr);
  const net = intToIp(c.base);
  return { entry: `${ip},${proto}:${port},${net}/${c.bits}`, text: `${ip},${proto}:${port},${c.bits === 32 ? net : `${net}/${c.bits}`}`, elem: [...ipBytes(ip), ...ipBytes(net), ...portBytes(port), (c.bits - 1) & 0x7f, protoNumber(proto)] };
}
const portMember = (port: number): Member => plain(String(port), []);

// ---------------------------------------------------------------------------------------------
// What one sync of syncProxyRules leaves behind

type IpvsProto = 'TCP' | 'UDP' | 'SCTP';

interface VirtualService {
  proto: IpvsProto;
  address: string;
  port: number;
  /** ClientIP affinity: FlagPersistent with the sticky timeout (seconds), else null. */
  persistent: number | null;
  reals: { ip: string; port: number }[];
}

interface IpvsState {
  /** activeEntries per set (deduplicated, first-insertion order). */
  sets: Record<SetKey, Map<string, Member>>;
  /** Keyed proto/address/port (syncService of an existing virtual server updates it). */
  services: Map<string, VirtualService>;
  /** activeBindAddrs: what ends up on kube-ipvs0 (and in KUBE-IPVS-IPS). */
  bindAddrs: string[];
  /** lbNoNodeAccessIPPortProtocolEntries: LB VIPs whose source ranges leave the node out. */
  lbNoNodeAccess: { ip: string; proto: string; port: number }[];
}

/**
 * The node addresses kube-proxy sees (GetAllLocalAddressesExcept(kube-ipvs0) through
 * isValidForSet): every IPv4 address on an interface other than kube-ipvs0, loopback excluded.
 */
function nodeAddressSet(nodeIps: string[]): string[] {
  return [...new Set(nodeIps.filter((ip) => !ip.includes(':') && !cidrContains('127.0.0.0/8', ip)))];
}

/**
 * The addresses kube-proxy makes NodePort virtual services on: with match-all
 * --nodeport-addresses the whole nodeAddressSet, else the node's addresses inside those CIDRs
 * (NodePortAddresses.GetNodeIPs), loopback dropped. `nodeIps` are the node's IPv4 addresses as
 * `ip addr` lists them, kube-ipvs0's excluded (normally `input.localAddresses`).
 */
export function ipvsNodePortAddresses(input: KubeProxyInput, nodeIps: string[]): string[] {
  const cidrs = input.settings.nodePortAddresses;
  const addrs = nodeAddressSet(nodeIps);
  return cidrs === null ? addrs : addrs.filter((ip) => cidrs.some((c) => cidrContains(c, ip)));
}

function ipvsState(input: KubeProxyInput, nodeIps: string[]): IpvsState {
  const { spec, settings } = input;
  const plans = servicePortPlans(input);
  const sets = Object.fromEntries(SET_KEYS.map((k) => [k, new Map<string, Member>()])) as Record<SetKey, Map<string, Member>>;
  const insert = (key: SetKey, m: Member): void => {
    if (!sets[key].has(m.entry)) sets[key].set(m.entry, m);
  };
  const services = new Map<string, VirtualService>();
  const bind = new Set<string>();
  const lbNoNodeAccess: IpvsState['lbNoNodeAccess'] = [];
  const nodeAddresses = nodeAddressSet(nodeIps);
  const hasNodePort = plans.some((p) => p.nodePort !== 0);
  const nodeIPs = hasNodePort ? ipvsNodePortAddresses(input, nodeIps) : [];

  for (const plan of plans) {
    const { svc, port, proto, eps, lbVips, externalIPs, nodePort, sourceRanges, internalLocal, externalLocal } = plan;
    const ipvsProto = proto.toUpperCase() as IpvsProto;
    const persistent = plan.affinity ? plan.affinitySeconds : null;

    // syncEndpoint: the cluster endpoints, or with onlyNodeLocalEndpoints (iTP Local for the
    // ClusterIP, eTP Local for external IPs, VIPs and NodePorts) the local ones, falling back to
    // the cluster ones when there are none. proxier.go gives the reason next to a link to
    // https://github.com/kubernetes/kubernetes/pull/97081: "Allow access from local PODs even if
    // no local endpoints exist. Traffic from an external source will be routed but the reply will
    // have the POD address and will be discarded."
    const realsFor = (onlyNodeLocal: boolean): VirtualService['reals'] => {
      const list = onlyNodeLocal && eps.local.length > 0 ? eps.local : eps.cluster;
      return [...new Map(list.map((e) => [hostPort(e), { ip: e.ip, port: e.port }])).values()];
    };
    // syncService creates the virtual server whether or not the port has endpoints; syncEndpoint
    // then adds none (a virtual service without real servers).
    const virtualService = (address: string, p: number, onlyNodeLocal: boolean): void => {
      services.set(`${ipvsProto}/${address}/${p}`, { proto: ipvsProto, address, port: p, persistent, reals: realsFor(onlyNodeLocal) });
    };

    // Hairpin: every local endpoint kube-proxy holds, ready or not (endpointsMap, IsLocal), not
    // only the categorised ones.
    const current = proxyEndpoints(input.slices.get(`${svc.namespace}/${svc.name}`) ?? [], port);
    const held = staleProxyEndpoints(input.staleEndpoints, svc, port, current) ?? current;
    for (const e of held) if (e.node === settings.nodeName) insert('loopBack', ipPortIpMember(e.ip, proto, e.port, e.ip));

    insert('clusterIP', ipPortMember(svc.clusterIP, proto, port.port));
    virtualService(svc.clusterIP, port.port, internalLocal);
    bind.add(svc.clusterIP);

    for (const ip of externalIPs) {
      insert(externalLocal ? 'externalIPLocal' : 'externalIP', ipPortMember(ip, proto, port.port));
      virtualService(ip, port.port, externalLocal);
      // "We must not add the address to the dummy device if it exist on another interface"
      if (!nodeAddresses.includes(ip)) bind.add(ip);
    }

    for (const vip of lbVips) {
      const entry = ipPortMember(vip, proto, port.port);
      insert('loadBalancer', entry);
      if (externalLocal) insert('loadBalancerLocal', entry);
      if (sourceRanges.length > 0) {
        insert('loadBalancerFW', entry);
        // ipset refuses a zero prefix ("Network address with zero prefix size cannot be stored"):
        // kube-proxy logs the failed add and the entry is missing.
        for (const cidr of sourceRanges) if (parseCidr(cidr).bits > 0) insert('loadBalancerSourceCIDR', ipPortNetMember(vip, proto, port.port, cidr));
        if (sourceRanges.some((c) => cidrContains(c, input.nodeIP))) insert('loadBalancerSourceIP', ipPortIpMember(vip, proto, port.port, vip));
        else lbNoNodeAccess.push({ ip: vip, proto, port: port.port });
      }
      virtualService(vip, port.port, externalLocal);
      if (!nodeAddresses.includes(vip)) bind.add(vip);
    }

    if (nodePort !== 0) {
      // "Skip nodePort configuration since an error occurred when computing nodeAddresses or
      // nodeIPs": a `continue` that also skips the health check node port below.
      if (nodeIPs.length === 0) continue;
      const entries = proto === 'sctp' ? nodeIPs.map((ip) => ipPortMember(ip, proto, nodePort)) : [portMember(nodePort)];
      const [all, local]: [SetKey, SetKey] = proto === 'tcp' ? ['nodePortTCP', 'nodePortLocalTCP'] : proto === 'udp' ? ['nodePortUDP', 'nodePortLocalUDP'] : ['nodePortSCTP', 'nodePortLocalSCTP'];
      for (const m of entries) insert(all, m);
      if (externalLocal) for (const m of entries) insert(local, m);
      // One virtual server per node address, not bound to kube-ipvs0.
      for (const ip of nodeIPs) virtualService(ip, nodePort, externalLocal);
    }

    const hc = healthCheckNodePortOf(spec, svc);
    if (hc !== 0) insert('healthCheckNodePort', portMember(hc));
  }

  const bindAddrs = [...bind];
  for (const ip of bindAddrs) insert('ipvs', ipMember(ip));
  return { sets, services, bindAddrs, lbNoNodeAccess };
}

// ---------------------------------------------------------------------------------------------
// iptables

/** proxier.go iptablesJumpChain, each installed with EnsureRule(Prepend) in this order. */
const JUMPS: readonly { table: 'filter' | 'nat'; from: string; to: string; comment: string }[] = [
  { table: 'nat', from: 'OUTPUT', to: 'KUBE-SERVICES', comment: 'kubernetes service portals' },
  { table: 'nat', from: 'PREROUTING', to: 'KUBE-SERVICES', comment: 'kubernetes service portals' },
  { table: 'nat', from: 'POSTROUTING', to: 'KUBE-POSTROUTING', comment: 'kubernetes postrouting rules' },
  { table: 'filter', from: 'FORWARD', to: 'KUBE-FORWARD', comment: 'kubernetes forwarding rules' },
  { table: 'filter', from: 'INPUT', to: 'KUBE-NODE-PORT', comment: 'kubernetes health check rules' },
  { table: 'filter', from: 'INPUT', to: 'KUBE-PROXY-FIREWALL', comment: 'kube-proxy firewall rules' },
  { table: 'filter', from: 'FORWARD', to: 'KUBE-PROXY-FIREWALL', comment: 'kube-proxy firewall rules' },
  { table: 'filter', from: 'INPUT', to: 'KUBE-IPVS-FILTER', comment: 'kubernetes ipvs access filter' },
  { table: 'filter', from: 'OUTPUT', to: 'KUBE-IPVS-OUT-FILTER', comment: 'kubernetes ipvs access filter' },
];

/** proxier.go iptablesChains: created (EnsureChain) and declared in the restore payload, which flushes them. */
const NAT_CHAINS = ['KUBE-SERVICES', 'KUBE-POSTROUTING', 'KUBE-NODE-PORT', 'KUBE-LOAD-BALANCER', 'KUBE-MARK-MASQ'];
const FILTER_CHAINS = ['KUBE-FORWARD', 'KUBE-NODE-PORT', 'KUBE-PROXY-FIREWALL', 'KUBE-SOURCE-RANGES-FIREWALL', 'KUBE-IPVS-FILTER', 'KUBE-IPVS-OUT-FILTER'];

/**
 * proxier.go ipsetWithIptablesChain: a rule per non-empty set, in this order (the
 * KUBE-NODE-PORT-LOCAL-* RETURN before the KUBE-NODE-PORT-* → KUBE-MARK-MASQ of its protocol).
 */
const SET_JUMPS: readonly { set: SetKey; table: 'filter' | 'nat'; from: string; to: string; match: string; proto?: string }[] = [
  { set: 'loopBack', table: 'nat', from: 'KUBE-POSTROUTING', to: 'MASQUERADE', match: 'dst,dst,src' },
  { set: 'loadBalancer', table: 'nat', from: 'KUBE-SERVICES', to: 'KUBE-LOAD-BALANCER', match: 'dst,dst' },
  { set: 'loadBalancerLocal', table: 'nat', from: 'KUBE-LOAD-BALANCER', to: 'RETURN', match: 'dst,dst' },
  { set: 'nodePortLocalTCP', table: 'nat', from: 'KUBE-NODE-PORT', to: 'RETURN', match: 'dst', proto: 'tcp' },
  { set: 'nodePortTCP', table: 'nat', from: 'KUBE-NODE-PORT', to: 'KUBE-MARK-MASQ', match: 'dst', proto: 'tcp' },
  { set: 'nodePortLocalUDP', table: 'nat', from: 'KUBE-NODE-PORT', to: 'RETURN', match: 'dst', proto: 'udp' },
  { set: 'nodePortUDP', table: 'nat', from: 'KUBE-NODE-PORT', to: 'KUBE-MARK-MASQ', match: 'dst', proto: 'udp' },
  { set: 'nodePortLocalSCTP', table: 'nat', from: 'KUBE-NODE-PORT', to: 'RETURN', match: 'dst,dst', proto: 'sctp' },
  { set: 'nodePortSCTP', table: 'nat', from: 'KUBE-NODE-PORT', to: 'KUBE-MARK-MASQ', match: 'dst,dst', proto: 'sctp' },
  { set: 'loadBalancerFW', table: 'filter', from: 'KUBE-PROXY-FIREWALL', to: 'KUBE-SOURCE-RANGES-FIREWALL', match: 'dst,dst' },
  { set: 'loadBalancerSourceCIDR', table: 'filter', from: 'KUBE-SOURCE-RANGES-FIREWALL', to: 'RETURN', match: 'dst,dst,src' },
  { set: 'loadBalancerSourceIP', table: 'filter', from: 'KUBE-SOURCE-RANGES-FIREWALL', to: 'RETURN', match: 'dst,dst,src' },
];

const commentOf = (key: SetKey): string => `-m comment --comment "${SETS[key].comment}"`;
const matchSet = (key: SetKey, match: string): string => `-m set --match-set ${SETS[key].name} ${match}`;

function writeRules(rs: Ruleset, input: KubeProxyInput, state: IpvsState): void {
  const { settings, spec } = input;
  const nat = rs.table('nat');
  const filter = rs.table('filter');
  for (const c of NAT_CHAINS) nat.declare(c);
  for (const c of FILTER_CHAINS) filter.declare(c);
  for (const j of JUMPS) (j.table === 'nat' ? nat : filter).ensureFirst(j.from, `-m comment --comment "${j.comment}" -j ${j.to}`);
  for (const c of NAT_CHAINS) nat.flush(c);
  for (const c of FILTER_CHAINS) filter.flush(c);
  const nonEmpty = (key: SetKey): boolean => state.sets[key].size > 0;

  // writeIptablesRules, in its order. Dismiss connections from localhost early.
  nat.append('KUBE-SERVICES', '-s 127.0.0.0/8 -j RETURN');
  for (const j of SET_JUMPS) {
    if (!nonEmpty(j.set)) continue;
    (j.table === 'nat' ? nat : filter).append(j.from, `${j.proto !== undefined ? `-p ${j.proto} ` : ''}${commentOf(j.set)} ${matchSet(j.set, j.match)} -j ${j.to}`);
  }
  if (nonEmpty('clusterIP')) {
    // The local-traffic detector is the kit's clusterCIDR: masquerade what does not come from a pod.
    const args = `${commentOf('clusterIP')} ${matchSet('clusterIP', 'dst,dst')}`;
    nat.append('KUBE-SERVICES', settings.masqueradeAll ? `${args} -j KUBE-MARK-MASQ` : `${args} ! -s ${spec.clusterCIDR} -j KUBE-MARK-MASQ`);
  }
  const externalIPRules = (args: string): void => {
    // Off-machine traffic (not from a bridge, not from a local process), and external IPs that are local addresses.
    nat.append('KUBE-SERVICES', `${args} -m physdev ! --physdev-is-in -m addrtype ! --src-type LOCAL -j ACCEPT`);
    nat.append('KUBE-SERVICES', `${args} -m addrtype --dst-type LOCAL -j ACCEPT`);
  };
  if (nonEmpty('externalIP')) {
    const args = `${commentOf('externalIP')} ${matchSet('externalIP', 'dst,dst')}`;
    nat.append('KUBE-SERVICES', `${args} -j KUBE-MARK-MASQ`);
    externalIPRules(args);
  }
  if (nonEmpty('externalIPLocal')) externalIPRules(`${commentOf('externalIPLocal')} ${matchSet('externalIPLocal', 'dst,dst')}`);
  nat.append('KUBE-SERVICES', '-m addrtype --dst-type LOCAL -j KUBE-NODE-PORT');
  nat.append('KUBE-LOAD-BALANCER', '-j KUBE-MARK-MASQ');
  filter.append('KUBE-SOURCE-RANGES-FIREWALL', '-j DROP');
  // LB VIPs the node may not reach (issue #119656): for IPVS source and destination are both the VIP.
  // Needs the xt_ipvs match in the kernel; iptables-text.ts prints its options as written.
  for (const e of state.lbNoNodeAccess) filter.append('KUBE-IPVS-OUT-FILTER', `-s ${e.ip} -m ipvs --vaddr ${e.ip} --vproto ${e.proto} --vport ${e.port} -j DROP`);
  // acceptIPVSTraffic: the last rules of KUBE-SERVICES.
  for (const key of ['clusterIP', 'loadBalancer'] as const) if (nonEmpty(key)) nat.append('KUBE-SERVICES', `${matchSet(key, 'dst,dst')} -j ACCEPT`);

  const mark = settings.mark;
  filter.append('KUBE-FORWARD', `-m comment --comment "kubernetes forwarding rules" -m mark --mark ${mark}/${mark} -j ACCEPT`);
  filter.append('KUBE-FORWARD', '-m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT');
  filter.append('KUBE-NODE-PORT', `${commentOf('healthCheckNodePort')} ${matchSet('healthCheckNodePort', 'dst')} -j ACCEPT`);
  // Host ports reached through a VIP are refused (issue #72236).
  for (const key of ['loadBalancer', 'clusterIP', 'externalIP', 'externalIPLocal'] as const) filter.append('KUBE-IPVS-FILTER', `${matchSet(key, 'dst,dst')} -j RETURN`);
  filter.append('KUBE-IPVS-FILTER', `${matchSet('healthCheckNodePort', 'dst')} -j RETURN`);
  filter.append('KUBE-IPVS-FILTER', `-m conntrack --ctstate NEW ${matchSet('ipvs', 'dst')} -j REJECT`);

  nat.append('KUBE-POSTROUTING', `-m mark ! --mark ${mark}/${mark} -j RETURN`);
  nat.append('KUBE-POSTROUTING', `-j MARK --xor-mark ${mark}`);
  if (!settings.noMasqueradeRule) nat.append('KUBE-POSTROUTING', '-m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully');
  nat.append('KUBE-MARK-MASQ', `-j MARK --or-mark ${mark}`);
}

/**
 * Writes the iptables rules kube-proxy keeps in IPVS mode (nat and filter only; no canary chains
 * in this mode). The node's addresses are `input.localAddresses` (kube-ipvs0's not among them).
 */
export function writeKubeProxyIpvsRules(rs: Ruleset, input: KubeProxyInput): void {
  writeRules(rs, input, ipvsState(input, input.localAddresses));
}

// ---------------------------------------------------------------------------------------------
// ipvsadm-save -n

const IPPROTO: Record<IpvsProto, number> = { TCP: 6, UDP: 17, SCTP: 132 };
const PROTO_FLAG: Record<IpvsProto, string> = { TCP: '-t', UDP: '-u', SCTP: '--sctp-service' };

/**
 * C's `int r = ntohl(a) - ntohl(b)`: the unsigned difference read as a signed 32-bit number, so
 * addresses more than 2^31 apart compare the "wrong" way (192.168.1.102 sorts before 10.96.0.1).
 */
const addrDiff = (a: string, b: string): number => (ipToInt(a) - ipToInt(b)) | 0;

/**
 * libipvs ipvs_cmp_services, which `ipvsadm -S` sorts with (it passes no --nosort): fwmark, address
 * family, protocol number, address (addrDiff), port. The comparison is a total order as long as
 * all addresses lie within 2^31 of each other going round the circle (node IPs on 192.168/16 with
 * Services on 10.96/12 do); otherwise glibc's qsort decides and this order may differ.
 */
const ipvsServiceOrder = (a: VirtualService, b: VirtualService): number =>
  IPPROTO[a.proto] - IPPROTO[b.proto] || addrDiff(a.address, b.address) || a.port - b.port;

/** libipvs ipvs_cmp_dests: address (addrDiff), port. */
const ipvsDestOrder = (a: { ip: string; port: number }, b: { ip: string; port: number }): number => addrDiff(a.ip, b.ip) || a.port - b.port;

/**
 * What `ipvsadm-save -n` (ipvsadm v1.31: `ipvsadm -S -n`) prints for kube-proxy's IPVS table: per
 * virtual service `-A -t|-u|--sctp-service ADDR:PORT -s rr [-p TIMEOUT]`, then per real server
 * `-a … -r IP:PORT -m -w 1` (masquerading, weight 1; netmask 255.255.255.255 prints no -M). A
 * virtual service per ClusterIP port, external IP, LoadBalancer VIP and node address × NodePort;
 * `nodeIps` are the node's IPv4 addresses outside kube-ipvs0 (normally `input.localAddresses`).
 */
export function ipvsadmSaveText(input: KubeProxyInput, nodeIps: string[]): string {
  const lines: string[] = [];
  for (const vs of [...ipvsState(input, nodeIps).services.values()].sort(ipvsServiceOrder)) {
    const service = `${PROTO_FLAG[vs.proto]} ${vs.address}:${vs.port}`;
    lines.push(`-A ${service} -s ${SCHEDULER}${vs.persistent !== null ? ` -p ${vs.persistent}` : ''}`);
    for (const r of [...vs.reals].sort(ipvsDestOrder)) lines.push(`-a ${service} -r ${r.ip}:${r.port} -m -w 1`);
  }
  return lines.map((l) => `${l}\n`).join('');
}

// ---------------------------------------------------------------------------------------------
// ipset list / ipset save

/**
 * Per set type, as the kernel (x86_64, Linux 6.x) and ipset v7.17 report it: the type revision,
 * "Size in memory" of the empty set, and the element size of a hash type (each bucket is
 * allocated and grown 2 slots at a time, each step counting sizeof(struct hbucket) = 32 bytes plus
 * 2 elements). bitmap:port's 65536-bit map is a fixed 8264 bytes.
 */
const KERNEL: Record<SetType, { revision: number; size: number; elem: number }> = {
  'hash:ip': { revision: 6, size: 216, elem: 4 },
  'hash:ip,port': { revision: 7, size: 216, elem: 8 },
  'hash:ip,port,ip': { revision: 6, size: 208, elem: 12 },
  'hash:ip,port,net': { revision: 8, size: 464, elem: 12 },
  'bitmap:port': { revision: 3, size: 8264, elem: 0 },
};
/** createSet's defaults (hashsize 1024, maxelem 65536, range 0-65535) and the kernel's default bucketsize. */
const HASHSIZE = 1024;
const HASH_HEADER = `family inet hashsize ${HASHSIZE} maxelem 65536 bucketsize 12`;
const BITMAP_HEADER = 'range 0-65535';

const rol32 = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/** The kernel's jhash2 (lookup3) over 32-bit words. */
function jhash2(words: number[], initval: number): number {
  let a = (0xdeadbeef + (words.length << 2) + initval) >>> 0;
  let b = a;
  let c = a;
  let i = 0;
  let left = words.length;
  const w = (n: number): number => words[i + n] ?? 0;
  while (left > 3) {
    a = (a + w(0)) >>> 0;
    b = (b + w(1)) >>> 0;
    c = (c + w(2)) >>> 0;
    a = ((a - c) ^ rol32(c, 4)) >>> 0; c = (c + b) >>> 0;
    b = ((b - a) ^ rol32(a, 6)) >>> 0; a = (a + c) >>> 0;
    c = ((c - b) ^ rol32(b, 8)) >>> 0; b = (b + a) >>> 0;
    a = ((a - c) ^ rol32(c, 16)) >>> 0; c = (c + b) >>> 0;
    b = ((b - a) ^ rol32(a, 19)) >>> 0; a = (a + c) >>> 0;
    c = ((c - b) ^ rol32(b, 4)) >>> 0; b = (b + a) >>> 0;
    left -= 3;
    i += 3;
  }
  if (left === 0) return c;
  if (left === 3) c = (c + w(2)) >>> 0;
  if (left >= 2) b = (b + w(1)) >>> 0;
  a = (a + w(0)) >>> 0;
  c = ((c ^ b) - rol32(b, 14)) >>> 0;
  a = ((a ^ c) - rol32(c, 11)) >>> 0;
  b = ((b ^ a) - rol32(a, 25)) >>> 0;
  c = ((c ^ b) - rol32(b, 16)) >>> 0;
  a = ((a ^ c) - rol32(c, 4)) >>> 0;
  b = ((b ^ a) - rol32(a, 14)) >>> 0;
  c = ((c ^ b) - rol32(b, 24)) >>> 0;
  return c;
}

/** HKEY: jhash2 of the element read as native (little-endian) 32-bit words, masked to the table. */
function bucketOf(elem: number[], initval: number): number {
  const words: number[] = [];
  for (let i = 0; i < elem.length; i += 4) words.push(((elem[i] ?? 0) | ((elem[i + 1] ?? 0) << 8) | ((elem[i + 2] ?? 0) << 16) | ((elem[i + 3] ?? 0) << 24)) >>> 0);
  return jhash2(words, initval) & (HASHSIZE - 1);
}

interface KernelSet {
  name: string;
  type: SetType;
  initval: number;
  /** In the order the kernel lists them. */
  members: string[];
  sizeInMemory: number;
  references: number;
}

/**
 * The sets as the kernel holds them after one sync: syncIPSetEntries adds the missing entries in
 * sorted order (sets.String List()), each lands in bucket HKEY(elem) and after the bucket's earlier
 * entries, and the kernel lists bucket by bucket. References are the kube-proxy rules matching the set.
 */
function kernelSets(input: KubeProxyInput, nodeIps: string[]): KernelSet[] {
  const state = ipvsState(input, nodeIps);
  const rs = new Ruleset();
  writeRules(rs, input, state);
  const references = new Map<string, number>();
  for (const table of rs.tables.values()) {
    for (const rules of table.chains.values()) {
      for (const rule of rules) {
        const words = splitWords(rule);
        words.forEach((w, i) => {
          const set = words[i + 1];
          if (w === '--match-set' && set !== undefined) references.set(set, (references.get(set) ?? 0) + 1);
        });
      }
    }
  }
  return SET_KEYS.map((key) => {
    const { name, type } = SETS[key];
    const initval = sha256(`ipset-initval/${input.settings.nodeName}/${name}`).readUInt32BE(0);
    const entries = [...state.sets[key].values()].sort((a, b) => (a.entry < b.entry ? -1 : a.entry > b.entry ? 1 : 0));
    const kernel = KERNEL[type];
    let members: string[];
    let sizeInMemory = kernel.size;
    if (type === 'bitmap:port') {
      members = entries.map((m) => Number(m.text)).sort((a, b) => a - b).map(String);
    } else {
      const placed = entries.map((m, i) => ({ m, i, bucket: bucketOf(m.elem, initval) }));
      placed.sort((a, b) => a.bucket - b.bucket || a.i - b.i);
      members = placed.map((p) => p.m.text);
      const perBucket = new Map<number, number>();
      for (const p of placed) perBucket.set(p.bucket, (perBucket.get(p.bucket) ?? 0) + 1);
      for (const n of perBucket.values()) sizeInMemory += Math.ceil(n / 2) * (32 + 2 * kernel.elem);
    }
    return { name, type, initval, members, sizeInMemory, references: references.get(name) ?? 0 };
  });
}

const headerOf = (s: KernelSet): string =>
  s.type === 'bitmap:port' ? BITMAP_HEADER : `${HASH_HEADER} initval 0x${s.initval.toString(16).padStart(8, '0')}`;

/**
 * What `ipset list` (ipset v7.17) prints for kube-proxy's sets: all seventeen of ipsetInfo (every
 * sync ensures each exists), a blank line between sets. The initval of each hash set is derived
 * from the node and set name; load ipsetSaveText() with `ipset restore` to get this exact listing.
 */
export function ipsetListText(input: KubeProxyInput, nodeIps: string[]): string {
  return kernelSets(input, nodeIps).map((s) => [
    `Name: ${s.name}`,
    `Type: ${s.type}`,
    `Revision: ${KERNEL[s.type].revision}`,
    `Header: ${headerOf(s)}`,
    `Size in memory: ${s.sizeInMemory}`,
    `References: ${s.references}`,
    `Number of entries: ${s.members.length}`,
    'Members:',
    ...s.members,
  ].map((l) => `${l}\n`).join('')).join('\n');
}

/** What `ipset save` prints for the same sets (`create` with the listed header, `add` per member, in list order). */
export function ipsetSaveText(input: KubeProxyInput, nodeIps: string[]): string {
  return kernelSets(input, nodeIps)
    .flatMap((s) => [`create ${s.name} ${s.type} ${headerOf(s)}`, ...s.members.map((m) => `add ${s.name} ${m}`)])
    .map((l) => `${l}\n`).join('');
}

// ---------------------------------------------------------------------------------------------
// kube-ipvs0

/**
 * The addresses kube-proxy binds to kube-ipvs0, each as a /32 (netlink.NewIPNet): every ClusterIP,
 * and every external IP and LoadBalancer VIP that is not an address of another interface of the
 * node (`input.localAddresses`). In service-port-name order, each once.
 */
export function ipvsDummyAddresses(input: KubeProxyInput): string[] {
  return ipvsState(input, input.localAddresses).bindAddrs;
}
