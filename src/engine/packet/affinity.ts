/**
 * Session affinity as the walk states it, the same words for every evaluator (kube-proxy's recent
 * lists in iptables mode, its affinity sets in nftables mode, IPVS persistence), so one walk lists
 * the assumption once whichever rules made it.
 *
 * The question np-doctor answers is a client's first connection. Affinity state is written only by
 * the client's own earlier connections (xt_recent `--set`, nft `update @set { ip saddr }`, an IPVS
 * persistence template made when the scheduler picked a real server), so a client that never
 * connected is in none of it: the affinity test fails and the first connection takes the split a
 * new client takes. A returning client (Packet.returningClient) is in exactly one of them, for an
 * endpoint the dump does not show: every endpoint is possible.
 */

/** What holds the affinity state, as the notes name it. */
export type AffinityKind = 'iptables' | 'nft' | 'ipvs';

const HELD_BY: Record<AffinityKind, string> = {
  iptables: "kube-proxy's session-affinity lists (-m recent)",
  nft: "kube-proxy's session-affinity sets (@affinity-…)",
  ipvs: "the service's persistence templates",
};

const HIDDEN: Record<AffinityKind, string> = {
  iptables: 'iptables-save does not show (the lists are in /proc/net/xt_recent)',
  nft: 'the dump does not show for this client',
  ipvs: 'ipvsadm-save does not show (ipvsadm -Lnc lists the templates)',
};

/** A new client: the affinity test fails (the walk's default). */
export function firstConnectionNote(kind: AffinityKind): string {
  return `a new client: ${HELD_BY[kind]} hold only clients that connected before, so its first connection goes where a new client's does (--returning-client replays one that connected before)`;
}

/** A returning client whose endpoint the dump cannot tell: every endpoint, equally weighted. */
export function returningClientNote(kind: AffinityKind): string {
  const what = kind === 'ipvs' ? 'real server' : 'endpoint';
  return `a returning client: ${HELD_BY[kind]} send it back to the ${what} it had, which ${HIDDEN[kind]}; every ${what} is taken as equally likely, as new clients are spread`;
}
