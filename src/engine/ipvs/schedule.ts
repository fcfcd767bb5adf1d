import { hostPort } from '../address.js';
import { firstConnectionNote, returningClientNote } from '../packet/affinity.js';
import type { Branch } from '../packet/branch.js';
import type { IpvsReal, IpvsService, IpvsState } from './types.js';

export interface IpvsChoice {
  real: IpvsReal;
  /** Share of new connections this real server gets (over many connections); they sum to 1. */
  probability: number;
  /** Why the share is only a model (live connection counts, hashing, persistence), when it is. */
  why?: string;
}

/**
 * The virtual service that takes the first packet of a connection on LOCAL_IN, and how its
 * scheduler spreads new connections over the real servers. null when no virtual service matches
 * (IPVS lets the packet go on to local delivery).
 *
 * Service lookup follows ip_vs_service_find (ip_vs_ctl.c): a non-zero skb mark first tries the
 * fwmark services of the packet's family; then protocol + virtual address + port; then the
 * catch-all port 0 of that address. (The FTP data-connection fallback to port 21 is not modelled.)
 * ICMP is never scheduled: IPVS only handles ICMP errors about connections it already has.
 *
 * `choices` is empty when no real server can take a new connection (none, or all of weight 0).
 * The kernel then (ip_vs_schedule → NULL; tcp/udp/sctp_conn_schedule → ip_vs_leave, also for
 * persistent services, where ip_vs_sched_persist sets *ignored = 0) sends ICMP port unreachable
 * (ICMPv6 port unreachable for IPv6) to the client — never a TCP RST, "the TCP socket is not
 * actually created" — and drops the packet. Two exceptions in ip_vs_leave: a fwmark service with
 * the cache_bypass sysctl on forwards a packet for a non-local unicast address unchanged, and a
 * port-21 service lets packets for other ports go on (NF_ACCEPT); neither applies to kube-proxy's
 * NodePorts.
 *
 * Schedulers (net/netfilter/ipvs/ip_vs_*.c):
 * - rr: servers in turn, skipping weight 0 (quiesced) and overloaded ones; weights otherwise do
 *   not matter, so every server with weight > 0 gets an equal share.
 * - wrr: in proportion to weight.
 * - sh (source hash) and mh (maglev hash): a fixed table of buckets filled in proportion to weight;
 *   a client's address (and port with sh-port/mh-port) picks its bucket. Shares here are per weight
 *   over many clients.
 * - dh (destination hash): buckets are filled one per server whatever the weight, and hashed by the
 *   destination address — for one virtual address every client lands on the same server.
 * - fo: the server with the highest weight takes everything.
 * - lc, wlc, sed, nq, ovf, lblc, lblcr, twos and anything else: the choice depends on live
 *   connection counts (or randomness); each server with weight > 0 gets an equal share here.
 */
export function ipvsSchedule(state: IpvsState, b: Branch, returningClient = false): { service: IpvsService; choices: IpvsChoice[] } | null {
  const service = findService(state, b);
  if (!service) return null;
  return { service, choices: returningClient && service.persistent !== null ? persisted(service) : choose(service) };
}

/**
 * A returning client of a persistent service (ip_vs_sched_persist): its persistence template sends
 * it back to the real server it had, without asking the scheduler, for as long as that server is
 * in the service, weight 0 included (unless net.ipv4.vs.expire_quiescent_template is on). Which
 * server that is a dump does not show: each one, equally.
 */
function persisted(s: IpvsService): IpvsChoice[] {
  const quiesced = s.reals.filter((r) => r.weight === 0);
  const why = [
    `persistent service (-p ${s.persistent}): ${returningClientNote('ipvs')}`,
    ...(quiesced.length ? [`${quiesced.map((r) => hostPort(r.address, r.port)).join(', ')} (weight 0) still take${quiesced.length === 1 ? 's' : ''} the clients ${quiesced.length === 1 ? 'it' : 'they'} had, unless net.ipv4.vs.expire_quiescent_template is 1`] : []),
  ].join('; ');
  return s.reals.map((real) => ({ real, probability: 1 / s.reals.length, why }));
}

function findService(state: IpvsState, b: Branch): IpvsService | null {
  if (b.proto === 'icmp') return null;
  const family = b.dst.family;
  if (b.mark !== 0) {
    const fwm = state.services.find((s) => s.fwmark !== null && s.fwmark === b.mark >>> 0 && s.family === family);
    if (fwm) return fwm;
  }
  // Addresses are canonical on both sides (parseAddr's text), so text equality is address equality.
  const at = (port: number) => state.services.find((s) => s.fwmark === null && s.proto === b.proto && s.port === port && s.address === b.dst.text);
  return at(b.dport ?? -1) ?? at(0) ?? null;
}

/** Schedulers that pick by live connection counts (twos: two random candidates, then counts). */
const COUNTING = new Set(['lc', 'wlc', 'sed', 'nq', 'ovf', 'lblc', 'lblcr', 'twos']);

function choose(s: IpvsService): IpvsChoice[] {
  if (s.fwmark === null && s.port === 0 && s.persistent === null) {
    // ip_vs_schedule: "port zero only supported in persistent services" → no destination.
    return [];
  }
  const live = s.reals.filter((r) => r.weight > 0);
  const notes: string[] = [];
  if (s.persistent !== null) {
    const network = s.persistenceMask < (s.family === 4 ? 32 : 128) ? `; a template covers the client's /${s.persistenceMask}, so a new client whose neighbour connected within ${s.persistent} s goes where the neighbour went` : '';
    notes.push(`persistent service (-p ${s.persistent}): ${firstConnectionNote('ipvs')}${network}`);
  }
  const capped = live.filter((r) => r.upperThreshold > 0);
  if (capped.length) {
    notes.push(`${capped.map((r) => hostPort(r.address, r.port)).join(', ')} stop${capped.length === 1 ? 's' : ''} taking new connections while over ${capped.length === 1 ? 'its' : 'their'} upper threshold (-x), which depends on live connection counts`);
  }
  let shares: number[];
  const sched = s.scheduler;
  switch (sched) {
    case 'rr':
      shares = live.map(() => 1);
      break;
    case 'wrr':
      shares = live.map((r) => r.weight);
      break;
    case 'sh':
    case 'mh': {
      shares = live.map((r) => r.weight);
      const port = s.schedFlags.includes(`${sched}-port`) ? ' and port' : '';
      notes.push(`${sched} hashes the client's address${port}: one client always gets the same real server; shares are per weight over many clients`);
      const quiesced = s.reals.filter((r) => r.weight === 0);
      if (quiesced.length && !s.schedFlags.includes(`${sched}-fallback`)) {
        notes.push(`clients that hash to a weight-0 server (${quiesced.map((r) => hostPort(r.address, r.port)).join(', ')}) are refused with ICMP port unreachable unless the service has -b ${sched}-fallback`);
      }
      break;
    }
    case 'dh': {
      shares = live.map(() => 1);
      notes.push('dh hashes the destination address: every client of this virtual address gets the same one real server, and which one depends on the order the kernel holds them in, which the dump does not show');
      if (s.reals.some((r) => r.weight === 0)) notes.push('if that server has weight 0, every new connection is refused with ICMP port unreachable');
      break;
    }
    case 'fo': {
      // Weighted failover: the available server with the highest weight takes every new connection.
      const top = Math.max(0, ...live.map((r) => r.weight));
      shares = live.map((r) => (r.weight === top ? 1 : 0));
      if (shares.filter((x) => x > 0).length > 1) notes.push('fo sends every new connection to one of the servers with the highest weight; which one depends on the order the kernel holds them in, which the dump does not show');
      break;
    }
    default:
      shares = live.map(() => 1);
      notes.push(COUNTING.has(sched)
        ? `${sched} picks by live connection counts${sched === 'twos' ? ' and chance' : ''}, which a dump does not show; each server with weight > 0 is given an equal share`
        : `scheduler ${sched} is not modelled by np-doctor; each server with weight > 0 is given an equal share`);
  }
  const total = shares.reduce((a, x) => a + x, 0);
  const why = notes.length ? notes.join('; ') : undefined;
  return live.flatMap((real, i) => {
    const share = shares[i] ?? 0;
    return share > 0 ? [{ real, probability: share / total, ...(why === undefined ? {} : { why }) }] : [];
  });
}
