/**
 * One node's gathered state, parsed on first use: its iptables dumps per backend, the walk's
 * NodeContext, sysctls. Everything answers "unknown, because …" rather than guessing when the
 * node was not reached or a command did not run.
 */
import { ParseError } from '../engine/errors.js';
import { parseIptablesSave, type Ruleset } from '../engine/iptables/parse.js';
import type { NodeContext } from '../engine/packet/contract.js';
import type { Dataplane } from '../engine/walk/walk.js';
import { complete, DUMPS, ipLinksOf, nodeAddresses, nodeView, NodeViewError, parseSysctls } from './node-view.js';
import type { IpLink } from './ip-links.js';
import { contentKey, storedTextOf, withText } from '../snapshot/chunk-store.js';
import type { CommandOutput, GatherError, NodeState } from '../snapshot/schema.js';
import { parseDataplane, type DumpParses } from './dataplane.js';
import { PodNetns } from './pod-netns.js';
import { parseListeningSockets, type ListeningSocket, type PodSockets } from './sockets.js';

export type Family = 4 | 6;

/** The node's rules for one address family, or why they are not available. */
export type NodeRules =
  | { ok: true; rulesets: Ruleset[]; plane: Dataplane; context: NodeContext }
  | { ok: false; why: string };

/** Outputs stored in more than this many bytes are read from the store when asked, not kept as text. */
const KEEP_AS_TEXT = 1024 * 1024;

export class NodeData {
  private readonly rules = new Map<Family, NodeRules>();
  private socketTable: ListeningSocket[] | null | undefined;
  private listeningPorts: Set<string> | null | undefined;
  private podNetns: PodNetns | { why: string } | undefined;
  private readonly outputs = new Map<string, CommandOutput | undefined>();
  private readonly structures = new Map<string, Ruleset | null | undefined>();
  private sysctlMap: Map<string, string> | undefined;
  private linkList: IpLink[] | null | undefined;
  private own: string[] | undefined;

  constructor(
    readonly name: string,
    readonly state: NodeState | null,
    readonly errors: GatherError[],
    private readonly collect: string,
    /** Shared with the other nodes of the model: an identical dump is parsed once. */
    private readonly parses?: DumpParses,
  ) {}

  /** Why nothing was gathered from this node, or null when something was. */
  get unavailable(): string | null {
    if (this.state !== null && Object.keys(this.state.commands).length > 0) return null;
    const e = this.errors[0];
    if (e !== undefined) return `${e.what}: ${e.why}`;
    return this.collect === 'none' ? 'node state was not collected (--collect none)' : 'the node was not part of the gathering';
  }

  /**
   * A command's output, or undefined when it did not run or was cut at the output limit: a cut
   * output is a prefix, and a check reading it as the node's state would conclude from rules or
   * sockets it never saw. The snapshot keeps it (and `errors` says it was cut) for people.
   */
  command(id: string): CommandOutput | undefined {
    if (!this.outputs.has(id)) {
      const out = this.state === null ? undefined : complete(this.state, id);
      // Copied once, so a snapshot that joins a command's stdout from stored chunks on every
      // read (format v2) joins it once per node, not once per check and Service asking. Not a
      // large one: a dump of 10,000 Services is 17 MB, a snapshot may hold a hundred nodes, and a
      // dump is read where it is parsed, once (rulesFor, dumpStructure).
      const large = out !== undefined && (storedTextOf(out)?.bytes ?? 0) > KEEP_AS_TEXT;
      this.outputs.set(id, out === undefined || large ? out : withText(out));
    }
    return this.outputs.get(id);
  }

  /** The dumps the walk replays for a family (both backends when both hold rules), parsed once. */
  rulesFor(family: Family): NodeRules {
    let r = this.rules.get(family);
    if (r === undefined) {
      r = this.loadRules(family);
      this.rules.set(family, r);
    }
    return r;
  }

  /** One backend's dump of a family (`iptables-legacy-save`, `ip6tables-nft-save`…), null when empty or not run. */
  backendDump(backend: 'legacy' | 'nft', family: Family): Ruleset | null {
    return this.dumpStructure(DUMPS[family][0][backend === 'nft' ? 0 : 1]) ?? null;
  }

  /**
   * An iptables dump's structure, parsed once: null when it ran and holds no table, undefined when
   * it did not run, failed, or cannot be parsed.
   */
  dumpStructure(id: string): Ruleset | null | undefined {
    if (!this.structures.has(id)) {
      const out = this.command(id);
      let parsed: Ruleset | null | undefined;
      // The replay's parse when it holds this dump: its structure is the same, read once.
      const replayed = this.rules.get(DUMPS[4].flat().some((d) => d === id) ? 4 : 6);
      const same = replayed?.ok === true ? replayed.rulesets.find((rs) => rs.source === `${this.name}:${id}`) : undefined;
      // Or another dump with the same text (`iptables-save` prints what `iptables-nft-save` does), on any node.
      const twin = out?.exitCode === 0 ? this.parses?.get(contentKey(out)) : undefined;
      if (same !== undefined) {
        parsed = same;
      } else if (twin !== undefined && !(twin instanceof ParseError)) {
        parsed = { ...twin, source: `${this.name}:${id}` };
      } else if (out?.exitCode === 0) {
        try {
          // Structure only: the checks that ask for one dump read which chains it holds. Its
          // rules are checked where the node is replayed (rulesFor), which refuses a malformed
          // line and says so; a refused dump must not look like a node without rules here.
          parsed = /^\*/m.test(out.stdout) ? parseIptablesSave(out.stdout, { source: `${this.name}:${id}`, validate: false }) : null;
        } catch {
          parsed = undefined;
        }
      }
      this.structures.set(id, parsed);
    }
    return this.structures.get(id);
  }

  /** The node's links (`ip -j addr`), parsed once; null when it did not run, failed, was cut or is not a JSON array. */
  get links(): IpLink[] | null {
    if (this.linkList === undefined) this.linkList = this.state === null ? null : ipLinksOf(this.state);
    return this.linkList;
  }

  /**
   * The node's own addresses of both families, as `ip -j addr` lists them (else the address it was
   * read at), without the prefix; empty when neither is readable. Read without parsing the dumps:
   * the policy world asks this of every node for any question.
   */
  get ownAddresses(): string[] {
    if (this.own === undefined) {
      let ips: string[] = [];
      if (this.unavailable === null && this.state !== null) {
        try {
          ips = nodeAddresses(this.state, this.links).localIps.map((l) => l.split('/')[0] ?? l);
        } catch (e) {
          if (!(e instanceof NodeViewError)) throw e;
        }
      }
      this.own = ips;
    }
    return this.own;
  }

  /** `sysctl -e` values; empty when the command did not run. */
  get sysctls(): Map<string, string> {
    this.sysctlMap ??= this.state === null ? new Map() : parseSysctls(this.state);
    return this.sysctlMap;
  }

  sysctl(name: string): string | undefined {
    return this.sysctls.get(name);
  }

  /** The listening sockets of the host network namespace (`ss -H -l -n -t -u -p`); null when not gathered. */
  get sockets(): ListeningSocket[] | null {
    if (this.socketTable === undefined) {
      const out = this.command('listening-sockets');
      this.socketTable = out?.exitCode === 0 ? parseListeningSockets(out.stdout) : null;
    }
    return this.socketTable;
  }

  /**
   * Listening ports in the host network namespace as `tcp/22`, `udp/53`; null when not gathered.
   * A socket bound to loopback only is left out: a client cannot reach it.
   */
  get listening(): Set<string> | null {
    if (this.listeningPorts === undefined) {
      const sockets = this.sockets;
      this.listeningPorts = sockets === null ? null
        : new Set(sockets.filter((s) => s.reach !== 'loopback').map((s) => `${s.protocol.toLowerCase()}/${s.port}`));
    }
    return this.listeningPorts;
  }

  /** The listening sockets in the network namespace that holds one of `podIps` (a pod on this node), or why they are unknown. */
  podSockets(podIps: readonly string[]): PodSockets {
    this.podNetns ??= this.loadPodNetns();
    return this.podNetns instanceof PodNetns ? this.podNetns.find(podIps) : { state: 'unknown', why: this.podNetns.why };
  }

  private loadPodNetns(): PodNetns | { why: string } {
    const away = this.unavailable;
    if (away !== null || this.state === null) return { why: `nothing was read from ${this.name} (${away ?? 'not gathered'})` };
    if (this.state.access === 'files') return { why: `${this.name} was read from --node-dump files, which hold no pod's sockets` };
    const addresses = this.podNetnsOutput('pod-netns-addresses');
    if (typeof addresses === 'string') return { why: addresses };
    const sockets = this.podNetnsOutput('pod-netns-sockets');
    if (typeof sockets === 'string') return { why: sockets };
    return new PodNetns({ node: this.name, addresses, sockets, debugPod: this.state.access === 'debug-pod' });
  }

  /** One of the pod namespace commands' output, or why it cannot be read. */
  private podNetnsOutput(id: 'pod-netns-addresses' | 'pod-netns-sockets'): CommandOutput | string {
    if (this.state?.commands[id] === undefined) {
      return 'the snapshot holds no pods\' sockets (it was written before np-doctor read them): gather a new one to prove what the pods listen on';
    }
    const out = this.command(id);
    if (out === undefined) return `the output of ${id} on ${this.name} was larger than np-doctor keeps (--max-output), so it is not read`;
    if (out.exitCode === 0) return out;
    const said = out.stderr.trim().split('\n').pop()?.slice(0, 200) ?? '';
    return `${out.argv.join(' ')} failed on ${this.name} (${out.exitCode === null ? 'did not finish' : `exit ${out.exitCode}`})${said ? `: ${said}` : ''}`;
  }

  private loadRules(family: Family): NodeRules {
    const away = this.unavailable;
    if (away !== null || this.state === null) return { ok: false, why: away ?? 'not gathered' };
    try {
      const view = nodeView(this.state, family, this.links);
      return { ok: true, ...parseDataplane(view, this.parses), context: view.context };
    } catch (e) {
      if (e instanceof ParseError) return { ok: false, why: `the node's rules cannot be replayed: ${e.source} line ${e.line}: ${e.problem}` };
      if (e instanceof NodeViewError) return { ok: false, why: e.message };
      throw e;
    }
  }
}
