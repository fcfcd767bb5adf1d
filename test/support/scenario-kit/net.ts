/**
 * IPv4 arithmetic and the deterministic names, UIDs and MAC addresses the kit hands out. The kit
 * models single-stack IPv4 clusters only, so nothing here knows IPv6 beyond link-local addresses.
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
