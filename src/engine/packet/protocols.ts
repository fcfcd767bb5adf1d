/** IP protocol numbers by the names iptables and nft accept (as /etc/protocols spells them), or a number as given. */
const PROTOCOLS: Record<string, number> = {
  all: 0, icmp: 1, igmp: 2, tcp: 6, udp: 17, gre: 47, esp: 50, ah: 51, dccp: 33,
  icmpv6: 58, 'ipv6-icmp': 58, sctp: 132, udplite: 136,
};

export function protocolNumber(name: string): number | undefined {
  const lower = name.toLowerCase();
  if (lower in PROTOCOLS) return PROTOCOLS[lower];
  return /^\d+$/.test(lower) ? Number(lower) : undefined;
}
