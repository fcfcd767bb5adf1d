import { parseAddr } from '../address.js';
import type { Branch } from './branch.js';

/** Applies a DNAT (or REDIRECT) binding: conntrack records it, and later nat tables at this manip are skipped. */
export function setDestination(b: Branch, ip: string, port: number | null): void {
  const a = parseAddr(ip);
  if (a && (a.text !== b.dst.text || port !== (b.dport ?? null))) b.ct.dnat = true;
  if (a) b.dst = a;
  if (port !== null && b.dport !== undefined) b.dport = port;
  b.dnatTo = { ip, port: b.dport ?? null };
  b.ct.dnatDecided = true;
}

/** Applies an SNAT or MASQUERADE binding; `ip` null when the address could not be determined. */
export function setSource(b: Branch, type: 'SNAT' | 'MASQUERADE', ip: string | null, port: number | null): void {
  const a = ip === null ? null : parseAddr(ip);
  if (a && a.text !== b.src.text) b.ct.snat = true;
  if (a) b.src = a;
  if (port !== null && b.sport !== undefined) b.sport = port;
  b.snatTo = { type, ...(ip === null ? {} : { ip }), ...(port === null ? {} : { port }) };
  b.ct.snatDecided = true;
}
