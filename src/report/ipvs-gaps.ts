/**
 * What a trace of a node whose kube-proxy runs in IPVS mode lacks when `ipvsadm-save -n` or
 * `ipset list` was not given. In IPVS mode the iptables rules only mark, filter and masquerade:
 * an IPVS virtual service takes a nodePort's packet at INPUT and sends it to an endpoint, and the
 * rules test kube-proxy's ipsets (KUBE-NODE-PORT-TCP, KUBE-CLUSTER-IP, …) for which ports and
 * addresses are Services'. Without the virtual services the packet ends at a local socket; without
 * the ipsets every `-m set` match is undecided and the walk follows both of its sides.
 */
import { hostPort } from '../engine/address.js';
import type { Outcome } from '../engine/packet/contract.js';
import type { Dataplane } from '../engine/walk/walk.js';
import { IPVS_MODE_CHAIN, ipvsModeChain } from '../model/proxy-mode.js';
import { firstFew } from '../text/first-few.js';

/** Where the dumps came from: files named by flags, or a node of a snapshot. */
export type TraceInputs = { kind: 'files' } | { kind: 'snapshot'; node: string };

export function ipvsMode(plane: Dataplane): boolean {
  return plane.iptables.some(ipvsModeChain);
}

/** The ipsets the walk could not look into, as the outcomes name them. */
function unseenSets(outcomes: Outcome[]): string[] {
  const names = new Set<string>();
  for (const o of outcomes) for (const m of (o.indeterminate ?? '').matchAll(/ipset (\S+) is not known/g)) names.add(m[1] as string);
  return [...names];
}

const MAX_NAMED = 3;

/** The note a trace prints under its rules, one line per item; empty when nothing is missing. */
export function ipvsGapNotes(plane: Dataplane, outcomes: Outcome[], from: TraceInputs): string[] {
  if (!ipvsMode(plane)) return [];
  const noIpvs = plane.ipvs == null;
  const noSets = plane.ipsets === undefined;
  if (!noIpvs && !noSets) return [];
  const lines = [`kube-proxy runs in IPVS mode on this node (nat chain ${IPVS_MODE_CHAIN}): IPVS virtual services, not these rules, send a nodePort to its endpoints, and the rules test kube-proxy's ipsets.`];
  const snap = from.kind === 'snapshot' ? from.node : null;
  if (noIpvs) {
    const why = snap === null ? 'No --ipvs was given' : `The snapshot holds no ipvsadm-save -n output for ${snap} (ipvsadm is not installed there, failed, or printed nothing)`;
    const fix = snap === null ? ' Pass --ipvs FILE, the output of `ipvsadm-save -n` on the node.' : '';
    lines.push(`${why}, so the walk has no virtual services: a packet IPVS would take ends at a local socket instead.${fix}`);
  }
  if (noSets) {
    const sets = unseenSets(outcomes);
    const named = firstFew(sets, MAX_NAMED);
    const why = snap === null ? 'No --ipset was given' : `The snapshot holds no ipset list output for ${snap}`;
    const fix = snap === null ? ' Pass --ipset FILE, the output of `ipset list` on the node.' : '';
    const what = sets.length ? ` (here ${named})` : '';
    lines.push(`${why}, so no -m set match${what} can be tested: the walk follows both sides of each, half the share each, which is why results depend on what the dumps do not show.${fix}`);
  }
  lines.push(snap === null
    ? '`np-doctor snapshot` gathers both, and `np-doctor trace --snapshot FILE --node NODE` replays them.'
    : 'Gather again once ipvsadm and ipset run on the node (`np-doctor snapshot` reads `ipvsadm-save -n` and `ipset list`).');
  return lines;
}

/**
 * A result that ends at a local socket untranslated, to a node address and port, when the walk had
 * no IPVS services for the packet's family: IPVS might have taken it there.
 */
export function ipvsMayTake(o: Outcome, plane: Dataplane, dst: string, dport: number | undefined): string | null {
  // The walk replays IPVS for IPv4 only: an IPv6 packet passes IPv6 virtual services by.
  const notReplayed = plane.ipvs == null ? 'IPVS was not replayed'
    : dst.includes(':') && plane.ipvs.services.some((v) => v.family === 6) ? 'IPVS was not replayed (np-doctor replays IPv4 virtual services only)' : null;
  if (notReplayed === null || !ipvsMode(plane) || o.delivery !== 'local' || o.verdict !== 'ACCEPT' || o.dnat || dport === undefined) return null;
  const at = hostPort(dst, dport);
  // kube-proxy marks a nodePort's packets for masquerade in nat KUBE-NODE-PORT only for ports in its ipsets.
  const served = o.hops.find((h) => h.family === undefined && h.table === 'nat' && h.chain === IPVS_MODE_CHAIN);
  if (served && plane.ipsets !== undefined) return `${notReplayed}: line ${served.line} of nat ${IPVS_MODE_CHAIN} matched, so kube-proxy serves ${at}, and an IPVS virtual service takes this packet at INPUT and sends it to an endpoint instead.`;
  return `${notReplayed}: if a virtual service holds ${at}, IPVS takes this packet at INPUT and sends it to an endpoint instead.`;
}
