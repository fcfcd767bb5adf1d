/**
 * Listening sockets as `ss -H -l -n -t -u -p` prints them, on a node or inside a pod's network
 * namespace, and what a pod's sockets are known to be. The one parser of ss lines: the node's
 * `listening-sockets` and every pod namespace's section of `pod-netns-sockets` go through it.
 */
import { isLoopback, parseAddr } from '../engine/address.js';

/** One listening socket: `tcp LISTEN 0 4096 127.0.0.1:8080 0.0.0.0:* users:(("app",pid=1,fd=3))`. */
export interface ListeningSocket {
  protocol: 'TCP' | 'UDP';
  /** The bound address without brackets or zone: `0.0.0.0`, `::`, `127.0.0.1`, `*`. */
  address: string;
  /**
   * Which addresses a connection from outside the namespace may reach it on: `*` is the dual-stack
   * wildcard (an IPv6 socket without IPV6_V6ONLY takes IPv4 too), `0.0.0.0` IPv4's, `::` (ss prints
   * `[::]`) IPv6 only, so an IPv4 connection to it is refused. 'address': only `address`.
   * 'loopback': 127.0.0.0/8, ::1 or ::ffff:127.x, which only the namespace itself can connect to.
   */
  reach: 'any' | 'any-ipv4' | 'any-ipv6' | 'address' | 'loopback';
  port: number;
  /** The first process name ss shows (untrusted text), or null. */
  process: string | null;
  /** The line as ss printed it (untrusted text), for evidence. */
  line: string;
}

/**
 * A pod's sockets: read from the one network namespace that holds its IP, or unknown and why
 * (not gathered, e.g. a snapshot from before np-doctor read pods' sockets; the command failed; no
 * namespace, or more than one, holds the pod's IP).
 */
export type PodSockets =
  | { state: 'read'; netns: string; sockets: ListeningSocket[]; command: string }
  | { state: 'unknown'; why: string };

/** At most this many sockets are read from one table (a node's, or one namespace's). */
export const MAX_SOCKETS = 4096;
/** A longer line is no ss line (a process name is at most 15 bytes); it is skipped. */
const MAX_LINE = 1024;

/**
 * State LISTEN (TCP) or UNCONN (an unconnected UDP socket), the two queue counters, the local
 * address:port and the peer `*`-port ss prints for a listener; the process list may follow. Every
 * field is checked: a process may name itself with a newline (comm is 15 bytes, set with
 * prctl), and the tail of its name must not read as a socket of its own.
 */
const SS_LINE = /^(tcp|udp)\s+(?:LISTEN|UNCONN)\s+\d+\s+\d+\s+(\S+):(\d{1,5})\s+\S+:\*(?:\s+(.*))?$/;
const PROCESS = /^users:\(\("(.*?)",pid=\d+/;

export function parseSocketLine(raw: string): ListeningSocket | null {
  if (raw.length > MAX_LINE) return null;
  const line = raw.trim();
  const m = SS_LINE.exec(line);
  if (m === null) return null;
  const [, proto, local = '', portText = '', users] = m;
  const port = Number(portText);
  if (port > 65535) return null;
  // `0.0.0.0%eth0` is bound to a device: it still takes what arrives on that device.
  const address = local.replace(/%[^\]]*/, '').replace(/^\[(.*)\]$/, '$1');
  const process = users === undefined ? null : PROCESS.exec(users)?.[1] ?? null;
  return { protocol: proto === 'udp' ? 'UDP' : 'TCP', address, reach: reachOf(address), port, process, line };
}

/** Every listening socket of one ss table, in order, at most MAX_SOCKETS; other lines are skipped. */
export function parseListeningSockets(text: string): ListeningSocket[] {
  const out: ListeningSocket[] = [];
  for (const line of text.split('\n')) {
    const s = parseSocketLine(line);
    if (s !== null) out.push(s);
    if (out.length >= MAX_SOCKETS) break;
  }
  return out;
}

function reachOf(address: string): ListeningSocket['reach'] {
  if (address === '*') return 'any';
  if (address === '0.0.0.0') return 'any-ipv4';
  if (address === '::') return 'any-ipv6';
  const a = parseAddr(address.replace(/^::ffff:(?=\d+\.)/i, ''));
  return a !== null && isLoopback(a) ? 'loopback' : 'address';
}

export type Listener =
  | { state: 'listens' }
  /** Only on loopback addresses: refused from outside the namespace. */
  | { state: 'loopback'; sockets: ListeningSocket[] }
  /** Nothing of the Service port's protocol, but the port listens for the other one. */
  | { state: 'other-protocol'; sockets: ListeningSocket[] }
  | { state: 'nothing' };

/** Whether a connection to `ip` from outside the namespace reaches the socket. */
export function reaches(s: ListeningSocket, ip: string): boolean {
  switch (s.reach) {
    case 'any': return true;
    case 'any-ipv4': return !ip.includes(':');
    case 'any-ipv6': return ip.includes(':');
    case 'address': return s.address === ip;
    case 'loopback': return false;
  }
}

/** How the sockets answer a connection to ip:port over `protocol` (TCP or UDP). */
export function listenerFor(sockets: readonly ListeningSocket[], ip: string, port: number, protocol: 'TCP' | 'UDP'): Listener {
  const onPort = sockets.filter((s) => s.port === port);
  const same = onPort.filter((s) => s.protocol === protocol);
  if (same.some((s) => reaches(s, ip))) return { state: 'listens' };
  const loopback = same.filter((s) => s.reach === 'loopback');
  if (loopback.length > 0) return { state: 'loopback', sockets: loopback };
  const other = onPort.filter((s) => s.protocol !== protocol && reaches(s, ip));
  if (other.length > 0) return { state: 'other-protocol', sockets: other };
  return { state: 'nothing' };
}

/** `127.0.0.1:8080`, `[::1]:8080`, `*:8080`. */
export function boundText(s: ListeningSocket): string {
  return `${s.address.includes(':') ? `[${s.address}]` : s.address}:${s.port}`;
}
