/**
 * Pseudonyms for addresses outside the cluster's private space. They keep prefixes: every public
 * IPv4 /16 becomes one /16 of 240.0.0.0/4 (reserved, never a real peer) with the low 16 bits
 * unchanged, and every public IPv6 /48 becomes one /48 of 3fff::/20 (documentation, RFC 9637) with
 * the low 80 bits unchanged. So `-s 203.0.113.0/24` still contains the client 203.0.113.7 after
 * redaction; only prefixes shorter than /16 (/48) may change what they contain.
 *
 * An IPv6 interface ID derived from a MAC address (EUI-64: the MAC with ff:fe in the middle and
 * the universal/local bit flipped, as in every fe80:: address the kernel assigns) is rewritten from
 * the MAC's pseudonym, in any address (link-local and private included), so the MAC cannot be read
 * back from it.
 */
import { createRequire } from 'node:module';
import type Ipaddr from 'ipaddr.js';
import type { Pieces } from './redact-ids.js';

let ipaddr: typeof Ipaddr | undefined;
const lib = () => (ipaddr ??= createRequire(import.meta.url)('ipaddr.js') as typeof Ipaddr);

/** Not public: private, loopback, link-local, CGNAT, benchmarking, multicast and reserved space. */
function isPrivateV4(a: number, b: number): boolean {
  return (
    a === 10 || a === 127 || a === 0 || a >= 224 ||
    (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) ||
    (a === 100 && b >= 64 && b <= 127) || (a === 198 && (b === 18 || b === 19))
  );
}

const IPV4 = /(?<![0-9.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![0-9]|\.\d)/g;
// Candidates only; each is checked with ipaddr.js (MAC addresses and times do not parse as IPv6).
const IPV6 = /(?<![0-9A-Za-z:.])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![0-9A-Za-z:])/g;

/** The MAC inside an EUI-64 interface ID (the last four groups), or null when it holds none. */
function euiMac(parts: number[]): string | null {
  const [p4, p5, p6, p7] = parts.slice(4) as [number, number, number, number];
  if ((p5 & 0xff) !== 0xff || p6 >> 8 !== 0xfe) return null;
  const bytes = [(p4 >> 8) ^ 0x02, p4 & 0xff, p5 >> 8, p6 & 0xff, p7 >> 8, p7 & 0xff];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

function euiParts(mac: string): number[] {
  const b = mac.split(':').map((x) => parseInt(x, 16)) as [number, number, number, number, number, number];
  return [((b[0] ^ 0x02) << 8) | b[1], (b[2] << 8) | 0xff, 0xfe00 | b[3], (b[4] << 8) | b[5]];
}

/** The MACs behind every EUI-64 interface ID of an IPv6 address in the pieces of text (lower case). */
export function euiMacsIn(pieces: Pieces): string[] {
  const out: string[] = [];
  for (const text of pieces()) for (const [candidate] of text.matchAll(IPV6)) {
    if (!lib().IPv6.isValid(candidate)) continue;
    const mac = euiMac(lib().IPv6.parse(candidate).parts);
    if (mac !== null) out.push(mac);
  }
  return out;
}

/**
 * Builds the rewrite for every public address found in the document (in pieces cut between JSON
 * values); `mac` maps a MAC address to its pseudonym, for interface IDs derived from one.
 */
export function addressPseudonyms(document: Pieces, mac: (m: string) => string = (m) => m): (t: string) => string {
  const v4 = new Map<string, number>(); // public a.b → index
  for (const text of document()) for (const m of text.matchAll(IPV4)) {
    const [a, b, c, d] = m.slice(1).map(Number) as [number, number, number, number];
    if ([a, b, c, d].every((o) => o <= 255) && !isPrivateV4(a, b)) v4.set(`${a}.${b}`, 0);
  }
  [...v4.keys()].sort().forEach((k, i) => v4.set(k, i));

  const v6 = new Map<string, number>(); // public /48 prefix → index
  const v6Parsed = new Map<string, number[]>();
  const v6Public = new Set<string>();
  for (const text of document()) for (const [candidate] of text.matchAll(IPV6)) {
    if (!lib().IPv6.isValid(candidate)) continue;
    const addr = lib().IPv6.parse(candidate);
    const pub = addr.range() === 'unicast';
    if (!pub && euiMac(addr.parts) === null) continue;
    v6Parsed.set(candidate, addr.parts);
    if (!pub) continue;
    v6Public.add(candidate);
    v6.set(addr.parts.slice(0, 3).join(':'), 0);
  }
  [...v6.keys()].sort().forEach((k, i) => v6.set(k, i));

  return (t) =>
    t
      .replace(IPV4, (m, a: string, b: string, c: string, d: string) => {
        const k = v4.get(`${Number(a)}.${Number(b)}`);
        return k === undefined ? m : `${240 + ((k >> 8) & 15)}.${k & 255}.${c}.${d}`;
      })
      .replace(IPV6, (m) => {
        const parts = v6Parsed.get(m);
        if (parts === undefined) return m;
        const eui = euiMac(parts);
        const iid = eui === null ? parts.slice(4) : euiParts(mac(eui));
        if (!v6Public.has(m)) return new (lib().IPv6)([...parts.slice(0, 4), ...iid]).toString();
        const k = v6.get(parts.slice(0, 3).join(':'))!;
        return new (lib().IPv6)([0x3fff, 0, k & 0xffff, parts[3]!, ...iid]).toString();
      });
}
