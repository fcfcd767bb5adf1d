/**
 * Pseudonyms for addresses outside the cluster's private space. They keep prefixes: every public
 * IPv4 /16 becomes one /16 of 240.0.0.0/4 (reserved, never a real peer) with the low 16 bits
 * unchanged, and every public IPv6 /48 becomes one /48 of 3fff::/20 (documentation, RFC 9637) with
 * the low 80 bits unchanged. So `-s 203.0.113.0/24` still contains the client 203.0.113.7 after
 * redaction; only prefixes shorter than /16 (/48) may change what they contain.
 */
import { createRequire } from 'node:module';
import type Ipaddr from 'ipaddr.js';

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

/** Builds the rewrite for every public address found in `text` (the whole document). */
export function addressPseudonyms(text: string): (t: string) => string {
  const v4 = new Map<string, number>(); // public a.b → index
  for (const m of text.matchAll(IPV4)) {
    const [a, b, c, d] = m.slice(1).map(Number) as [number, number, number, number];
    if ([a, b, c, d].every((o) => o <= 255) && !isPrivateV4(a, b)) v4.set(`${a}.${b}`, 0);
  }
  [...v4.keys()].sort().forEach((k, i) => v4.set(k, i));

  const v6 = new Map<string, number>(); // public /48 prefix → index
  const v6Parsed = new Map<string, number[]>();
  for (const [candidate] of text.matchAll(IPV6)) {
    if (!lib().IPv6.isValid(candidate)) continue;
    const addr = lib().IPv6.parse(candidate);
    if (addr.range() !== 'unicast') continue;
    v6Parsed.set(candidate, addr.parts);
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
        const k = v6.get(parts.slice(0, 3).join(':'))!;
        return new (lib().IPv6)([0x3fff, 0, k & 0xffff, ...parts.slice(3)]).toString();
      });
}
