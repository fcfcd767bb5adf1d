/** A node's network devices as `ip -j addr` printed them (untrusted text: names are compared, never run). */
import type { CheckContext } from '../../src/check-kit/index.js';

export interface Link {
  name: string;
  /** The addresses on it, without prefix length. */
  addresses: string[];
}

/** Per node's parsed links (the same array for every question): a node with a veth per pod has thousands. */
const simplified = new WeakMap<object, readonly Link[]>();

/** The node's devices; null when `ip -j addr` was not read or cannot be parsed. */
export function linksOf(ctx: CheckContext, node: string): readonly Link[] | null {
  const links = ctx.nodeState(node).links;
  if (links === null) return null;
  let out = simplified.get(links);
  if (out === undefined) simplified.set(links, out = links.map((l) => ({ name: l.name, addresses: l.addresses.map((a) => a.local) })));
  return out;
}
