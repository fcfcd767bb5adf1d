/**
 * One node's gathered state, parsed on first use: its iptables dumps per backend, the walk's
 * NodeContext, sysctls. Everything answers "unknown, because …" rather than guessing when the
 * node was not reached or a command did not run.
 */
import { ParseError } from '../engine/errors.js';
import { parseIptablesSave, type Ruleset } from '../engine/iptables/parse.js';
import type { NodeContext } from '../engine/packet/contract.js';
import type { Dataplane } from '../engine/walk/walk.js';
import { complete, nodeView, NodeViewError, parseSysctls } from './node-view.js';
import type { CommandOutput, GatherError, NodeState } from '../snapshot/schema.js';
import { parseDataplane } from './dataplane.js';

export type Family = 4 | 6;

/** The node's rules for one address family, or why they are not available. */
export type NodeRules =
  | { ok: true; rulesets: Ruleset[]; plane: Dataplane; context: NodeContext }
  | { ok: false; why: string };

export class NodeData {
  private readonly rules = new Map<Family, NodeRules>();
  private sockets: Set<string> | null | undefined;
  private readonly backendDumps = new Map<string, Ruleset | null>();
  private sysctlMap: Map<string, string> | undefined;

  constructor(
    readonly name: string,
    readonly state: NodeState | null,
    readonly errors: GatherError[],
    private readonly collect: string,
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
    return this.state === null ? undefined : complete(this.state, id);
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

  /** One backend's IPv4 dump (`iptables-legacy-save` / `iptables-nft-save`), null when empty or not run. */
  backendDump(backend: 'legacy' | 'nft', family: Family = 4): Ruleset | null {
    const id = `ip${family === 6 ? '6' : ''}tables-${backend}-save`;
    if (!this.backendDumps.has(id)) {
      const out = this.command(id);
      let parsed: Ruleset | null = null;
      if (out?.exitCode === 0 && /^\*/m.test(out.stdout)) {
        try {
          parsed = parseIptablesSave(out.stdout, { source: `${this.name}:${id}` });
        } catch {
          parsed = null;
        }
      }
      this.backendDumps.set(id, parsed);
    }
    return this.backendDumps.get(id) ?? null;
  }

  /** `sysctl -e` values; empty when the command did not run. */
  get sysctls(): Map<string, string> {
    this.sysctlMap ??= this.state === null ? new Map() : parseSysctls(this.state);
    return this.sysctlMap;
  }

  sysctl(name: string): string | undefined {
    return this.sysctls.get(name);
  }

  /**
   * Listening ports in the host network namespace as `tcp/22`, `udp/53`, from `ss -H -l -n -t -u`;
   * null when not gathered. A socket bound to loopback only is left out: a client cannot reach it.
   */
  get listening(): Set<string> | null {
    if (this.sockets === undefined) {
      const out = this.command('listening-sockets');
      if (out?.exitCode !== 0) this.sockets = null;
      else {
        this.sockets = new Set();
        for (const line of out.stdout.split('\n')) {
          const f = line.trim().split(/\s+/);
          const local = f[4];
          if ((f[0] !== 'tcp' && f[0] !== 'udp') || local === undefined) continue;
          const colon = local.lastIndexOf(':');
          const host = local.slice(0, colon).replace(/%.*$/, '').replace(/^\[|\]$/g, '');
          if (host.startsWith('127.') || host === '::1') continue;
          this.sockets.add(`${f[0]}/${local.slice(colon + 1)}`);
        }
      }
    }
    return this.sockets;
  }

  private loadRules(family: Family): NodeRules {
    const away = this.unavailable;
    if (away !== null || this.state === null) return { ok: false, why: away ?? 'not gathered' };
    try {
      const view = nodeView(this.state, family);
      return { ok: true, ...parseDataplane(view), context: view.context };
    } catch (e) {
      if (e instanceof NodeViewError || e instanceof ParseError) return { ok: false, why: e.message };
      throw e;
    }
  }
}
