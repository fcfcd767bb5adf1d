/**
 * Symbolic constants nft prints in JSON, with the kernel values behind them (uapi headers:
 * nf_conntrack_common.h, netfilter/nf_tables.h, rtnetlink.h, icmp.h, icmpv6.h, if_packet.h).
 */
import { protocolNumber } from '../packet/protocols.js';

export interface Symbols {
  /** Names the table in cache keys and messages. */
  name: string;
  values: Record<string, number>;
  /** Some types accept any number too (protocols, ICMP types). */
  numeric?: (text: string) => number | undefined;
}

const table = (name: string, values: Record<string, number>, numeric?: (t: string) => number | undefined): Symbols =>
  numeric ? { name, values, numeric } : { name, values };

/** IP protocol numbers: `meta l4proto tcp`, `ip protocol udp`, `ip6 nexthdr ipv6-icmp`. */
export const L4PROTO = table('l4proto', {}, (t) => protocolNumber(t));

/** Conntrack state bits as nft tests them (`ct state` is a bitmask; the first packet is `new`). */
export const CT_STATE = table('ct_state', { invalid: 1, established: 2, related: 4, new: 8, untracked: 64 });

/** IPS_* status bits (nf_conntrack_common.h). */
export const CT_STATUS = table('ct_status', { expected: 1, 'seen-reply': 2, assured: 4, confirmed: 8, snat: 16, dnat: 32, dying: 512 });

export const CT_DIR = table('ct_dir', { original: 0, reply: 1 });

export const NFPROTO = table('nfproto', { inet: 1, ipv4: 2, arp: 3, netdev: 5, bridge: 7, ipv6: 10 });

/** `meta protocol`: the EtherType. */
export const ETHERTYPE = table('ethertype', { ip: 0x0800, arp: 0x0806, vlan: 0x8100, ip6: 0x86dd });

/** PACKET_* of if_packet.h: `meta pkttype host`. */
export const PKTTYPE = table('pkttype', { host: 0, unicast: 0, broadcast: 1, multicast: 2, other: 3 });

/** RTN_* route types: what `fib … type` returns. */
export const FIB_ADDRTYPE = table('fib_addrtype', {
  unspec: 0, unicast: 1, local: 2, broadcast: 3, anycast: 4, multicast: 5, blackhole: 6, unreachable: 7, prohibit: 8,
});

export const TCP_FLAGS = table('tcp_flag', { fin: 1, syn: 2, rst: 4, psh: 8, ack: 16, urg: 32, ecn: 64, cwr: 128 });

const num = (t: string): number | undefined => (/^\d+$/.test(t) ? Number(t) : undefined);

export const ICMP_TYPE = table('icmp_type', {
  'echo-reply': 0, 'destination-unreachable': 3, 'source-quench': 4, redirect: 5, 'echo-request': 8,
  'router-advertisement': 9, 'router-solicitation': 10, 'time-exceeded': 11, 'parameter-problem': 12,
  'timestamp-request': 13, 'timestamp-reply': 14, 'info-request': 15, 'info-reply': 16,
  'address-mask-request': 17, 'address-mask-reply': 18,
}, num);

export const ICMP_CODE = table('icmp_code', {
  'net-unreachable': 0, 'host-unreachable': 1, 'prot-unreachable': 2, 'port-unreachable': 3, 'frag-needed': 4,
  'net-prohibited': 9, 'host-prohibited': 10, 'admin-prohibited': 13,
}, num);

export const ICMPV6_TYPE = table('icmpv6_type', {
  'destination-unreachable': 1, 'packet-too-big': 2, 'time-exceeded': 3, 'parameter-problem': 4,
  'echo-request': 128, 'echo-reply': 129, 'mld-listener-query': 130, 'mld-listener-report': 131,
  'mld-listener-done': 132, 'mld-listener-reduction': 132, 'nd-router-solicit': 133, 'nd-router-advert': 134,
  'nd-neighbor-solicit': 135, 'nd-neighbor-advert': 136, 'nd-redirect': 137, 'router-renumbering': 138,
  'ind-neighbor-solicit': 141, 'ind-neighbor-advert': 142, 'mld2-listener-report': 143,
}, num);

export const ICMPV6_CODE = table('icmpv6_code', {
  'no-route': 0, 'admin-prohibited': 1, 'addr-unreachable': 3, 'port-unreachable': 4, 'policy-fail': 5, 'reject-route': 6,
}, num);

/** The number a symbol stands for, or undefined when the table does not know it. */
export function symbolValue(s: Symbols, text: string): number | undefined {
  return s.values[text] ?? s.numeric?.(text);
}
