import { createRequire } from 'node:module';
import type * as Ipaddr from 'ipaddr.js';

// ipaddr.js is CommonJS: importing it as ESM makes Node lex it on every start. Only IPv6 needs it,
// so it is required on first use; IPv4 (every kube-proxy dump's bulk) is parsed by hand.
let ipaddr: typeof Ipaddr | undefined;
const ipv6 = () => (ipaddr ??= createRequire(import.meta.url)('ipaddr.js') as typeof Ipaddr).IPv6;

/** An IPv4 or IPv6 address as bytes, so prefix tests are plain byte comparisons. */
export interface Addr {
  family: 4 | 6;
  bytes: number[];
  text: string;
}

export interface Cidr {
  addr: Addr;
  bits: number;
}

/**
 * Parsed addresses by text. The same few thousand addresses (nodes, pods, rule matches) are parsed
 * again for every Service a scan replays; an IPv6 parse costs microseconds. Bounded: a hostile
 * snapshot naming millions of addresses only empties it now and then.
 */
const parsed = new Map<string, Readonly<Addr> | null>();
const PARSED_MAX = 1 << 18;

/** Parses a canonical address; returns null for anything else (octal, short forms, names). The result is shared: frozen. */
export function parseAddr(text: string): Addr | null {
  let a = parsed.get(text);
  if (a === undefined) {
    const fresh = parseFresh(text);
    a = fresh === null ? null : Object.freeze({ ...fresh, bytes: Object.freeze(fresh.bytes) as number[] });
    if (parsed.size >= PARSED_MAX) parsed.clear();
    parsed.set(text, a);
  }
  return a;
}

function parseFresh(text: string): Addr | null {
  if (text.includes(':')) {
    if (!ipv6().isValid(text)) return null;
    const a = ipv6().parse(text);
    return { family: 6, bytes: a.toByteArray(), text: a.toString() };
  }
  const bytes = dottedQuad(text);
  return bytes && { family: 4, bytes, text };
}

/** Exactly four decimal octets, no leading zeros (which some parsers read as octal). */
function dottedQuad(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    bytes.push(n);
  }
  return bytes;
}

/** `10.0.0.0/8`, `10.0.0.1` (a host), `fd00::/64`. Host bits are ignored as the kernel ignores them. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf('/');
  const addr = parseAddr(slash < 0 ? text : text.slice(0, slash));
  if (!addr) return null;
  const max = addr.family === 4 ? 32 : 128;
  if (slash < 0) return { addr, bits: max };
  const mask = text.slice(slash + 1);
  if (/^\d+$/.test(mask)) {
    const bits = Number(mask);
    return bits <= max ? { addr, bits } : null;
  }
  // iptables-save prints a non-contiguous netmask in dotted form (`-s 10.0.0.0/255.0.255.0`).
  const m = parseAddr(mask);
  if (!m || m.family !== addr.family) return null;
  const bits = prefixLength(m.bytes);
  return bits === null ? null : { addr, bits };
}

function prefixLength(mask: number[]): number | null {
  let bits = 0;
  let ended = false;
  for (const byte of mask) {
    for (let i = 7; i >= 0; i--) {
      const set = (byte >> i) & 1;
      if (set && ended) return null;
      if (set) bits++;
      else ended = true;
    }
  }
  return bits;
}

export function cidrContains(c: Cidr, a: Addr): boolean {
  if (c.addr.family !== a.family) return false;
  let bits = c.bits;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((c.addr.bytes[i] ?? 0) & mask) !== ((a.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** A key equal for equal addresses (`4:10.0.0.1`, `6:253.0…`): for Sets and Maps of addresses. */
export const addrKey = (a: Addr): string => `${a.family}:${a.bytes.join('.')}`;

export function sameAddr(a: Addr, b: Addr): boolean {
  return a.family === b.family && a.bytes.every((byte, i) => byte === b.bytes[i]);
}

/** Compares two addresses of one family numerically (for `-m iprange`). */
export function compareAddr(a: Addr, b: Addr): number {
  for (let i = 0; i < a.bytes.length; i++) {
    const d = (a.bytes[i] ?? 0) - (b.bytes[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** 127.0.0.0/8 and ::1: always local, whatever the node's address list says. */
export function isLoopback(a: Addr): boolean {
  return a.family === 4 ? a.bytes[0] === 127 : a.bytes.every((b, i) => b === (i === 15 ? 1 : 0));
}

/** 169.254.0.0/16 or fe80::/10: valid on one link only (an IPv6 one needs a zone to be dialled). */
export function isLinkLocal(a: Addr): boolean {
  return a.family === 4 ? a.bytes[0] === 169 && a.bytes[1] === 254 : a.bytes[0] === 0xfe && ((a.bytes[1] ?? 0) & 0xc0) === 0x80;
}

export function isMulticast(a: Addr): boolean {
  return a.family === 4 ? ((a.bytes[0] ?? 0) & 0xf0) === 0xe0 : a.bytes[0] === 0xff;
}

/** Formats `ip:port`, bracketing IPv6 as iptables and conntrack do. */
export function hostPort(ip: string, port: number | null | undefined): string {
  if (port === null || port === undefined) return ip;
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
