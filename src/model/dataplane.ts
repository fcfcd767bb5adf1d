/**
 * A node's dumps, parsed into what the walk replays: iptables (both backends), native nftables,
 * IPVS and ipsets. Shared by analysis (NodeData) and `np-doctor trace --snapshot`.
 */
import { ParseError } from '../engine/errors.js';
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

/**
 * iptables dumps parsed, by their text: nodes whose dump is the same text share one parse (each
 * node gets its own Ruleset naming its own dump, over the same tables). One per ClusterModel.
 */
export type DumpParses = Map<string, Ruleset | ParseError>;

/** Throws ParseError naming the dump and the line (or object) at fault. */
export function parseDataplane(view: Pick<NodeView, 'dumps' | 'nft' | 'ipvs' | 'ipsets'>, shared?: DumpParses): ParsedDataplane {
  const rulesets = view.dumps.map((d) => parseDump(d, shared));
  const plane: Dataplane = { iptables: rulesets };
  if (view.nft !== null) plane.nft = [parseNftJson(textOf(view.nft), { source: view.nft.source })];
  if (view.ipvs !== null) plane.ipvs = parseIpvsadmSave(textOf(view.ipvs), { source: view.ipvs.source });
  if (view.ipsets !== null) plane.ipsets = parseIpsetList(textOf(view.ipsets), { source: view.ipsets.source });
  return { plane, rulesets };
}

function parseDump(d: NodeDump, shared: DumpParses | undefined): Ruleset {
  if (shared === undefined || typeof d.text !== 'string') return parseIptablesSave(d.text, { source: d.source });
  const known = shared.get(d.text);
  if (known instanceof ParseError) throw new ParseError(d.source, known.line, known.problem, known.text);
  // The tables (and the rules compiled in them as walks go) are shared; the name is the node's.
  if (known !== undefined) return { ...known, source: d.source };
  try {
    const parsed = parseIptablesSave(d.text, { source: d.source });
    shared.set(d.text, parsed);
    return parsed;
  } catch (e) {
    if (e instanceof ParseError) shared.set(d.text, e);
    throw e;
  }
}

/** Only the iptables parser reads bytes; the others take text. */
const textOf = (d: NodeDump): string => (typeof d.text === 'string' ? d.text : d.text.toString('utf8'));
