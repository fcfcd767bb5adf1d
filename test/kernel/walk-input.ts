/**
 * Turns what the lab read from the kernel into the walk's inputs: the node's saved dumps (parsed
 * by the engine's own parsers, iptables dumps in the kernel's run order), a NodeContext built from
 * `ip addr`, `ip route` and sysctls of the node, and the probe's first packet.
 */
import { parseIptablesSave } from '../../src/engine/iptables/parse.js';
import type { Ruleset } from '../../src/engine/iptables/ruleset.js';
import { parseNftJson, type NftRuleset } from '../../src/engine/nft/index.js';
import type { Dataplane } from '../../src/engine/walk/walk.js';
import type { NodeContext, Packet } from '../../src/engine/packet/contract.js';
import type { NodeFacts, ProbeRun } from './lab/run.js';

/** The node's rulesets for one address family, in the order the kernel runs them at a hook. */
export function rulesetsFor(node: NodeFacts, family: 4 | 6): Ruleset[] {
  const out: Ruleset[] = [];
  for (const b of node.runOrder) {
    if ((b === 'nft6') !== (family === 6)) continue;
    const text = node.dumps[b];
    if (text !== undefined) out.push(parseIptablesSave(text, { source: `${node.ns}:${b}` }));
  }
  return out;
}

/** The node's `nft -j list ruleset` dump, parsed; null for a node without native nftables rules. */
export function nftRulesetOf(node: NodeFacts): NftRuleset | null {
  return node.nftables === undefined ? null : parseNftJson(node.nftables, { source: `${node.ns}:nftables` });
}

/**
 * Everything the walk gets for one family: the iptables dumps, plus the nft dump on a node with
 * native nftables rules. (The load order between the two is not in either dump: the walk must
 * work out equal-priority order from what the dumps show, as it would on a real node.)
 */
export function planeFor(node: NodeFacts, family: 4 | 6): Dataplane {
  const nft = nftRulesetOf(node);
  return { iptables: rulesetsFor(node, family), ...(nft !== null ? { nft: [nft] } : {}) };
}

/** The node as the walk sees it for a packet of `family`: its forwarding switch is that family's. */
export function nodeContextOf(node: NodeFacts, family: 4 | 6 = 4): NodeContext {
  return {
    name: node.ns,
    localIps: Object.keys(node.addresses),
    interfaceOf: { ...node.addresses },
    masterOf: { ...node.masterOf },
    routes: node.routes.map((r) => ({ dst: r.dst, dev: r.dev, ...(r.src !== undefined ? { src: r.src } : {}) })),
    sysctls: { ipForward: family === 6 ? node.ipv6Forward ?? true : node.ipForward, routeLocalnet: node.routeLocalnet },
  };
}

export function packetOf(run: Pick<ProbeRun, 'packet'>): Packet {
  const p = run.packet;
  return {
    src: p.src,
    dst: p.dst,
    proto: p.proto,
    sport: p.sport,
    dport: p.dport,
    ...(p.inIface !== undefined ? { inIface: p.inIface } : {}),
    ...(p.localProcess === true ? { localProcess: true } : {}),
  };
}
