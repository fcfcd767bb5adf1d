/**
 * One node of a snapshot as the packet walk needs it: its iptables dumps (both backends, IPv4 or
 * IPv6), its addresses with interface and prefix, its main-table routes, and the sysctls that
 * change the walk. Built from the raw command output the snapshot keeps.
 */
import { parseAddr } from '../engine/address.js';
import { FORWARDING_SYSCTL, type NodeContext, type Route } from '../engine/packet/contract.js';
import type { NodeCommandId } from '../snapshot/node-commands.js';
import { parseIpLinks, type IpLink } from './ip-links.js';
import type { NodeState, Snapshot } from '../snapshot/schema.js';

export interface NodeDump {
  /** Names the dump in hops and errors: `node1:iptables-nft-save`. */
  source: string;
  /** `trace --iptables` passes the file's bytes: the iptables parser scans bytes, so decoding first would only cost time. */
  text: string | Buffer;
}

export interface NodeView {
  context: NodeContext;
  /** iptables-save dumps, in the order the walk runs them at equal priority. */
  dumps: NodeDump[];
  /** `nft -j list ruleset`, `ipvsadm-save -n` and `ipset list`, when they ran and printed something. */
  nft: NodeDump | null;
  ipvs: NodeDump | null;
  ipsets: NodeDump | null;
}

export class NodeViewError extends Error {}

/**
 * The backend-specific dumps first; the unsuffixed command only when neither ran (old nodes, or a
 * dump from a file). Both backends are kept when both have rules: that is the legacy/nft split.
 */
export const DUMPS = {
  4: [['iptables-nft-save', 'iptables-legacy-save'], ['iptables-save']],
  6: [['ip6tables-nft-save', 'ip6tables-legacy-save'], ['ip6tables-save']],
} as const satisfies Record<4 | 6, readonly (readonly NodeCommandId[])[]>;

/** The other dumps the walk replays beside iptables: nft rules, IPVS services, ipset members. */
const REPLAY_EXTRAS: NodeCommandId[] = ['nft-ruleset', 'ipvsadm-save', 'ipset-list'];

export function findNode(snapshot: Snapshot, name: string): NodeState {
  const node = snapshot.nodes.find((n) => n.name === name);
  if (node !== undefined) return node;
  const known = snapshot.nodes.map((n) => n.name);
  throw new NodeViewError(`node "${name}" is not in the snapshot (nodes read: ${known.join(', ') || 'none'})`);
}

/** `links`: the node's `ip -j addr` when the caller has it parsed already. */
export function nodeView(node: NodeState, family: 4 | 6, links = ipLinksOf(node)): NodeView {
  // A cut dump is a prefix of the rules: replaying it would miss rules (or whole tables) without
  // knowing it, so a node with any cut input the walk would use is not replayed at all.
  // A command cut on stderr was stopped too, so its stdout is not complete either.
  const inputs = [...DUMPS[family].flat(), ...REPLAY_EXTRAS];
  const cut = inputs.filter((id) => node.commands[id]?.truncated !== undefined);
  if (cut.length > 0) {
    const limit = size(node.commands[cut[0]!]?.truncated?.limitBytes ?? 0);
    throw new NodeViewError(
      `node "${node.name}": ${cut.join(', ')} printed more than ${limit} and np-doctor kept only the first ${limit}, so the node's rules cannot be replayed`,
    );
  }
  // Likewise a dump that did not finish (timed out, connection lost): the other backend alone is
  // not the node's ruleset. A command that failed or is not installed has an exit code.
  const unfinished = inputs.filter((id) => node.commands[id] !== undefined && node.commands[id].exitCode === null);
  if (unfinished.length > 0) {
    const note = node.commands[unfinished[0]!]?.stderr.split('\n').filter((l) => l.startsWith('np-doctor: ')).pop()?.slice(0, 300);
    throw new NodeViewError(`node "${node.name}": ${unfinished.join(', ')} did not finish${note ? ` (${note})` : ''}, so the node's rules cannot be replayed`);
  }
  const dumps: NodeDump[] = [];
  for (const group of DUMPS[family]) {
    for (const id of group) {
      // Read once: a v2 snapshot joins a command's output from its chunks on every read.
      const text = node.commands[id]?.exitCode === 0 ? node.commands[id].stdout : null;
      // An empty dump (the backend has no tables here) contributes nothing to the walk.
      if (text !== null && /^\*/m.test(text)) dumps.push({ source: `${node.name}:${id}`, text });
    }
    if (dumps.length > 0) break;
  }
  const nft = output(node, 'nft-ruleset', (t) => /"(table|chain)"/.test(t));
  if (dumps.length === 0 && nft === null) {
    throw new NodeViewError(`node "${node.name}" has no readable ip${family === 6 ? '6' : ''}tables dump or nft ruleset in the snapshot`);
  }
  return {
    context: nodeContext(node, family, links),
    dumps,
    nft,
    ipvs: output(node, 'ipvsadm-save', (t) => /^-A /m.test(t)),
    ipsets: output(node, 'ipset-list', (t) => t.trim() !== ''),
  };
}

/** `64 MiB`, `4 KiB` (limits are whole units in practice), else bytes. */
const size = (n: number): string =>
  n >= 2 ** 20 && n % 2 ** 20 === 0 ? `${n / 2 ** 20} MiB` : n >= 1024 && n % 1024 === 0 ? `${n / 1024} KiB` : `${n} B`;

/** A command's output when it ran, succeeded, was not cut, and `holds` something worth parsing. */
function output(node: NodeState, id: NodeCommandId, holds: (text: string) => boolean): NodeDump | null {
  const out = complete(node, id);
  const text = out?.exitCode === 0 ? out.stdout : null;
  return text !== null && holds(text) ? { source: `${node.name}:${id}`, text } : null;
}

/** A command's output, or undefined when it did not run or was cut at the output limit (a prefix is not the state). */
export function complete(node: NodeState, id: string): NodeState['commands'][string] | undefined {
  const out = node.commands[id];
  return out?.truncated === undefined ? out : undefined;
}

interface IpRoute {
  type?: string;
  dst?: string;
  dev?: string;
  table?: string;
  prefsrc?: string;
}

function json<T>(node: NodeState, id: NodeCommandId): T[] | undefined {
  const out = complete(node, id);
  if (out?.exitCode !== 0) return undefined;
  try {
    const v: unknown = JSON.parse(out.stdout);
    return Array.isArray(v) ? (v as T[]) : undefined;
  } catch {
    return undefined;
  }
}

/** The node's links (`ip -j addr`), null when it did not run, failed, was cut or is not a JSON array. */
export function ipLinksOf(node: NodeState): IpLink[] | null {
  const out = complete(node, 'ip-addr');
  return out?.exitCode === 0 ? parseIpLinks(out.stdout) : null;
}

/** The walk's view of the node for a family (addresses, routes, sysctls); throws NodeViewError on an address that is not one. */
export function nodeContext(node: NodeState, family: 4 | 6, links = ipLinksOf(node)): NodeContext {
  const ctx: NodeContext = { name: node.name, ...nodeAddresses(node, links) };
  const routes = json<IpRoute>(node, family === 4 ? 'ip-route' : 'ip6-route');
  if (routes !== undefined) {
    // The main table's unicast routes decide forwarding; local/broadcast entries are the
    // addresses themselves, already in localIps.
    ctx.routes = routes
      .filter((r) => typeof r === 'object' && r !== null && (r.table === undefined || r.table === 'main') && (r.type === undefined || r.type === 'unicast'))
      .filter((r) => typeof r.dst === 'string' && typeof r.dev === 'string' && (r.dst === 'default' || parseAddr(r.dst.split('/')[0] ?? '') !== null))
      .map((r): Route => ({ dst: r.dst!, dev: r.dev!, ...(typeof r.prefsrc === 'string' && parseAddr(r.prefsrc) ? { src: r.prefsrc } : {}) }));
  }
  const sysctls = parseSysctls(node);
  const forward = sysctls.get(FORWARDING_SYSCTL[family]);
  // route_localnet is IPv4's alone: IPv6 has no such sysctl, and the kernel never routes ::1 off lo.
  const localnet = family === 4 ? sysctls.get('net.ipv4.conf.all.route_localnet') : '0';
  const vsConntrack = sysctls.get('net.ipv4.vs.conntrack');
  if (forward !== undefined || localnet !== undefined || vsConntrack !== undefined) {
    ctx.sysctls = {
      ...(forward !== undefined ? { ipForward: forward === '1' } : {}),
      ...(localnet !== undefined ? { routeLocalnet: localnet === '1' } : {}),
      ...(vsConntrack !== undefined ? { ipvsConntrack: vsConntrack === '1' } : {}),
    };
  }
  return ctx;
}

/**
 * The node's addresses as the walk has them (`10.0.0.1/24`) with their interfaces and bridge
 * masters, from `ip -j addr` (`links`); without it, the address the node was read at.
 */
export function nodeAddresses(node: NodeState, links: IpLink[] | null): Pick<NodeContext, 'localIps' | 'interfaceOf' | 'masterOf'> {
  if (links === null) return { localIps: node.address === null ? [] : [node.address] };
  const localIps: string[] = [];
  const interfaceOf: Record<string, string> = {};
  const masterOf: Record<string, string> = {};
  for (const link of links) {
    if (link.master !== null) masterOf[link.name] = link.master;
    for (const a of link.addresses) {
      if (parseAddr(a.local) === null) throw new NodeViewError(`node "${node.name}": ip -j addr lists "${a.local}", which is not an address`);
      localIps.push(a.prefix === null ? a.local : `${a.local}/${a.prefix}`);
      interfaceOf[a.local] = link.name;
    }
  }
  return { localIps, interfaceOf, masterOf };
}

/** `name = value` lines of both sysctl commands (not of a cut output: its last value may be cut too). */
export function parseSysctls(node: NodeState): Map<string, string> {
  const map = new Map<string, string>();
  for (const id of ['sysctls', 'sysctls-per-interface'] as const) {
    for (const line of complete(node, id)?.stdout.split('\n') ?? []) {
      const eq = line.indexOf(' = ');
      if (eq > 0) map.set(line.slice(0, eq).trim(), line.slice(eq + 3).trim());
    }
  }
  return map;
}
