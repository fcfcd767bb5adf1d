/**
 * The fixed list of commands np-doctor runs on a node, keyed by the ids a snapshot stores their
 * output under (NodeState.commands): gathering runs exactly these, analysis reads them by id.
 * Nothing here is ever built from user or cluster data: every NodeShell runs one of these argument
 * vectors, and the SSH shell joins the constant words into its remote command line. Adding a
 * command means adding it here.
 */

export const NODE_COMMANDS = {
  // Both iptables backends: kube-proxy may use one while another agent writes the other
  // (the legacy/nft split). `iptables --version` says which one plain `iptables` is.
  'iptables-version': { argv: ['iptables', '--version'], root: false },
  'iptables-legacy-save': { argv: ['iptables-legacy-save'], root: true },
  'iptables-nft-save': { argv: ['iptables-nft-save'], root: true },
  'ip6tables-legacy-save': { argv: ['ip6tables-legacy-save'], root: true },
  'ip6tables-nft-save': { argv: ['ip6tables-nft-save'], root: true },
  // Older distributions ship only the unsuffixed names.
  'iptables-save': { argv: ['iptables-save'], root: true },
  'ip6tables-save': { argv: ['ip6tables-save'], root: true },
  'nft-ruleset': { argv: ['nft', '-j', 'list', 'ruleset'], root: true },
  // kube-proxy's nftables mode needs kernel 5.13+ and nft 1.0.1+.
  'kernel-release': { argv: ['uname', '-r'], root: false },
  'nft-version': { argv: ['nft', '--version'], root: false },
  'ipvsadm-save': { argv: ['ipvsadm-save', '-n'], root: true },
  'ipset-list': { argv: ['ipset', 'list'], root: true },
  'ip-addr': { argv: ['ip', '-j', 'addr'], root: false },
  'ip-route': { argv: ['ip', '-j', 'route', 'show', 'table', 'all'], root: false },
  'ip6-route': { argv: ['ip', '-j', '-6', 'route', 'show', 'table', 'all'], root: false },
  'ip-rule': { argv: ['ip', '-j', 'rule'], root: false },
  // The sysctls that decide NodePort traffic. `-e` ignores keys that do not exist (bridge-nf-call-*
  // exists only while br_netfilter is loaded; nf_conntrack_* only while conntrack is).
  sysctls: {
    argv: [
      'sysctl', '-e',
      'net.ipv4.ip_forward',
      'net.ipv6.conf.all.forwarding',
      'net.ipv4.conf.all.rp_filter',
      'net.ipv4.conf.default.rp_filter',
      'net.ipv4.conf.all.route_localnet',
      'net.bridge.bridge-nf-call-iptables',
      'net.bridge.bridge-nf-call-ip6tables',
      'net.netfilter.nf_conntrack_tcp_be_liberal',
      'net.netfilter.nf_conntrack_count',
      'net.netfilter.nf_conntrack_max',
      // IPVS mode: with 0, IPVS traffic skips conntrack, so kube-proxy's MASQUERADE never applies.
      'net.ipv4.vs.conntrack',
    ],
    root: false,
  },
  // Per-interface rp_filter and route_localnet: the interface names are only known on the node,
  // so read them all (-a) and keep the two keys that matter with sysctl's own regex filter.
  'sysctls-per-interface': {
    argv: ['sysctl', '-a', '-r', '^net\\.ipv4\\.conf\\.[^.]+\\.(rp_filter|route_localnet)$'],
    root: false,
  },
  'listening-sockets': { argv: ['ss', '-H', '-l', '-n', '-t', '-u', '-p'], root: true },
  // Pods' own sockets. containerd and CRI-O name each pod's network namespace under /var/run/netns,
  // which `ip -all netns exec` walks, printing "netns: NAME" before each one's output; the
  // addresses say which namespace is which pod. Runtimes that keep namespaces elsewhere (Docker
  // through cri-dockerd: /var/run/docker/netns) or inside a VM (Kata, gVisor) show none here.
  // Entering a namespace (setns) needs CAP_SYS_ADMIN, which the default debug pod does not have.
  'pod-netns-addresses': { argv: ['ip', '-all', 'netns', 'exec', 'ip', '-j', 'addr'], root: true },
  'pod-netns-sockets': { argv: ['ip', '-all', 'netns', 'exec', 'ss', '-H', '-l', '-n', '-t', '-u', '-p'], root: true },
} as const satisfies Record<string, { argv: readonly string[]; root: boolean }>;

export type NodeCommandId = keyof typeof NODE_COMMANDS;
export const NODE_COMMAND_IDS = Object.keys(NODE_COMMANDS) as NodeCommandId[];
