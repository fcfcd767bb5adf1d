/**
 * What kube-proxy's rules say about one NodePort, in either mode, read from the text the node's
 * own tools print (iptables-save; `nft list table ip kube-proxy`). Tests wait on these to know
 * kube-proxy has synced a change (never a fixed sleep). Facts used:
 *   - both modes DNAT to `IP:PORT` (`--to-destination` / `dnat to`), or in nftables mode of newer
 *     releases, for several endpoints, through `dnat ip to numgen random mod N map { 0 : IP . PORT, … }`;
 *   - iptables mode comments the REJECT/DROP for a Service port with no (local) endpoints
 *     `"<ns>/<svc>:<port> has no endpoints"` / `"… has no local endpoints"`, with `--dport <nodePort>`;
 *   - nftables mode lists such a nodePort in the map no-endpoint-nodeports, `tcp . <nodePort>
 *     comment "<ns>/<svc>:<port>" : goto reject-chain` (no endpoints) or `… : drop` (none local);
 *   - with nodePortAddresses set, iptables mode writes a `-d <ip>/32 -j KUBE-NODEPORTS` tail rule per
 *     address instead of `--dst-type LOCAL`; nftables mode lists them in the set nodeport-ips.
 */
import type { ProxyMode } from '../../support/k8s-lab/kube-proxy.js';

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The rules DNAT to `ip:port` (nftables ≥ 1.35 with several endpoints: a numgen map of `ip . port`). */
export const serves = (rules: string, ip: string, port: number): boolean =>
  new RegExp(`(?<![\\d.])${esc(ip)}(?::| \\. )${port}(?!\\d)`).test(rules);

function noEndpointRule(mode: ProxyMode, rules: string, svcPort: string, nodePort: number, local: boolean): boolean {
  if (mode === 'nftables') return new RegExp(`tcp \\. ${nodePort}(?: comment "[^"]*")? : ${local ? 'drop' : 'goto reject-chain'}\\b`).test(rules);
  const comment = `"${svcPort} has no ${local ? 'local ' : ''}endpoints"`;
  return rules.split('\n').some((l) => l.includes(comment) && l.includes(`--dport ${nodePort} `));
}

/** kube-proxy rejects the nodePort: the Service port has no (ready, ported) endpoint. */
export const rejects = (mode: ProxyMode, rules: string, svcPort: string, nodePort: number): boolean =>
  noEndpointRule(mode, rules, svcPort, nodePort, false);

/** kube-proxy drops the nodePort on purpose: externalTrafficPolicy Local and no endpoint on this node. */
export const dropsNoLocal = (mode: ProxyMode, rules: string, svcPort: string, nodePort: number): boolean =>
  noEndpointRule(mode, rules, svcPort, nodePort, true);

/** The node addresses NodePorts are served on, or 'all' (iptables' --dst-type LOCAL, nftables' fib). */
export function nodePortAddresses(mode: ProxyMode, rules: string): string[] | 'all' {
  if (mode === 'iptables') {
    const tail = rules.split('\n').filter((l) => l.startsWith('-A KUBE-SERVICES ') && l.endsWith('-j KUBE-NODEPORTS'));
    if (tail.some((l) => l.includes('--dst-type LOCAL'))) return 'all';
    return tail.map((l) => / -d (\S+?)(?:\/32)? /.exec(l)?.[1]).filter((a): a is string => a !== undefined).sort();
  }
  const set = /set nodeport-ips \{[^}]*?elements = \{([^}]*)\}/s.exec(rules);
  if (set === null) return /set nodeport-ips/.test(rules) ? [] : 'all';
  return set[1]!.split(',').map((s) => s.trim()).filter((s) => s !== '').sort();
}
