/**
 * A node's dumps, parsed into what the walk replays: iptables (both backends), native nftables,
 * IPVS and ipsets. Shared by analysis (NodeData) and `np-doctor trace --snapshot`.
 */
import { parseIptablesSave, type Ruleset } from '../engine/iptables/parse.js';
import { parseIpsetList, parseIpvsadmSave } from '../engine/ipvs/index.js';
import type { Dataplane } from '../engine/walk/walk.js';
import { parseNftJson } from '../engine/nft/index.js';
import type { NodeView } from './node-view.js';

export interface ParsedDataplane {
  plane: Dataplane;
  /** The iptables dumps alone (`plane.iptables`), which most checks read. */
  rulesets: Ruleset[];
}

/** Throws ParseError naming the dump and the line (or object) at fault. */
export function parseDataplane(view: Pick<NodeView, 'dumps' | 'nft' | 'ipvs' | 'ipsets'>): ParsedDataplane {
  const rulesets = view.dumps.map((d) => parseIptablesSave(d.text, { source: d.source }));
  const plane: Dataplane = { iptables: rulesets };
  if (view.nft !== null) plane.nft = [parseNftJson(view.nft.text, { source: view.nft.source })];
  if (view.ipvs !== null) plane.ipvs = parseIpvsadmSave(view.ipvs.text, { source: view.ipvs.source });
  if (view.ipsets !== null) plane.ipsets = parseIpsetList(view.ipsets.text, { source: view.ipsets.source });
  return { plane, rulesets };
}
