/**
 * `ip -j addr` as np-doctor reads it: each link's name, the bridge (bond, VRF) it is enslaved to,
 * and its addresses. The text is the node's, so untrusted: names are compared, never run, and an
 * entry that is not a link (or an address) is skipped.
 */

export interface IpLink {
  name: string;
  /** The link this one is enslaved to (`master`: a bridge, bond or VRF), or null. */
  master: string | null;
  addresses: IpLinkAddress[];
}

export interface IpLinkAddress {
  family: 'inet' | 'inet6';
  /** As printed; not yet checked to be an address. */
  local: string;
  /** The prefix length, when it is a whole number in range for the family. */
  prefix: number | null;
  /** `global`, `link`, `host` (loopback)…, when printed. */
  scope: string | null;
}

/** The links of `ip -j addr` output, or null when it is not a JSON array. */
export function parseIpLinks(stdout: string): IpLink[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed)) return null;
  return parsed.flatMap((l: unknown): IpLink[] => {
    const link = l as { ifname?: unknown; master?: unknown; addr_info?: unknown } | null;
    if (typeof link !== 'object' || link === null || typeof link.ifname !== 'string') return [];
    const info = Array.isArray(link.addr_info) ? (link.addr_info as unknown[]) : [];
    const addresses = info.flatMap((x): IpLinkAddress[] => {
      const a = x as { family?: unknown; local?: unknown; prefixlen?: unknown; scope?: unknown } | null;
      if (typeof a !== 'object' || a === null || typeof a.local !== 'string' || (a.family !== 'inet' && a.family !== 'inet6')) return [];
      const max = a.family === 'inet' ? 32 : 128;
      const prefix = typeof a.prefixlen === 'number' && Number.isInteger(a.prefixlen) && a.prefixlen >= 0 && a.prefixlen <= max ? a.prefixlen : null;
      return [{ family: a.family, local: a.local, prefix, scope: typeof a.scope === 'string' ? a.scope : null }];
    });
    return [{ name: link.ifname, master: typeof link.master === 'string' ? link.master : null, addresses }];
  });
}
