import { readFileSync } from 'node:fs';
import { parseAddr } from '../engine/address.js';
import { ParseError } from '../engine/errors.js';
import { FORWARDING_SYSCTL, type NodeContext, type Packet, type Protocol, type Route } from '../engine/packet/contract.js';
import { PacketError } from '../engine/packet/initial-branch.js';
import { walk } from '../engine/walk/walk.js';
import { DEFAULT_TIME_LIMIT_MS } from '../engine/packet/budget.js';
import type { TraceInputs } from '../report/ipvs-gaps.js';
import { renderTraceText } from '../report/trace-text.js';
import { parseDataplane, type ParsedDataplane } from '../model/dataplane.js';
import { findNode, nodeView, NodeViewError, type NodeDump, type NodeView } from '../model/node-view.js';
import { EXIT, UserError } from '../exit.js';
import { command } from './command.js';
import { snapshotPath } from './demo-file.js';
import { colorOn, outputWidth, UsageError } from './io.js';
import { RETURNING_CLIENT_FLAG, RETURNING_CLIENT_HELP, returningClient } from './returning-client.js';

export const TRACE_HELP = `Usage: np-doctor trace --iptables FILE [--iptables FILE] [--nft FILE] --local-ip IP[,IP…] --to IP:PORT [flags]
       np-doctor trace --snapshot FILE --node NODE --to IP:PORT [flags]

Replays the first packet of a connection through a node's rules (iptables-save dumps, the nftables
ruleset, IPVS) and prints every result it can have, each once with its probability (verdict,
DNAT/SNAT) and one path: each rule it matched with its line number (iptables) or handle
(nftables). What the rules leave undecided is listed under each result. A walk has a budget of
branches, rule evaluations and time; past it, the rest is one indeterminate result that says so.

From a snapshot (np-doctor snapshot), instead of the rule files, --local-ip, --route and --sysctl:
      --snapshot FILE       the node's dumps (both iptables backends, nft, IPVS), addresses, routes
                            and sysctls; demo: the snapshot that ships with np-doctor
      --node NODE           which node of the snapshot the packet arrives at

Rules (at least --iptables or --nft without --snapshot):
      --iptables FILE       an iptables-save or ip6tables-save dump (repeat for a legacy + nft split;
                            at one hook the first dump given runs first)
      --nft FILE            \`nft -j list ruleset\` output (kube-proxy's nftables mode, firewalld…);
                            tables iptables-nft made are read from --iptables instead
      --ipvs FILE           \`ipvsadm-save -n\` output (kube-proxy's IPVS mode)
      --ipset FILE          \`ipset list\` output, for -m set matches (IPVS mode)

Required without --snapshot:
      --local-ip IP[,IP…]   the node's addresses (repeatable); IP@IFACE also names the interface,
                            IP/PREFIX adds the subnet's broadcast address
      --to IP:PORT          where the packet goes ([v6]:PORT for IPv6; just IP for icmp)

Packet:
      --from IP[:PORT]      the client (default 203.0.113.7:40000; with --local-process, the node)
      --proto PROTO         tcp (default), udp, sctp or icmp
      --in-iface NAME       the interface the packet arrives on
      --local-process       the packet comes from a process on the node (OUTPUT path)
${RETURNING_CLIENT_HELP}

Node (optional, refine the walk):
      --route CIDR=DEV      a route of the node, e.g. 10.244.1.0/24=eth0 or default=eth0 (repeatable)
      --sysctl NAME=VALUE   net.ipv4.ip_forward and net.ipv4.conf.all.route_localnet; for an IPv6
                            packet net.ipv6.conf.all.forwarding (repeatable)

Output:
  -o, --output text|json    text (default) or JSON (fields: packet, outcomes[].probability, verdict,
                            delivery, dnat, snat, mark, indeterminate, hops[])

Examples (the first needs no files: demo is the snapshot that ships with np-doctor):
  np-doctor trace --snapshot demo --node node-1 --to 192.168.1.101:30080
  np-doctor trace --iptables node-a.rules --local-ip 192.168.49.2 --to 192.168.49.2:30080 --in-iface eth0
`;

const FLAGS = {
  iptables: { type: 'string', multiple: true },
  nft: { type: 'string' },
  ipvs: { type: 'string' },
  ipset: { type: 'string' },
  'local-ip': { type: 'string', multiple: true },
  to: { type: 'string' },
  from: { type: 'string' },
  proto: { type: 'string' },
  'in-iface': { type: 'string' },
  'local-process': { type: 'boolean' },
  ...RETURNING_CLIENT_FLAG,
  route: { type: 'string', multiple: true },
  sysctl: { type: 'string', multiple: true },
  snapshot: { type: 'string' },
  node: { type: 'string' },
  output: { type: 'string', short: 'o' },
} as const;

/** A dump that is not what its flag says: exit 2, without the usage line (the flags were right). */
class MalformedDumpError extends UserError {
  override readonly name = 'MalformedDumpError';
  readonly exitCode = EXIT.usage;
  readonly pointsToHelp = false;

  constructor(e: ParseError) {
    super(`malformed dump: ${e.message}`);
  }
}

export const run = command({
  help: TRACE_HELP,
  flags: FLAGS,
  positionals: false,
  async run({ values }, io) {
    const output = values.output ?? 'text';
    if (output !== 'text' && output !== 'json') throw new UsageError(`-o ${output}: use text or json`);
    if (!values.to) throw new UsageError('--to IP:PORT is required');
    if (values['local-process'] && values['in-iface']) throw new UsageError('--in-iface and --local-process exclude each other');
    const packet: Packet = { ...packetOf(values.to, values.from, values.proto ?? 'tcp', values['in-iface'], values['local-process'] === true), ...returningClient(values) };

    let node: NodeContext;
    let inputs: TraceInputs = { kind: 'files' };
    const files = { dumps: [] as NodeDump[], nft: null as NodeDump | null, ipvs: null as NodeDump | null, ipsets: null as NodeDump | null };
    if (values.snapshot !== undefined) {
      const clash = (['iptables', 'nft', 'ipvs', 'ipset', 'local-ip', 'route', 'sysctl'] as const).filter((f) => values[f] !== undefined);
      if (clash.length > 0) throw new UsageError(`--snapshot already gives the node's rules, addresses, routes and sysctls; leave out --${clash.join(', --')}`);
      const view = await snapshotNode(snapshotPath(values.snapshot), values.node, packet.dst.includes(':') ? 6 : 4);
      node = view.context;
      inputs = { kind: 'snapshot', node: view.context.name ?? values.node ?? '?' };
      Object.assign(files, { dumps: view.dumps, nft: view.nft, ipvs: view.ipvs, ipsets: view.ipsets });
    } else {
      if (values.node !== undefined) throw new UsageError('--node picks a node of a --snapshot; without one, give --iptables and --local-ip');
      if (!values.iptables?.length && values.nft === undefined) throw new UsageError('--iptables FILE or --nft FILE (or --snapshot FILE --node NODE) is required');
      if (!values['local-ip']?.length) throw new UsageError('--local-ip is required: the walk needs the node\'s addresses');
      node = nodeContext(values['local-ip'], values.route ?? [], values.sysctl ?? [], packet.dst.includes(':') ? 6 : 4);
      files.dumps = (values.iptables ?? []).map((f) => readDump(f, '--iptables'));
      if (values.nft !== undefined) files.nft = readDump(values.nft, '--nft');
      if (values.ipvs !== undefined) files.ipvs = readDump(values.ipvs, '--ipvs');
      if (values.ipset !== undefined) files.ipsets = readDump(values.ipset, '--ipset');
    }

    let parsed: ParsedDataplane;
    try {
      parsed = parseDataplane(files);
    } catch (e) {
      if (e instanceof ParseError) throw new MalformedDumpError(e);
      throw e;
    }

    let result;
    try {
      result = walk(parsed.plane, node, packet, { now: () => performance.now(), timeLimitMs: DEFAULT_TIME_LIMIT_MS });
    } catch (e) {
      if (e instanceof ParseError) throw new MalformedDumpError(e);
      if (e instanceof PacketError) throw new UsageError(e.message);
      throw e;
    }
    const textOptions = { color: colorOn(io), inputs, width: outputWidth(io) };
    io.stdout(output === 'json' ? `${JSON.stringify(result, null, 2)}\n` : renderTraceText(result, parsed.plane, textOptions));
    return EXIT.ok;
  },
});

async function snapshotNode(file: string, name: string | undefined, family: 4 | 6): Promise<NodeView> {
  // Loaded only here: reading a snapshot needs its schema (zod) and validators, which a trace of
  // dump files never does, and a cold trace is measured by the benchmark.
  const { loadSnapshot } = await import('../snapshot/file.js');
  try {
    const snapshot = await loadSnapshot(file);
    if (name === undefined && snapshot.nodes.length !== 1) {
      throw new UsageError(`--node NODE is required: ${file} holds ${snapshot.nodes.length} nodes (${snapshot.nodes.map((n) => n.name).join(', ')})`);
    }
    return nodeView(name === undefined ? snapshot.nodes[0]! : findNode(snapshot, name), family);
  } catch (e) {
    if (e instanceof NodeViewError) throw new UsageError(`${file}: ${e.message}`);
    throw e;
  }
}

function readDump(file: string, flag: string): NodeDump {
  try {
    // Bytes, not text: decoding a 17 MB dump to a string only for the parser to encode it back was a third of a cold trace.
    return { source: file, text: readFileSync(file) };
  } catch (e) {
    throw new UsageError(`cannot read ${flag} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

function nodeContext(localIps: string[], routes: string[], sysctls: string[], family: 4 | 6): NodeContext {
  const ips: string[] = [];
  const interfaceOf: Record<string, string> = {};
  for (const item of localIps.flatMap((v) => v.split(','))) {
    const [addr, iface] = item.trim().split('@') as [string, string | undefined];
    const ip = addr.split('/')[0] as string;
    if (!parseAddr(ip)) throw new UsageError(`--local-ip ${item}: not an IP address`);
    ips.push(addr);
    if (iface) interfaceOf[parseAddr(ip)?.text ?? ip] = iface;
  }
  const node: NodeContext = { localIps: ips };
  if (Object.keys(interfaceOf).length) node.interfaceOf = interfaceOf;
  if (routes.length) node.routes = routes.map(routeOf);
  for (const s of sysctls) {
    const [name, value] = s.split('=');
    if (value !== '0' && value !== '1') throw new UsageError(`--sysctl ${s}: expected NAME=0 or NAME=1`);
    node.sysctls ??= {};
    // Each family forwards by its own switch; route_localnet is IPv4's alone.
    if (name === FORWARDING_SYSCTL[family]) node.sysctls.ipForward = value === '1';
    else if (name === 'net.ipv4.conf.all.route_localnet' && family === 4) node.sysctls.routeLocalnet = value === '1';
    else {
      const known = family === 4 ? `${FORWARDING_SYSCTL[4]} and net.ipv4.conf.all.route_localnet change` : `${FORWARDING_SYSCTL[6]} changes`;
      throw new UsageError(`--sysctl ${name}: for an IPv${family} packet only ${known} the walk`);
    }
  }
  return node;
}

function routeOf(text: string): Route {
  const [dst, dev] = text.split('=');
  if (!dst || !dev) throw new UsageError(`--route ${text}: expected CIDR=DEV, e.g. 10.244.1.0/24=eth0`);
  return { dst, dev };
}

/** `10.0.0.1:80`, `[fd00::1]:80`, `10.0.0.1` (port optional when allowed). */
function hostAndPort(text: string, flag: string, portRequired: boolean): { ip: string; port?: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:]+)(?::(\d+))?$/.exec(text) ?? /^([0-9a-fA-F:]+)()$/.exec(text);
  const ip = m?.[1];
  if (!ip || !parseAddr(ip)) throw new UsageError(`${flag} ${text}: expected IP:PORT (or [IPv6]:PORT)`);
  const port = m?.[2] ? Number(m[2]) : undefined;
  if (port !== undefined && (port < 1 || port > 65535)) throw new UsageError(`${flag} ${text}: port must be 1-65535`);
  if (portRequired && port === undefined) throw new UsageError(`${flag} ${text}: a port is needed for this protocol`);
  return port === undefined ? { ip } : { ip, port };
}

function packetOf(to: string, from: string | undefined, proto: string, inIface: string | undefined, localProcess: boolean): Packet {
  if (!['tcp', 'udp', 'sctp', 'icmp'].includes(proto)) throw new UsageError(`--proto ${proto}: use tcp, udp, sctp or icmp`);
  const p = proto as Protocol;
  const dst = hostAndPort(to, '--to', p !== 'icmp');
  const packet: Packet = { dst: dst.ip, proto: p };
  if (dst.port !== undefined) packet.dport = dst.port;
  if (from) {
    const src = hostAndPort(from, '--from', false);
    packet.src = src.ip;
    if (p !== 'icmp') packet.sport = src.port ?? 40000;
  } else if (!localProcess) {
    packet.src = dst.ip.includes(':') ? '2001:db8::7' : '203.0.113.7';
    if (p !== 'icmp') packet.sport = 40000;
  }
  if (inIface) packet.inIface = inIface;
  if (localProcess) packet.localProcess = true;
  return packet;
}
