/** A node's network devices as `ip -j addr` printed them (untrusted text: names are compared, never run). */
import type { CheckContext } from '../../src/check-kit/index.js';

export interface Link {
  name: string;
  /** The addresses on it, without prefix length. */
  addresses: string[];
}

/** The node's devices; null when `ip -j addr` was not read or cannot be parsed. */
export function linksOf(ctx: CheckContext, node: string): Link[] | null {
  return ctx.nodeState(node).links?.map((l) => ({ name: l.name, addresses: l.addresses.map((a) => a.local) })) ?? null;
}
