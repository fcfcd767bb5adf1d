export type Hook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

/**
 * Tables registered at each hook, lowest priority first (NF_IP_PRI_*: raw -300, conntrack -200,
 * mangle -150, nat DNAT -100, filter 0, security 50, nat SNAT 100). nat runs at PREROUTING and
 * OUTPUT to rewrite the destination, and at INPUT and POSTROUTING to rewrite the source.
 */
export const HOOK_TABLES: Record<Hook, readonly string[]> = {
  PREROUTING: ['raw', 'mangle', 'nat'],
  INPUT: ['mangle', 'filter', 'security', 'nat'],
  FORWARD: ['mangle', 'filter', 'security'],
  OUTPUT: ['raw', 'mangle', 'nat', 'filter', 'security'],
  POSTROUTING: ['mangle', 'nat'],
};

/** Which NAT manipulation a nat table decides at this hook. */
export const NAT_MANIP: Partial<Record<Hook, 'dnat' | 'snat'>> = {
  PREROUTING: 'dnat',
  OUTPUT: 'dnat',
  INPUT: 'snat',
  POSTROUTING: 'snat',
};
