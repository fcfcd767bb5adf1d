/**
 * kube-proxy's fixed per-sync rules (reference kube-proxy-dataplane.md §1.2–1.3), written once in
 * kube-proxy's own restore-input form, with the per-service rules of a scenario spliced in.
 * Scenario files keep their service rules verbatim; only the boilerplate every node carries lives
 * here. The output is iptables-restore input for the nf_tables backend, including the raw-table
 * TRACE rules (lab/rules.ts) so the trace rules are part of the dump like any other rule.
 */
import { traceRaw } from '../lab/rules.js';

export interface KubeRulesOptions {
  /** Per-service nat chains to declare (KUBE-SVC-…, KUBE-EXT-…, KUBE-SEP-…). */
  natChains?: string[];
  /** Per-service nat rules, in order (they land before the KUBE-SERVICES → KUBE-NODEPORTS tail). */
  nat?: string[];
  /** Replaces the KUBE-SERVICES → KUBE-NODEPORTS tail rule(s) (nodePortAddresses, localhost). */
  nodePortsTail?: string[];
  /** KUBE-POSTROUTING's MASQUERADE rule; default true. */
  masquerade?: boolean;
  /** filter FORWARD policy; default ACCEPT. */
  forwardPolicy?: 'ACCEPT' | 'DROP';
  /** KUBE-FORWARD's `--mark 0x4000/0x4000 -j ACCEPT`; default true. */
  forwardMarkAccept?: boolean;
  /** Per-service filter rules (KUBE-EXTERNAL-SERVICES REJECT/DROP, …), after the fixed ones. */
  filter?: string[];
  /** Host firewall rules appended to filter INPUT after kube-proxy's jumps. */
  inputTail?: string[];
  /** Leave out the raw TRACE rules (nodes the probes never enter). */
  noTrace?: boolean;
  /** 6: ip6tables-restore input. kubelet's KUBE-FIREWALL localnet rule is IPv4-only, and the
   *  NodePort tail excludes ::1 (reference §1.5.6). */
  family?: 4 | 6;
  /** Whole extra tables (e.g. a `*mangle` section another agent wrote), appended as given. */
  extraTables?: string;
}

const NP_TAIL =
  '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS';
const NP_TAIL6 =
  '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL ! -d ::1/128 -j KUBE-NODEPORTS';
const LOCALNET_DROP =
  '-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP';

export function kubeRules(o: KubeRulesOptions = {}): string {
  const v6 = o.family === 6;
  const nat = [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ':KUBE-SERVICES - [0:0]',
    ':KUBE-NODEPORTS - [0:0]',
    ':KUBE-POSTROUTING - [0:0]',
    ':KUBE-MARK-MASQ - [0:0]',
    ...(o.natChains ?? []).map((c) => `:${c} - [0:0]`),
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
    '-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000',
    ...(o.masquerade === false
      ? []
      : ['-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully']),
    '-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000',
    ...(o.nat ?? []),
    ...(o.nodePortsTail ?? [v6 ? NP_TAIL6 : NP_TAIL]),
    'COMMIT',
  ];
  const filter = [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    `:FORWARD ${o.forwardPolicy ?? 'ACCEPT'} [0:0]`,
    ':OUTPUT ACCEPT [0:0]',
    ':KUBE-FIREWALL - [0:0]',
    ':KUBE-SERVICES - [0:0]',
    ':KUBE-EXTERNAL-SERVICES - [0:0]',
    ':KUBE-FORWARD - [0:0]',
    ':KUBE-NODEPORTS - [0:0]',
    ':KUBE-PROXY-FIREWALL - [0:0]',
    // Order as on a real node (reference §1.2: Prepend makes it history-dependent).
    '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
    '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
    '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    '-A INPUT -j KUBE-FIREWALL',
    ...(o.inputTail ?? []),
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
    '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
    '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -j KUBE-FIREWALL',
    ...(v6 ? [] : [LOCALNET_DROP]),
    '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
    ...(o.forwardMarkAccept === false
      ? []
      : ['-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT']),
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    ...(o.filter ?? []),
    'COMMIT',
  ];
  return [...(o.noTrace === true ? [] : [traceRaw(v6 ? 6 : 4)]), ...nat, ...filter, ...(o.extraTables !== undefined ? [o.extraTables] : []), ''].join('\n');
}


export interface ClusterServiceSpec {
  /** `ns/name:port` as kube-proxy writes it in comments. */
  svc: string;
  /** Upper-case stand-in for kube-proxy's 16-character chain hash. */
  tag: string;
  proto: 'tcp' | 'udp';
  nodePort: number;
  endpoints: { ip: string; port: number }[];
}

/**
 * The nat chains and rules kube-proxy writes for one NodePort service port with
 * externalTrafficPolicy=Cluster (reference §1.4 items 4, 7, 9, 10): KUBE-NODEPORTS → KUBE-EXT
 * (mark for masquerade) → KUBE-SVC (statistic cascade, 1/(n-i), none on the last) → KUBE-SEP
 * (hairpin mark, DNAT). Scenarios whose point is elsewhere use this; the eTP=Local, affinity and
 * nodePortAddresses scenarios spell their rules out.
 */
export function clusterService(s: ClusterServiceSpec): { chains: string[]; nat: string[] } {
  const pad = (p: string) => `${p}${s.tag}`.padEnd(25, 'A');
  const ext = pad('KUBE-EXT-');
  const svc = pad('KUBE-SVC-');
  const seps = s.endpoints.map((_, i) => pad(`KUBE-SEP-${i}`));
  const nat = [
    `-A KUBE-NODEPORTS -m comment --comment ${s.svc} -m ${s.proto} -p ${s.proto} --dport ${s.nodePort} -j ${ext}`,
    `-A ${ext} -m comment --comment "masquerade traffic for ${s.svc} external destinations" -j KUBE-MARK-MASQ`,
    `-A ${ext} -j ${svc}`,
  ];
  const n = s.endpoints.length;
  // net.JoinHostPort: IPv6 endpoints are written [addr]:port.
  const hp = (e: { ip: string; port: number }) => (e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`);
  s.endpoints.forEach((e, i) => {
    const stat = i < n - 1 ? ` -m statistic --mode random --probability ${(1 / (n - i)).toFixed(10)}` : '';
    nat.push(`-A ${svc} -m comment --comment "${s.svc} -> ${hp(e)}"${stat} -j ${seps[i]}`);
  });
  s.endpoints.forEach((e, i) => {
    nat.push(`-A ${seps[i]} -m comment --comment ${s.svc} -s ${e.ip} -j KUBE-MARK-MASQ`);
    nat.push(`-A ${seps[i]} -m comment --comment ${s.svc} -m ${s.proto} -p ${s.proto} -j DNAT --to-destination ${hp(e)}`);
  });
  return { chains: [svc, ext, ...seps], nat };
}
