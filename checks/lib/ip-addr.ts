/** A node's network devices as `ip -j addr` printed them (untrusted text: names are compared, never run). */
import type { CheckContext } from '../../src/check-kit/index.js';

export interface Link {
  name: string;
  /** The addresses on it, without prefix length. */
  addresses: string[];
}

/** The node's devices; null when `ip -j addr` was not read or cannot be parsed. */
export function linksOf(ctx: CheckContext, node: string): Link[] | null {
  const out = ctx.nodeState(node).command('ip-addr');
  if (out === undefined || out.exitCode !== 0) return null;
  let links: unknown;
  try {
    links = JSON.parse(out.stdout);
  } catch {
    return null;
  }
  if (!Array.isArray(links)) return null;
  return links.flatMap((l: unknown) => {
    const link = l as { ifname?: unknown; addr_info?: unknown };
    if (typeof link.ifname !== 'string') return [];
    const info = Array.isArray(link.addr_info) ? (link.addr_info as unknown[]) : [];
    const addresses = info.flatMap((a) => {
      const local = (a as { local?: unknown } | null)?.local;
      return typeof local === 'string' ? [local] : [];
    });
    return [{ name: link.ifname, addresses }];
  });
}
