/**
 * Loads scenario rules with the real restore tools and reads them back with the real save tools.
 * The walk is fed the SAVED text, never the scenario's input: the kernel's round trip reorders
 * matches, adds /32, renders marks and probabilities its own way (reference §1.6), and that dump is
 * what np-doctor meets on a real node.
 */
import { run } from './exec.js';

export type Backend = 'nft' | 'legacy' | 'nft6';

const RESTORE: Record<Backend, string> = {
  nft: 'iptables-restore', // iptables v1.8.9 (nf_tables) on these machines
  legacy: 'iptables-legacy-restore',
  nft6: 'ip6tables-restore',
};
const SAVE: Record<Backend, string> = {
  nft: 'iptables-save',
  legacy: 'iptables-legacy-save',
  nft6: 'ip6tables-save',
};

export async function loadRules(ns: string, backend: Backend, text: string): Promise<void> {
  // `-w` waits for the xtables lock instead of failing when another restore holds it.
  await run(RESTORE[backend], ['-w'], { ns, input: text.endsWith('\n') ? text : `${text}\n` });
}

export async function saveRules(ns: string, backend: Backend): Promise<string> {
  return (await run(SAVE[backend], [], { ns })).stdout;
}

/**
 * The raw-table TRACE rules every scenario loads (they are part of the dump, so the walk sees them
 * as ordinary CONTINUE hops, and so does the kernel trace). They match the NodePort range, and for
 * IPv4 the service CIDR 10.96.0.0/12 (ClusterIP probes). The client's source ports are below the
 * NodePort range, so replies to the client are not traced.
 */
export function traceRaw(family: 4 | 6 = 4): string {
  return [
    '*raw',
    ':PREROUTING ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    '-A PREROUTING -p tcp -m tcp --dport 30000:32767 -j TRACE',
    '-A PREROUTING -p udp -m udp --dport 30000:32767 -j TRACE',
    ...(family === 4 ? ['-A PREROUTING -d 10.96.0.0/12 -j TRACE'] : []),
    '-A OUTPUT -p tcp -m tcp --dport 30000:32767 -j TRACE',
    '-A OUTPUT -p udp -m udp --dport 30000:32767 -j TRACE',
    ...(family === 4 ? ['-A OUTPUT -d 10.96.0.0/12 -j TRACE'] : []),
    'COMMIT',
    '',
  ].join('\n');
}

/** Loads native nftables rules (`nft -f -`), exactly as a tool that writes them (knftables, firewalld) would. */
export async function loadNftables(ns: string, text: string): Promise<void> {
  await run('nft', ['-f', '-'], { ns, input: text.endsWith('\n') ? text : `${text}\n` });
}

/**
 * The whole ruleset as `nft -j list ruleset` prints it: what np-doctor gathers on an nftables
 * node. Taken after every rule is loaded and BEFORE the trace table exists, so the walk never sees
 * the lab's own tracing rules. Tables iptables-nft created are in it too (the engine skips them).
 */
export async function dumpNftables(ns: string): Promise<string> {
  return (await run('nft', ['-j', 'list', 'ruleset'], { ns })).stdout;
}

/** The lab's trace table (not in any dump); its events are the boundary of a traversal, never hops. */
export const TRACE_TABLE = 'npd-trace';

/**
 * Marks what the nft trace should follow, at priority -500: before every table a scenario loads
 * (raw is -300, conntrack defrag -400), in prerouting (packets that arrive) and output (packets a
 * node process sends). It matches the NodePort range and the service CIDR, like traceRaw(), so
 * the monitor's marker datagram (UDP to port 32767) is traced too. Family inet: one table for both.
 */
export function traceTable(): string {
  const body = [
    '    meta l4proto { tcp, udp } th dport 30000-32767 meta nftrace set 1',
    '    ip daddr 10.96.0.0/12 meta nftrace set 1',
  ];
  return [
    `table inet ${TRACE_TABLE} {`,
    '  chain prerouting {',
    '    type filter hook prerouting priority -500; policy accept;',
    ...body,
    '  }',
    '  chain output {',
    '    type filter hook output priority -500; policy accept;',
    ...body,
    '  }',
    '}',
    '',
  ].join('\n');
}
