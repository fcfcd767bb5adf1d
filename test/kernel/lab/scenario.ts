/**
 * The shape of a kernel scenario: plain data, so a scenario file reads like a small lab notebook
 * entry (what is built, which rules each node gets, which connections are tried, and what the
 * kernel is INTENDED to do with them). The intended result is checked against the kernel on its own,
 * before any comparison with the walk: a broken lab (wrong route, dead server) must not be able to
 * make kernel and walk "agree" by both failing.
 */

export type Proto = 'tcp' | 'udp';
export type KernelResult = 'delivered' | 'refused' | 'timeout';

export interface PodSpec {
  name: string;
  /** Index into Scenario.nodes. */
  node: number;
  /** 10.244.<node>.<n> — must be inside the node's pod /24 (see lab/addressing.ts). */
  ip: string;
  /** IPv6 address (fd00:244:<node>::<n>) when the scenario carries IPv6. */
  ip6?: string;
  /** Ports the pod server answers on, TCP and UDP alike. */
  ports: number[];
}

export interface NodeRules {
  /** iptables-restore input for the nf_tables backend (`iptables-restore`, i.e. iptables-nft). */
  nft?: string;
  /** iptables-legacy-restore input (the x_tables backend). */
  legacy?: string;
  /** ip6tables-restore input (nf_tables backend). */
  nft6?: string;
  /**
   * `nft -f` input: native nftables tables (kube-proxy's nftables mode, firewalld, …). A node with
   * these is traced with `nft monitor trace` and walked with its `nft -j list ruleset` dump.
   */
  nftables?: string;
}

/** One way rules get into a node: a restore tool (see lab/rules.ts) or `nft -f`. */
export type RuleSource = keyof NodeRules;

export interface NodeSpec {
  rules?: NodeRules;
  /** Extra IPv4 addresses on the node's LAN interface (for nodePortAddresses cases). */
  extraIps?: string[];
  /** net.ipv4.conf.all.route_localnet; default 0. */
  routeLocalnet?: boolean;
  /** net.ipv6.conf.all.forwarding in an IPv6 scenario; default 1. */
  ipv6Forwarding?: boolean;
  /** Host-network servers in the node namespace: name and ports. */
  hostServers?: { name: string; ports: number[] }[];
  /** Load the legacy rules before the nft rules (the order decides which table the kernel runs
   *  first at a hook when both backends hook it at the same priority). Default: nft first. */
  legacyFirst?: boolean;
  /**
   * The order the rule sources are loaded in, every source of `rules` exactly once. At one hook
   * priority the kernel runs the hook registered LAST first, so this order is part of the
   * scenario. Required when `nftables` is combined with any iptables source (their base chains
   * can share priorities, e.g. kube-proxy ≥ 1.34's filter-input and iptables' filter INPUT at 0);
   * otherwise the default is legacyFirst's order.
   */
  loadOrder?: RuleSource[];
}

export type ProbeFrom =
  | { kind: 'client' }
  | { kind: 'pod'; pod: string }
  /** A process on the node itself (OUTPUT path). srcIp is bound explicitly so the walk's packet
   *  and the kernel's are the same. */
  | { kind: 'node'; node: number; srcIp: string };

export interface Intended {
  result: KernelResult;
  /** The exact set of pods that must answer over the tries (delivered probes). */
  pods?: string[];
  /** The address the answering pod must report as its peer (masquerade or not). */
  peerIp?: string;
  /** Every try must reach the same pod (session affinity). */
  sticky?: boolean;
  /** For probes whose reply is lost: what the pod's server must have logged receiving. */
  podSaw?: { pod: string; peerIp: string };
}

export interface Probe {
  name: string;
  from: ProbeFrom;
  to: { ip: string; port: number };
  proto: Proto;
  /** The node whose rules the walk replays and where the trace runs (the node the packet enters). */
  node: number;
  /** Minimum number of tries (connections); default 2. Random-balanced probes keep trying until
   *  every expected endpoint was seen, up to a maximum computed from the branch count. */
  tries?: number;
  intended: Intended;
}

export interface Scenario {
  name: string;
  /** One line: what this scenario shows and why it matters. */
  about: string;
  ipv6?: boolean;
  nodes: NodeSpec[];
  pods: PodSpec[];
  probes: Probe[];
}
