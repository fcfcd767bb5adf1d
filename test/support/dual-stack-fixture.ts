/**
 * Dual-stack and IPv6-only snapshots for the analysis tests, made from a scenario-kit IPv4 snapshot
 * (until the kit prints IPv6 itself): every IPv4 address of the cluster gets an IPv6 twin
 * (a.b.c.d → fd00:a:b:c::d, a /24 → /64, a /32 → /128), and each node gains what a dual-stack
 * kube-proxy and kernel show: ip6tables dumps that are the IPv4 ones translated (less kubelet's
 * IPv4-only localnet DROP and localhost NodePort rules, the NodePort tail excluding ::1 as
 * kube-proxy writes it), `ip6` copies of the `ip` tables in `nft -j list ruleset`, IPv6 IPVS
 * virtual services, inet6
 * addresses, IPv6 routes and net.ipv6.conf.all.forwarding=1. The API objects gain IPv6 podIPs,
 * InternalIPs, podCIDRs, ClusterIPs and IPv6 EndpointSlices, and every Service its ipFamilies.
 */
import { createRequire } from 'node:module';
import type * as Ipaddr from 'ipaddr.js';
import type { KubeObject, NodeState, Snapshot } from '../../src/snapshot/schema.js';

const ipaddr = createRequire(import.meta.url)('ipaddr.js') as typeof Ipaddr;

type Family = 4 | 6;

export interface DualStackOptions {
  /** spec.ipFamilies of every Service, primary first: [4, 6] (default), [6, 4], or [6] (IPv6-only: the IPv4 rules are dropped). */
  families?: Family[];
  /** Changes one node's ip6tables-nft-save text (break IPv6 only). */
  editIp6tables?: (node: string, text: string) => string;
  /** net.ipv6.conf.all.forwarding per node (default 1 everywhere). */
  ipv6Forwarding?: Record<string, boolean>;
}

/** The IPv6 twin of an IPv4 address: a.b.c.d → fd00:a:b:c::d. */
export function v6Of(ip: string): string {
  const [a, b, c, d] = ip.split('.').map(Number) as [number, number, number, number];
  return new ipaddr.IPv6([0xfd00, a, b, c, 0, 0, 0, d]).toRFC5952String();
}

/** The IPv6 twin's prefix length: the bytes a, b, c sit in groups 1-3, d in group 7. */
export function v6Prefix(bits: number): number {
  if (bits === 0) return 0;
  if (bits >= 32) return 128;
  const full = Math.floor(bits / 8);
  const rest = bits % 8;
  return full === 3 ? 120 + rest : rest === 0 ? 16 * (full + 1) : 16 * (full + 1) + 8 + rest;
}

const QUAD = String.raw`(?<![\d.])((?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3})(?![\d.])`;

/** Every IPv4 address in a text in its IPv6 form: `a/n` → twin/n', `a:port` → `[twin]:port`. */
export function translateText(text: string): string {
  return text
    .replace(new RegExp(`${QUAD}:(\\d+)`, 'g'), (_m, ip: string, port: string) => `[${v6Of(ip)}]:${port}`)
    .replace(new RegExp(`${QUAD}/(\\d+)`, 'g'), (_m, ip: string, bits: string) => `${v6Of(ip)}/${v6Prefix(Number(bits))}`)
    .replace(new RegExp(QUAD, 'g'), (_m, ip: string) => v6Of(ip));
}

/** An iptables-save dump as ip6tables-save prints the same rules. */
export function ip6tablesOf(dump: string): string {
  return translateText(dump.split('\n')
    // kubelet's localnet DROP and kube-proxy's localhost NodePort rules exist only in IPv4.
    .filter((l) => !l.includes('127.0.0.0/8'))
    .map((l) => l
      .replace(/^# (Generated|Completed) by iptables/, '# $1 by ip6tables')
      .replace(/-m addrtype --dst-type LOCAL -j KUBE-NODEPORTS/, '-m addrtype --dst-type LOCAL ! -d ::1/128 -j KUBE-NODEPORTS')
      .replace(/--reject-with icmp-port-unreachable/g, '--reject-with icmp6-port-unreachable')
      .replace(/--reject-with icmp-host-prohibited/g, '--reject-with icmp6-adm-prohibited'))
    .join('\n'));
}

/** A JSON value with its IPv4 addresses (and `ip` families, payloads and set types) in IPv6 form. */
function translateJson(v: unknown): unknown {
  if (typeof v === 'string') return v === 'ip' ? 'ip6' : v === 'ipv4_addr' ? 'ipv6_addr' : translateText(v);
  if (Array.isArray(v)) return v.map(translateJson);
  if (typeof v !== 'object' || v === null) return v;
  const o = v as Record<string, unknown>;
  // {"prefix": {"addr": "10.244.0.0", "len": 16}}
  if (typeof o.addr === 'string' && typeof o.len === 'number' && /^\d+\.\d+\.\d+\.\d+$/.test(o.addr)) return { ...o, addr: v6Of(o.addr), len: v6Prefix(o.len) };
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, translateJson(x)]));
}

/** `nft -j list ruleset` with an `ip6` twin of every `ip` table. */
function nftWithIp6(stdout: string): string {
  const doc = JSON.parse(stdout) as { nftables: Record<string, { family?: string }>[] };
  const ip = doc.nftables.filter((item) => Object.values(item)[0]?.family === 'ip');
  return JSON.stringify({ nftables: [...doc.nftables, ...ip.map((item) => translateJson(item) as Record<string, { family?: string }>)] });
}

interface AddrInfo { family: string; local: string; prefixlen: number; scope?: string }

function withInet6(ipAddr: string): string {
  const links = JSON.parse(ipAddr) as { ifname: string; addr_info: AddrInfo[] }[];
  for (const l of links) {
    const twins = l.addr_info.filter((a) => a.family === 'inet' && a.scope === 'global')
      .map((a): AddrInfo => ({ family: 'inet6', local: v6Of(a.local), prefixlen: v6Prefix(a.prefixlen), scope: 'global' }));
    // The kernel keeps a device's IPv6 addresses in scope order, global before link-local (ipv6_link_dev_addr).
    const firstV6 = l.addr_info.findIndex((a) => a.family === 'inet6');
    l.addr_info.splice(firstV6 === -1 ? l.addr_info.length : firstV6, 0, ...twins);
  }
  return JSON.stringify(links);
}

/** The main table's IPv4 unicast routes, in IPv6 form (what `ip -6 -j route` would list beside the link-local ones). */
function ip6Routes(ipRoute: string, ip6Route: string): string {
  const v4 = (JSON.parse(ipRoute) as Record<string, unknown>[])
    .filter((r) => (r.type === undefined || r.type === 'unicast') && r.table === undefined && (r.dst === 'default' || /^\d+\.\d+\.\d+\.\d+/.test(String(r.dst))));
  return JSON.stringify([...v4.map(translateJson), ...(JSON.parse(ip6Route) as unknown[])]);
}

function editNode(n: NodeState, o: DualStackOptions, v6Only: boolean): NodeState {
  const commands = { ...n.commands };
  const set = (id: string, stdout: string) => {
    if (commands[id] !== undefined) commands[id] = { ...commands[id], stdout };
  };
  const v4nft = commands['iptables-nft-save']?.stdout ?? '';
  const v4legacy = commands['iptables-legacy-save']?.stdout ?? '';
  const edit = (t: string) => (o.editIp6tables ? o.editIp6tables(n.name, t) : t);
  if (v4nft.trim() !== '') set('ip6tables-nft-save', edit(ip6tablesOf(v4nft)));
  if (v4legacy.trim() !== '') set('ip6tables-legacy-save', ip6tablesOf(v4legacy));
  set('ip6tables-save', ip6tablesOf(commands['iptables-save']?.stdout ?? ''));
  if (commands['nft-ruleset']?.exitCode === 0) set('nft-ruleset', nftWithIp6(commands['nft-ruleset'].stdout));
  // IPVS mode: kube-proxy's IPv6 proxier adds an IPv6 virtual service beside each IPv4 one (`-t [addr]:port`).
  const ipvs = commands['ipvsadm-save'];
  if (ipvs?.exitCode === 0 && ipvs.stdout.trim() !== '') set('ipvsadm-save', ipvs.stdout + translateText(ipvs.stdout));
  if (commands['ip-addr'] !== undefined) set('ip-addr', withInet6(commands['ip-addr'].stdout));
  // Pods' namespaces: `netns: NAME` headers, each with its `ip -j addr` JSON; their servers bound to
  // the wildcard of both families (`*:8080`), as a server on [::] without IPV6_V6ONLY is.
  if (commands['pod-netns-addresses']?.exitCode === 0) {
    set('pod-netns-addresses', commands['pod-netns-addresses'].stdout.split('\n').map((l) => (l.startsWith('[') ? withInet6(l) : l)).join('\n'));
  }
  if (commands['pod-netns-sockets']?.exitCode === 0) {
    set('pod-netns-sockets', commands['pod-netns-sockets'].stdout.replace(/0\.0\.0\.0:(\d+)(\s+)0\.0\.0\.0:\*/g, (_m, port: string, gap: string) => `*:${port}${gap}*:*`));
  }
  if (commands['ip-route'] !== undefined && commands['ip6-route'] !== undefined) set('ip6-route', ip6Routes(commands['ip-route'].stdout, commands['ip6-route'].stdout));
  if (commands.sysctls !== undefined) {
    const on = o.ipv6Forwarding?.[n.name] ?? true;
    set('sysctls', commands.sysctls.stdout.replace(/^net\.ipv6\.conf\.all\.forwarding = \d$/m, `net.ipv6.conf.all.forwarding = ${on ? 1 : 0}`));
  }
  if (v6Only) {
    for (const id of ['iptables-nft-save', 'iptables-legacy-save', 'iptables-save']) set(id, '');
  }
  return { ...n, commands };
}

const clone = <T>(x: T): T => structuredClone(x);

function dualObjects(c: Snapshot['cluster'], families: Family[]): Snapshot['cluster'] {
  const names = families.map((f) => (f === 4 ? 'IPv4' : 'IPv6'));
  const order = <T>(v4: T[], v6: T[]): T[] => (families.length === 1 ? v6 : families[0] === 4 ? [...v4, ...v6] : [...v6, ...v4]);
  const services = c.services.map((s) => {
    const spec = clone(s.spec ?? {}) as Record<string, unknown>;
    const ips = (spec.clusterIPs as string[] | undefined) ?? [];
    if (ips.length === 0 || ips[0] === 'None') return s;
    const clusterIPs = order(ips, ips.map(v6Of));
    return { ...s, spec: { ...spec, clusterIP: clusterIPs[0], clusterIPs, ipFamilies: names, ipFamilyPolicy: families.length === 2 ? 'RequireDualStack' : 'SingleStack' } };
  });
  const slices6 = c.endpointSlices.filter((s) => (s as { addressType?: string }).addressType === 'IPv4').map((s) => {
    const t = clone(s) as KubeObject & { addressType: string; endpoints?: { addresses: string[] }[] };
    t.metadata = { ...t.metadata, name: `${t.metadata.name}-v6` };
    t.addressType = 'IPv6';
    for (const e of t.endpoints ?? []) e.addresses = e.addresses.map(v6Of);
    return t;
  });
  const endpointSlices = families.length === 1 ? slices6 : [...c.endpointSlices, ...slices6];
  const pods = c.pods.map((p) => {
    const status = clone(p.status ?? {}) as { podIP?: string; podIPs?: { ip: string }[] };
    const hostNetwork = (p.spec as { hostNetwork?: boolean } | undefined)?.hostNetwork === true;
    if (status.podIP === undefined) return p;
    const v4 = (status.podIPs ?? [{ ip: status.podIP }]).map((x) => x.ip);
    const ips = hostNetwork ? v4.concat(v4.map(v6Of)) : order(v4, v4.map(v6Of));
    return { ...p, status: { ...status, podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) } };
  });
  const nodes = c.nodes.map((n) => {
    const status = clone(n.status ?? {}) as { addresses?: { type: string; address: string }[] };
    const spec = clone(n.spec ?? {}) as { podCIDR?: string; podCIDRs?: string[] };
    const internal = (status.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => ({ type: 'InternalIP', address: v6Of(a.address) }));
    const cidrs = spec.podCIDRs ?? (spec.podCIDR ? [spec.podCIDR] : []);
    const cidrs6 = order(cidrs, cidrs.map(translateText));
    return {
      ...n,
      status: { ...status, addresses: [...(status.addresses ?? []), ...internal] },
      spec: { ...spec, ...(cidrs6.length > 0 ? { podCIDR: cidrs6[0], podCIDRs: cidrs6 } : {}) },
    };
  });
  const config = c.kubeProxy.config;
  const kubeProxy = config === null || config.clusterCIDR === null || config.clusterCIDR === ''
    ? c.kubeProxy
    : { ...c.kubeProxy, config: { ...config, clusterCIDR: order([config.clusterCIDR], [translateText(config.clusterCIDR)]).join(',') } };
  return { ...c, services, endpointSlices, pods, nodes, kubeProxy };
}

/** A kit snapshot made dual-stack (or IPv6-only). */
export function dualStack(snapshot: Snapshot, o: DualStackOptions = {}): Snapshot {
  const families = o.families ?? [4, 6];
  const v6Only = families.length === 1 && families[0] === 6;
  return {
    ...snapshot,
    cluster: dualObjects(snapshot.cluster, families),
    nodes: snapshot.nodes.map((n) => editNode(n, o, v6Only)),
  };
}
