/**
 * `-m physdev`: the bridge ports a packet came in by and goes out by. Kernel facts (xt_physdev,
 * br_netfilter; the first measured in a network namespace here):
 * - The ports are known only for a packet that entered the IP layer through a port of a bridge
 *   whose traffic br_netfilter hands to iptables. A routed packet that entered that way keeps its
 *   input port (`--physdev-in vethX` and `--physdev-is-in` match it at INPUT); a packet that entered
 *   on an interface with no ports, through lo, or was made by a local process has no bridge
 *   information at all, and then each option is false and its negation true.
 * - The output port is set only when the bridge forwards the packet between two of its ports
 *   (`--physdev-is-bridged`, `--physdev-out`, `--physdev-is-out`). Before that decision, at
 *   PREROUTING, INPUT and OUTPUT, it is not set; a routed packet never has one.
 */
import type { Branch } from '../packet/branch.js';
import type { MatchResult } from '../packet/match-result.js';
import type { WalkEnv } from '../packet/walk-env.js';
import { ifaceMatch, type MatchFn } from './matches.js';
import { RuleSyntaxError } from './rule.js';
import type { RuleOption } from './ruleset.js';

/** Hooks where no packet has an output bridge port yet. */
const BEFORE_BRIDGING = new Set(['PREROUTING', 'INPUT', 'OUTPUT']);

/**
 * The ports of the bridge the packet entered by: `none` when it entered by no bridge port, the
 * ports when the node's links say which they are, else why it cannot be told.
 */
function entryPorts(b: Branch, env: WalkEnv): 'none' | string[] | { unknown: string } {
  if (b.localOrigin || b.inIface === 'lo') return 'none';
  if (b.inIface === undefined) return { unknown: 'the packet\'s input interface is not known, so neither is the bridge port it came by (pass --in-iface)' };
  const masterOf = env.node.masterOf;
  if (masterOf === undefined) return { unknown: `whether ${b.inIface} is a bridge is not known (the node's links, as a snapshot's ip addr shows them, would tell)` };
  const ports = Object.keys(masterOf).filter((port) => masterOf[port] === b.inIface);
  return ports.length === 0 ? 'none' : ports;
}

/** True/false when known, whichever way the bridge port goes. */
function bridged(b: Branch, env: WalkEnv): MatchResult {
  const ports = entryPorts(b, env);
  if (ports === 'none' || BEFORE_BRIDGING.has(b.hook)) return false;
  if (!Array.isArray(ports)) return ports;
  if (b.outIfaceKnown && b.outIface !== b.inIface) return false;
  return { unknown: `${b.inIface ?? '?'} is a bridge: whether it forwards the packet between two of its ports (bridged, not routed) is not known` };
}

function noValue(o: RuleOption): void {
  if (o.values.length !== 0) throw new RuleSyntaxError(`${o.name} takes no value`);
}

/** One option of `-m physdev`; compileMatch applies its `!`. */
export function physdevOption(o: RuleOption, unknownOption: (o: RuleOption) => MatchFn): MatchFn {
  switch (o.name) {
    case '--physdev-is-bridged':
      noValue(o);
      return bridged;
    case '--physdev-is-out':
      noValue(o);
      return bridged;
    case '--physdev-is-in':
      noValue(o);
      return (b, env) => {
        const ports = entryPorts(b, env);
        if (ports === 'none') return false;
        if (!Array.isArray(ports)) return ports;
        return { unknown: `${b.inIface ?? '?'} has bridge ports (${ports.join(', ')}); whether br_netfilter hands its traffic to iptables is not known` };
      };
    case '--physdev-in': {
      if (o.values.length !== 1) throw new RuleSyntaxError('--physdev-in takes one interface name');
      const pattern = o.values[0] as string;
      return (b, env) => {
        const ports = entryPorts(b, env);
        if (ports === 'none') return false;
        if (!Array.isArray(ports)) return ports;
        // No port of this bridge has the name: it cannot be the one the packet came by.
        if (!ports.some((p) => ifaceMatch(pattern, p))) return false;
        return { unknown: `which port of ${b.inIface ?? '?'} (${ports.join(', ')}) the packet came by is not known` };
      };
    }
    case '--physdev-out': {
      if (o.values.length !== 1) throw new RuleSyntaxError('--physdev-out takes one interface name');
      return (b, env) => {
        const r = bridged(b, env);
        return r === false ? false : { unknown: `the bridge port the packet leaves by is not known (rule tests --physdev-out ${o.values[0] as string})` };
      };
    }
    default:
      return unknownOption(o);
  }
}
