/**
 * A node's dumps, parsed into what the walk replays: iptables (both backends), native nftables,
 * IPVS and ipsets. Shared by analysis (NodeData) and `np-doctor trace --snapshot`.
 */
import { parseIptablesSave, type Ruleset } from '../engine/iptables/parse.js';
import { parseIpsetList, parseIpvsadmSave } from '../engine/ipvs/index.js';
import type { Dataplane } from '../engine/walk/walk.js';
import { parseNftJson } from '../engine/nft/index.js';
import type { NodeDump, NodeView } from './node-view.js';

export interface ParsedDataplane {
  plane: Dataplane;
  /** The iptables dumps alone (`plane.iptables`), which most checks read. */
  rulesets: Ruleset[];
}

/** Throws ParseError naming the dump and the line (or object) at fault. */
export function parseDataplane(view: Pick<NodeView, 'dumps' | 'nft' | 'ipvs' | 'ipsets'>): ParsedDataplane {
  const rulesets = view.dumps.map((d) => parseIptablesSave(d.text, { source: d.source }));
  const plane: Dataplane = { iptables: rulesets };
  if (view.nft !== null) plane.nft = [parseNftJson(textOf(view.nft), { source: view.nft.source })];
  if (view.ipvs !== null) plane.ipvs = parseIpvsadmSave(textOf(view.ipvs), { source: view.ipvs.source });
  if (view.ipsets !== null) plane.ipsets = parseIpsetList(textOf(view.ipsets), { source: view.ipsets.source });
  return { plane, rulesets };
}

/** Only the iptables parser reads bytes; the others take text. */
const textOf = (d: NodeDump): string => (typeof d.text === 'string' ? d.text : d.text.toString('utf8'));
