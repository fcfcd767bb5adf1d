/**
 * IPv4 and IPv6 arithmetic and the deterministic names, UIDs and MAC addresses the kit hands out.
 * IPv6 addresses are printed in the canonical form (RFC 5952) that `ip`, iptables-save and nft print.
 */
import { createHash } from 'node:crypto';

export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

export interface Cidr {
  base: number;
  bits: number;
}

/** `10.0.0.0/8`, or a bare address as a /32. Host bits are cleared, as the kernel does. */
export function parseCidr(text: string): Cidr {
  const [addr = '', bitsText = '32'] = text.split('/');
  const bits = Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) throw new Error(`not an IPv4 CIDR: ${text}`);
  const size = 2 ** (32 - bits);
  return { base: Math.floor(ipToInt(addr) / size) * size, bits };
}

export const formatCidr = (c: Cidr): string => `${intToIp(c.base)}/${c.bits}`;

export function cidrContains(cidr: string, ip: string): boolean {
  const c = parseCidr(cidr);
  const n = ipToInt(ip);
  return n >= c.base && n < c.base + 2 ** (32 - c.bits);
}

/** The n-th address of a CIDR (0 is the network address). */
export function nthAddress(cidr: string, n: number): string {
  const c = parseCidr(cidr);
  if (n < 0 || n >= 2 ** (32 - c.bits)) throw new Error(`${cidr} has no address number ${n}`);
  return intToIp(c.base + n);
}

export const broadcastOf = (cidr: string): string => {
  const c = parseCidr(cidr);
  return intToIp(c.base + 2 ** (32 - c.bits) - 1);
};

export const networkOf = (ip: string, bits: number): string => formatCidr(parseCidr(`${ip}/${bits}`));

// ---------------------------------------------------------------------------------------------
// IPv6

export const isIPv6 = (ip: string): boolean => ip.includes(':');

export function ip6ToBigInt(ip: string): bigint {
  const [head = '', tail, extra] = ip.split('::');
  const groups = (s: string): string[] => (s === '' ? [] : s.split(':'));
  const h = groups(head);
  const t = groups(tail ?? '');
  const missing = 8 - h.length - t.length;
  const all = tail === undefined ? h : [...h, ...Array<string>(Math.max(missing, 0)).fill('0'), ...t];
  if (extra !== undefined || all.length !== 8 || (tail !== undefined && missing < 1) || all.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) throw new Error(`not an IPv6 address: ${ip}`);
  return all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** RFC 5952: lower case, no leading zeros, the longest run (first of equals) of two or more zero groups as `::`. */
export function bigIntToIp6(n: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(16 * (7 - i))) & 0xffffn));
  let best = { at: -1, len: 1 };
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len) best = { at: i, len: j - i };
    i = j;
  }
  const hexes = groups.map((g) => g.toString(16));
  if (best.at < 0) return hexes.join(':');
  return `${hexes.slice(0, best.at).join(':')}::${hexes.slice(best.at + best.len).join(':')}`;
}

function parseCidr6(text: string): { base: bigint; bits: number } {
  const [addr = '', bitsText = '128'] = text.split('/');
  const bits = Number(bitsText);
  if (!Number.isInteger(bits) || bits < 0 || bits > 128) throw new Error(`not an IPv6 CIDR: ${text}`);
  const host = (1n << BigInt(128 - bits)) - 1n;
  return { base: ip6ToBigInt(addr) & ~host, bits };
}

/** A CIDR (or bare address) of either family in the form the tools print: host bits cleared, /32 or /128 on a host. */
export function normalCidr(text: string): string {
  if (!isIPv6(text)) return formatCidr(parseCidr(text));
  const c = parseCidr6(text);
  return `${bigIntToIp6(c.base)}/${c.bits}`;
}

/** Whether `ip` is in `cidr`; false when their families differ. */
export function inCidr(cidr: string, ip: string): boolean {
  if (isIPv6(cidr) !== isIPv6(ip)) return false;
  if (!isIPv6(ip)) return cidrContains(cidr, ip);
  const c = parseCidr6(cidr);
  return (ip6ToBigInt(ip) & ~((1n << BigInt(128 - c.bits)) - 1n)) === c.base;
}

/** The n-th address of an IPv6 CIDR (0 is the subnet-router anycast address). */
export function nthAddress6(cidr: string, n: number | bigint): string {
  const c = parseCidr6(cidr);
  const k = BigInt(n);
  if (k < 0n || k >= 1n << BigInt(128 - c.bits)) throw new Error(`${cidr} has no address number ${n}`);
  return bigIntToIp6(c.base + k);
}

/** The network of an IPv6 address with a prefix length, as `ip route` prints it. */
export const networkOf6 = (ip: string, bits: number): string => normalCidr(`${ip}/${bits}`);

/** The address's 16 bytes, network order (nft sorts set elements by them). */
export function ip6Bytes(ip: string): number[] {
  const n = ip6ToBigInt(ip);
  return Array.from({ length: 16 }, (_, i) => Number((n >> BigInt(8 * (15 - i))) & 0xffn));
}

/** net.JoinHostPort: `10.0.0.1:80`, `[fd00::1]:80`. */
export const joinHostPort = (ip: string, port: number): string => (isIPv6(ip) ? `[${ip}]:${port}` : `${ip}:${port}`);

export const sha256 = (seed: string): Buffer => createHash('sha256').update(seed).digest();
export const hex = (seed: string, len: number): string => sha256(seed).toString('hex').slice(0, len);

/** kube-controller-manager's name-suffix alphabet (no vowels, no look-alike characters). */
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
/** A generateName-style suffix (`frontend-7d9f8c6b5d-x2k4p`), stable for a seed. */
export function nameSuffix(seed: string, len: number): string {
  return [...sha256(seed).subarray(0, len)].map((b) => NAME_ALPHABET[b % NAME_ALPHABET.length]).join('');
}

/** A version-4-shaped UID that is the same for the same seed. */
export function stableUid(seed: string): string {
  const h = hex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A locally administered unicast MAC address. */
export function macAddress(seed: string): string {
  const b = [...sha256(`mac/${seed}`).subarray(0, 6)];
  b[0] = ((b[0] ?? 0) & 0xfc) | 0x02;
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** The EUI-64 link-local IPv6 address the kernel derives from a MAC address. */
export function linkLocal(mac: string): string {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  const groups = [((b[0] ?? 0) ^ 0x02) * 256 + (b[1] ?? 0), (b[2] ?? 0) * 256 + 0xff, 0xfe00 + (b[3] ?? 0), (b[4] ?? 0) * 256 + (b[5] ?? 0)];
  return `fe80::${groups.map((g) => g.toString(16)).join(':')}`;
}
