/**
 * Turns what the user asked (service, port, client, ingress node) and a snapshot into the
 * analysis the checks read: the typed cluster, the question, and the replayed paths. A question
 * has one address family, and everything it replays is that family's: the node's ip6tables (or
 * iptables) rules, its addresses, the Service's EndpointSlices of that addressType. A dual-stack
 * Service is asked once per family (questionFamilies), as kube-proxy runs one proxier per family.
 */
import { isLinkLocal, isLoopback, parseAddr } from '../engine/address.js';
import { performance } from 'node:perf_hooks';
import { endpointNodes } from '../collect/plan.js';
import { analysePaths, type PathBackend, type PathNode } from '../engine/path.js';
import type { PolicyWorld } from '../engine/netpol/index.js';
import { DEFAULT_TIME_LIMIT_MS } from '../engine/packet/budget.js';
import type { NodeContext, Protocol } from '../engine/packet/contract.js';
import { ClusterModel, ipFamiliesOf } from '../model/cluster.js';
import type { Family } from '../model/node-data.js';
import type { PodInfo, ServiceInfo, ServicePort } from '../model/kube.js';
import { replayBlockedBy } from '../model/proxy-replacement.js';
import { boundText, listenerFor, type ListeningSocket } from '../model/sockets.js';
import type { Snapshot } from '../snapshot/schema.js';
import { isLoopbackIp } from '../check-kit/address.js';
import type { Analysis, Question } from '../check-kit/context.js';
import { endpointPod, endpointSlicesOf, policyPod, policyWorld } from '../check-kit/cluster-queries.js';
import { gatherErrorsFor } from './requirements.js';

export interface Ask {
  namespace: string;
  service: string;
  /** Service port name or number, or the nodePort. */
  port?: string;
  protocol?: Protocol;
  /** Client address, optionally with a port: `203.0.113.7`, `203.0.113.7:40000`, `[2001:db8::7]:40000`. */
  from?: string;
  node?: string;
  nodeIp?: string;
  allNodes?: boolean;
  /** --returning-client: the client connected before (session affinity holds it); default its first connection. */
  returningClient?: boolean;
  /** Replay only this address family; without it --from / --node-ip decide, else the Service's ipFamilies. */
  family?: Family;
}

export class QuestionError extends Error {
  override readonly name = 'QuestionError';
}

/** TEST-NET-3 (RFC 5737) and the IPv6 documentation prefix: an outside client nobody owns. */
const DEFAULT_CLIENT = { 4: '203.0.113.7', 6: '2001:db8::7' } as const;
const DEFAULT_CLIENT_PORT = 40000;

/**
 * The address families a question replays, primary first: the one --family, --from or --node-ip
 * pins, else the Service's ipFamilies (both for a dual-stack Service), else IPv4.
 */
export function questionFamilies(cluster: ClusterModel, ask: Ask): Family[] {
  const pinned = pinnedFamily(ask);
  if (pinned !== null) return [pinned];
  const svc = cluster.service(ask.namespace, ask.service);
  return svc === undefined ? [4] : ipFamiliesOf(svc);
}

/** The family the addresses asked about name, or null when none does; a contradiction is the user's to fix. */
function pinnedFamily(ask: Ask): Family | null {
  const named: [string, Family][] = [];
  if (ask.family !== undefined) named.push([`the IPv${ask.family} question`, ask.family]);
  const from = ask.from === undefined ? null : parseAddr(splitClient(ask.from).ip);
  if (from !== null) named.push([`--from ${ask.from}`, from.family]);
  const nodeIp = ask.nodeIp === undefined ? null : parseAddr(ask.nodeIp);
  if (nodeIp !== null) named.push([`--node-ip ${ask.nodeIp}`, nodeIp.family]);
  const [first, ...rest] = named;
  const other = rest.find(([, f]) => f !== first?.[1]);
  if (first !== undefined && other !== undefined) throw new QuestionError(`${other[0]} is IPv${other[1]}, but ${first[0]} is IPv${first[1]}: a connection has one address family`);
  return first?.[1] ?? null;
}

export function buildContext(snapshot: Snapshot, given: Ask, cluster = new ClusterModel(snapshot), family = questionFamilies(cluster, given)[0]!): Analysis {
  // An IPv6 address as the kernel prints it (`ip -j addr`, the Node object), however it was typed.
  const ask = given.nodeIp === undefined ? given : { ...given, nodeIp: parseAddr(given.nodeIp)?.text ?? given.nodeIp };
  const service = cluster.service(ask.namespace, ask.service) ?? null;
  if (ask.node !== undefined && ask.nodeIp !== undefined && !isLoopbackIp(ask.nodeIp)) {
    throw new QuestionError('--node and --node-ip both name the ingress node: give one');
  }
  const port = service === null ? null : pickPort(service, ask.port, ask.protocol);
  const wrongTarget = clusterIpTarget(cluster, ask.nodeIp);
  // Dialling loopback (or a node's own address from itself) is a process on the node: the OUTPUT path.
  const loopback = ask.nodeIp !== undefined && isLoopbackIp(ask.nodeIp);
  // A family the Service lacks has no nodePort on any node (kube-proxy's proxier of that family
  // skips the Service): like a ClusterIP dialled from outside, there is nothing to replay. ::1 is
  // replayed all the same: localhost-nodeport-unsupported explains it better (no mode serves ::1).
  const unserved = service !== null && !loopback && !ipFamiliesOf(service).includes(family);
  const picked = wrongTarget || unserved ? { ingress: [] } : pickIngress(cluster, ask, family, service);
  const ingress = picked.ingress;
  const client = parseClient(ask.from ?? (loopback ? ask.nodeIp : undefined), family);
  const pathIngress = ingress.map((i) => (loopback || ownAddress(cluster, i.node, client.ip, family) ? { ...i, localProcess: true } : i));
  const question: Question = { namespace: ask.namespace, service: ask.service, port, family, client, ingress, ...(wrongTarget ? { wrongTarget } : {}), ...(unserved ? { unserved: true } : {}), ...(picked.notReplayed ? { notReplayed: picked.notReplayed } : {}) };
  const paths = service !== null && port !== null && port.nodePort !== null
    ? analysePaths({
      client,
      protocol: ask.protocol ?? (port.protocol.toLowerCase() as Protocol),
      nodePort: port.nodePort,
      ingress: pathIngress,
      nodes: pathNodes(cluster, ingress.map((i) => i.node), family),
      backends: backends(cluster, service, port, family),
      policy: policyOf(cluster, ask.namespace),
      nodeAddresses: Object.fromEntries(cluster.nodes.map((n) => [n.name, n.internalIPs])),
      ...(ask.returningClient === true ? { returningClient: true } : {}),
      // Each walk's time budget (the engine has no clock): a hostile dump cannot stall a diagnosis.
      limits: { now: () => performance.now(), timeLimitMs: DEFAULT_TIME_LIMIT_MS },
    })
    : [];
  return { snapshot, cluster, question, service, paths };
}

function pickPort(svc: ServiceInfo, want: string | undefined, protocol: Protocol | undefined): ServicePort | null {
  const n = want !== undefined && /^\d+$/.test(want) ? Number(want) : null;
  const candidates = svc.ports
    .filter((x) => want === undefined || x.name === want || (n !== null && (x.port === n || x.nodePort === n)))
    .filter((x) => protocol === undefined || x.protocol.toLowerCase() === protocol);
  if (candidates.length === 0 && (want !== undefined || protocol !== undefined) && svc.ports.length > 0) {
    const known = svc.ports.map((x) => `${x.name || '(unnamed)'} ${x.port}${x.nodePort ? `:${x.nodePort}` : ''}/${x.protocol}`).join(', ');
    throw new QuestionError(`Service ${svc.namespace}/${svc.name} has no port ${[want, protocol?.toUpperCase()].filter(Boolean).join('/')} (ports: ${known})`);
  }
  return candidates[0] ?? null;
}

/** A ClusterIP is virtual: it answers only inside the cluster, and only on the Service port. */
function clusterIpTarget(cluster: ClusterModel, ip: string | undefined): Question['wrongTarget'] {
  if (ip === undefined || cluster.nodeByAddress(ip) !== undefined) return undefined;
  const svc = cluster.services.find((s) => s.clusterIPs.includes(ip));
  return svc === undefined ? undefined : { address: ip, clusterIpOf: `${svc.namespace}/${svc.name}` };
}

/**
 * From a snapshot of more nodes than this, a question without --node, --node-ip or --all-nodes
 * replays what a live diagnose reads by default (the nodes running the Service's endpoints) and one
 * node running none of them (where an eTP=Local Service drops), and says how many it left out:
 * 100 nodes of 10,000 Services each cost a parse, and a person at a terminal waits for the answer.
 */
export const DEFAULT_REPLAY_NODES = 16;

function pickIngress(cluster: ClusterModel, ask: Ask, family: Family, service: ServiceInfo | null): Pick<Question, 'ingress' | 'notReplayed'> {
  const addressOf = (name: string): string => {
    const n = cluster.node(name);
    const ofFamily = (a: string | null | undefined): a is string => a !== null && a !== undefined && parseAddr(a)?.family === family;
    const read = cluster.snapshot.nodes.find((s) => s.name === name)?.address;
    const usable = (n?.internalIPs ?? []).filter((a) => parseAddr(a) !== null);
    return usable.find(ofFamily) ?? (ofFamily(read) ? read : undefined)
      // A dual-stack node whose Node object lists the other family only (kubelet given one --node-ip).
      ?? (usable.length > 0 ? globalAddress(cluster, name, family) : undefined)
      // Nothing usable: what there is, so the path says which value cannot be dialled (never an address of the other family).
      ?? (family === 4 ? read : null) ?? n?.internalIPs.find((a) => parseAddr(a) === null) ?? name;
  };
  const ingress = (names: string[]) => names.map((node) => ({ node, address: addressOf(node) }));
  if (ask.nodeIp !== undefined && isLoopbackIp(ask.nodeIp)) {
    // Every node has loopback: --node says which one, else every node read dials its own.
    const names = ask.node !== undefined ? [ask.node] : cluster.snapshot.nodes.map((n) => n.name);
    return { ingress: names.map((node) => ({ node, address: ask.nodeIp! })) };
  }
  if (ask.nodeIp !== undefined) {
    if (parseAddr(ask.nodeIp) === null) throw new QuestionError(`--node-ip ${ask.nodeIp} is not an IP address`);
    const n = cluster.nodeByAddress(ask.nodeIp) ?? cluster.nodes.find((x) => cluster.nodeDataOf(x.name).command('ip-addr')?.stdout.includes(`"${ask.nodeIp}"`));
    if (n === undefined) {
      // One node a line with its IP addresses (a Hostname address is not one), at most 20 lines.
      const lines = cluster.nodes.slice(0, 20).map((x) => `\n  ${x.name}: ${x.addresses.map((a) => a.address).filter((a) => parseAddr(a) !== null).slice(0, 8).join(', ')}`);
      const more = cluster.nodes.length > 20 ? `\n  … and ${cluster.nodes.length - 20} more` : '';
      throw new QuestionError(`--node-ip ${ask.nodeIp}: no node has this address; ${lines.length > 0 ? `the nodes are:${lines.join('')}${more}` : 'no node was read'}`);
    }
    return { ingress: [{ node: n.name, address: ask.nodeIp }] };
  }
  if (ask.node !== undefined) {
    if (cluster.node(ask.node) === undefined && !cluster.snapshot.nodes.some((s) => s.name === ask.node)) {
      throw new QuestionError(`node "${ask.node}" is not in the snapshot (nodes: ${cluster.nodes.map((n) => n.name).join(', ') || 'none read'})`);
    }
    return { ingress: ingress([ask.node]) };
  }
  // Default: every node, as any of them may be the one a client hits; a node that was not read is
  // replayed as "unavailable", never skipped (an eTP Local drop lives on the nodes without pods).
  const names = cluster.nodes.length > 0 ? cluster.nodes.map((n) => n.name) : cluster.snapshot.nodes.map((n) => n.name);
  if (ask.allNodes === true || names.length <= DEFAULT_REPLAY_NODES || service === null) return { ingress: ingress(names) };
  const hosting = new Set(endpointNodes(cluster.slicesOf(service)));
  const without = names.find((n) => !hosting.has(n));
  const chosen = names.filter((n) => hosting.has(n) || n === without);
  const why = `a snapshot of more than ${DEFAULT_REPLAY_NODES} nodes replays by default the nodes running the Service's endpoints`
    + `${without === undefined ? '' : ` and one running none (${without})`}; --all-nodes replays every node`;
  return { ingress: ingress(chosen), notReplayed: { count: names.length - chosen.length, why } };
}

/**
 * A node's first global address of the family from its `ip -j addr` (no loopback, no fe80::/10
 * link-local, which needs a zone to dial): the address when the Node object lists none of the
 * family (a dual-stack node whose kubelet was given one --node-ip).
 */
function globalAddress(cluster: ClusterModel, node: string, family: Family): string | undefined {
  const r = cluster.nodeDataOf(node).rulesFor(family);
  if (!r.ok) return undefined;
  return r.context.localIps.map((l) => l.split('/')[0] ?? l)
    .find((a) => {
      const addr = parseAddr(a);
      return addr?.family === family && !isLoopback(addr) && !isLinkLocal(addr);
    });
}

/** Whether `ip` is configured on the node (per its `ip -j addr`). */
function ownAddress(cluster: ClusterModel, node: string, ip: string, family: Family): boolean {
  const r = cluster.nodeDataOf(node).rulesFor(family);
  return r.ok && addressesOf(r.context).has(ip);
}

/** A context's addresses without their prefixes, listed once per context: asked for every ingress node of every Service. */
const ownSets = new WeakMap<NodeContext, Set<string>>();

function addressesOf(context: NodeContext): Set<string> {
  let set = ownSets.get(context);
  if (set === undefined) ownSets.set(context, set = new Set(context.localIps.map((l) => l.split('/')[0] ?? l)));
  return set;
}

/** `203.0.113.7:40000`, `[2001:db8::7]:40000` → address and port; a bare address (IPv6 has colons of its own) has no port. */
function splitClient(from: string): { ip: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(from) ?? (from.split(':').length === 2 ? /^([^:]+):(\d+)$/.exec(from) : null);
  const bare = /^\[([^\]]+)\]$/.exec(from);
  return { ip: m ? m[1]! : bare ? bare[1]! : from, port: m ? Number(m[2]) : DEFAULT_CLIENT_PORT };
}

function parseClient(from: string | undefined, family: Family): Question['client'] {
  if (from === undefined) return { ip: DEFAULT_CLIENT[family], port: DEFAULT_CLIENT_PORT };
  const { ip, port } = splitClient(from);
  const a = parseAddr(ip);
  if (a === null) throw new QuestionError(`--from ${from} is not an IP address (optionally with :port; [IPv6]:port)`);
  if (port < 1 || port > 65535) throw new QuestionError(`--from ${from}: port must be 1-65535`);
  if (a.family !== family) throw new QuestionError(`--from ${from} is IPv${a.family}, but the question is IPv${family}`);
  return { ip: a.text, port };
}

/**
 * The nodes a path may reach (the ingress nodes and every node read), each built on first lookup:
 * a node's rules are parsed only when a path of this question goes through it.
 */
function pathNodes(cluster: ClusterModel, ingress: string[], family: Family): Pick<ReadonlyMap<string, PathNode>, 'get'> {
  const names = new Set(ingress);
  const built = new Map<string, PathNode>();
  return {
    get(name) {
      if (!names.has(name) && cluster.nodeState(name) === undefined) return undefined;
      let node = built.get(name);
      if (node === undefined) {
        node = pathNode(cluster, name, family);
        built.set(name, node);
      }
      return node;
    },
  };
}

function pathNode(cluster: ClusterModel, name: string, family: Family): PathNode {
  const d = cluster.nodeDataOf(name);
  const r = d.rulesFor(family);
  // A kube-proxy replacement handles NodePorts outside netfilter: replaying the rules would prove nothing.
  const replaced = replayBlockedBy(cluster, name);
  // The walk replays IPVS for IPv4 only: an IPv6 virtual service would be passed over as if absent.
  const v6Ipvs = family === 6 && r.ok && (r.plane.ipvs?.services.some((v) => v.family === 6) ?? false);
  const rules = replaced !== null ? { unavailable: replaced }
    : !r.ok ? { unavailable: r.why }
      : v6Ipvs ? { unavailable: `${name} has IPv6 IPVS virtual services (kube-proxy in IPVS mode), which np-doctor does not replay yet: IPv6 is undecided there` }
        : { plane: r.plane, context: r.context };
  return { name, rules, sysctls: d.sysctls, listening: d.listening };
}

/** The endpoints kube-proxy sends to, with their pods. */
function backends(cluster: ClusterModel, svc: ServiceInfo, port: ServicePort, family: Family): PathBackend[] {
  return endpointSlicesOf(cluster, family).used(svc, port).map((e) => {
    const pod = endpointPod(cluster, e);
    const node = e.nodeName ?? pod?.nodeName ?? null;
    const sockets = pod !== undefined && !pod.hostNetwork && node !== null ? podListener(cluster, node, pod, e.address, e.port, port.protocol) : null;
    return { ip: e.address, port: e.port, node, pod: pod ? policyPod(pod) : null, hostNetwork: pod?.hostNetwork ?? false, sockets };
  });
}

/** Whether the pod's own sockets take a connection to ip:port; null when they were not read (or SCTP, which ss -t -u does not list). */
function podListener(cluster: ClusterModel, node: string, pod: PodInfo, ip: string, port: number, protocol: string): PathBackend['sockets'] {
  if (protocol !== 'TCP' && protocol !== 'UDP') return null;
  const read = cluster.nodeDataOf(node).podSockets([...new Set([ip, ...pod.ips])]);
  if (read.state !== 'read') return null;
  const l = listenerFor(read.sockets, ip, port, protocol);
  const who = `pod ${pod.namespace}/${pod.name}`;
  const bound = (list: readonly ListeningSocket[]) => [...new Set(list.map((s) => `${boundText(s)}/${s.protocol}`))].slice(0, 4).join(', ');
  switch (l.state) {
    case 'listens': return { accepts: true };
    case 'loopback': return { accepts: false, why: `${who} listens on ${bound(l.sockets)} only: nothing outside the pod can connect` };
    case 'other-protocol': return { accepts: false, why: `${who} listens on ${port}/${l.sockets[0]?.protocol ?? ''}, not ${protocol}: nothing listens on ${protocol}/${port}` };
    case 'nothing': return { accepts: false, why: `nothing in ${who} listens on ${protocol}/${port}` };
  }
}

/** The NetworkPolicy world, or why it is unknown: the policies of the namespace could not be read. */
function policyOf(cluster: ClusterModel, namespace: string): PolicyWorld | { unavailable: string } {
  const refused = gatherErrorsFor(cluster.snapshot, 'networkPolicies', namespace);
  return refused.length > 0 ? { unavailable: refused.map((e) => `${e.what}: ${e.why}`).join('; ') } : policyWorld(cluster);
}
