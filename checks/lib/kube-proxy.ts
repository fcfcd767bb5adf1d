/**
 * Shared reads for the kube-proxy checks: which rules kube-proxy wrote for a Service port on a
 * node, the evidence lines for them, the kube-proxy pods, and the endpoints kube-proxy should use.
 * Pure helpers over the CheckContext; no check logic lives here.
 */
import { parseAddr, parseCidr, cidrContains } from '../../src/engine/address.js';
import { ruleAt } from '../../src/engine/iptables/parse.js';
import { parseRule } from '../../src/engine/iptables/rule.js';
import type { Chain, Rule, Ruleset } from '../../src/engine/iptables/ruleset.js';
import type { Hop, Outcome } from '../../src/engine/packet/contract.js';
import type { NodePath } from '../../src/engine/path.js';
import { readPod, type PodInfo, type ServiceInfo, type ServicePort, type SliceEndpoint } from '../../src/model/kube.js';
import type { CheckContext, Evidence } from '../../src/run/check.js';

/** kube-proxy's name for a Service port: `ns/name:port`, or `ns/name` for an unnamed port. */
export function servicePortName(svc: ServiceInfo, port: ServicePort): string {
  const name = port.name.startsWith('#') ? '' : port.name;
  return `${svc.namespace}/${svc.name}${name === '' ? '' : `:${name}`}`;
}

/** The node's IPv4 rulesets (both backends when both hold rules), or null when not readable. */
export function rulesetsOf(ctx: CheckContext, node: string): Ruleset[] | null {
  const r = ctx.cluster.nodeDataOf(node).rulesFor(4);
  return r.ok ? r.rulesets : null;
}

export function chainOf(rs: Ruleset, table: string, chain: string): Chain | undefined {
  return rs.tables.get(table)?.chains.get(chain);
}

/** A chain's rules; a rule this parser cannot read is left out rather than failing the check. */
export function rulesIn(rs: Ruleset, table: string, chain: string): Rule[] {
  const c = chainOf(rs, table, chain);
  if (c === undefined) return [];
  const out: Rule[] = [];
  for (let i = 0; i < c.count; i++) {
    try {
      out.push(ruleAt(rs, c, i));
    } catch {
      // An unreadable rule is the parser's finding, not this check's.
    }
  }
  return out;
}

/** Parses a hop's rule text again (hops keep only the text); null for a policy hop or bad text. */
export function hopRule(hop: Hop): Rule | null {
  // nftables and IPVS hops are not iptables rules.
  if (hop.rule === null || hop.family !== undefined || hop.table === 'ipvs') return null;
  try {
    return parseRule(hop.table, hop.chain, hop.line, hop.rule);
  } catch {
    return null;
  }
}

export function commentOf(rule: Rule): string | null {
  for (const m of rule.matches) {
    if (m.module !== 'comment') continue;
    const o = m.options.find((x) => x.name === '--comment');
    if (o !== undefined) return o.values.join(' ');
  }
  return null;
}

/** The first option `name` of any match (module '' is the core match: -s, -d, -p, -i, -o). */
export function optionOf(rule: Rule, name: string, module?: string): { negated: boolean; values: string[] } | undefined {
  for (const m of rule.matches) {
    if (module !== undefined && m.module !== module) continue;
    const o = m.options.find((x) => x.name === name);
    if (o !== undefined) return o;
  }
  return undefined;
}

export function targetOf(rule: Rule): string | null {
  return rule.target?.name ?? null;
}

/** `--dport N` of a rule, as a number; null when it names none or a range. */
export function dportOf(rule: Rule): number | null {
  const v = optionOf(rule, '--dport')?.values[0] ?? optionOf(rule, '--destination-port')?.values[0];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : null;
}

export function protocolOf(rule: Rule): string | null {
  return optionOf(rule, '-p', '')?.values[0]?.toLowerCase() ?? null;
}

/** Evidence for a rule read from a ruleset. */
export function ruleEvidence(node: string, rs: Ruleset, rule: Rule): Evidence {
  return { kind: 'rule', node, source: rs.source, table: rule.table, chain: rule.chain, line: rule.line, rule: rule.text, ...(rule.target ? { action: rule.target.name } : {}) };
}

/**
 * Evidence for a chain that exists: its `:NAME POLICY [p:b]` header line as the dump printed it,
 * e.g. to show that it has no rule for a port; `action` says what the chain shows.
 */
export function chainEvidence(node: string, rs: Ruleset, chain: Chain, action: string): Evidence {
  const rule = dumpLine(rs, chain.line) ?? `:${chain.name} ${chain.policy ?? '-'}`;
  return { kind: 'rule', node, source: rs.source, table: chain.table, chain: chain.name, line: chain.line, rule, action };
}

/** Line `n` (1-based) of the dump, or null. */
export function dumpLine(rs: Ruleset, n: number): string | null {
  let start = 0;
  for (let i = 1; i < n; i++) {
    const nl = rs.bytes.indexOf(10, start);
    if (nl < 0) return null;
    start = nl + 1;
  }
  const end = rs.bytes.indexOf(10, start);
  return rs.bytes.toString('utf8', start, end < 0 ? rs.bytes.length : end).replace(/\r$/, '');
}

/** Evidence for a hop of a walk; the source falls back to the node's only dump. */
export function hopEvidence(ctx: CheckContext, node: string, hop: Hop): Evidence {
  const source = hop.source ?? (hop.family !== undefined ? `${node}:nft-ruleset` : rulesetsOf(ctx, node)?.[0]?.source) ?? node;
  return {
    kind: 'rule', node, source, table: hop.table, chain: hop.chain, line: hop.line, rule: hop.rule, action: hop.action,
    ...(hop.family !== undefined ? { family: hop.family } : {}), ...(hop.handle !== undefined ? { handle: hop.handle } : {}),
  };
}

/** The ingress walk outcomes of a replayed path (empty when the node could not be replayed). */
export function ingressOutcomes(p: NodePath): Outcome[] {
  return p.walk?.outcomes ?? [];
}

/** The Service port's endpoints the way kube-proxy picks them: ready ones, else serving terminating ones. */
export function usedEndpoints(ctx: CheckContext, svc: ServiceInfo, port: ServicePort): SliceEndpoint[] {
  const eps = ctx.cluster.endpoints(svc, port).filter((e) => e.port !== null);
  const ready = eps.filter((e) => e.ready);
  return ready.length > 0 ? ready : eps.filter((e) => e.serving && e.terminating);
}

/** The node an endpoint runs on: its nodeName, else its pod's. */
export function endpointNode(ctx: CheckContext, e: SliceEndpoint): string | null {
  if (e.nodeName !== null) return e.nodeName;
  const pod = e.pod ? ctx.cluster.pod(e.pod.namespace, e.pod.name) : ctx.cluster.podByIp(e.address);
  return pod?.nodeName ?? null;
}

/** kube-proxy's local endpoints of a node: ready local ones, else serving terminating local ones. */
export function localEndpoints(ctx: CheckContext, svc: ServiceInfo, port: ServicePort, node: string): SliceEndpoint[] {
  const mine = ctx.cluster.endpoints(svc, port).filter((e) => e.port !== null && e.nodeName === node);
  const ready = mine.filter((e) => e.ready);
  return ready.length > 0 ? ready : mine.filter((e) => e.serving && e.terminating);
}

/** Nodes a path touches: the ingress nodes, then the nodes of the endpoints kube-proxy would use. */
export function pathNodeNames(ctx: CheckContext): string[] {
  const names = ctx.question.ingress.map((i) => i.node);
  if (ctx.service !== null && ctx.question.port !== null) {
    for (const e of usedEndpoints(ctx, ctx.service, ctx.question.port)) {
      const n = endpointNode(ctx, e);
      if (n !== null) names.push(n);
    }
  }
  return [...new Set(names)];
}

export function kubeProxyPods(ctx: CheckContext): PodInfo[] {
  return ctx.snapshot.cluster.kubeProxy.pods.map(readPod);
}

export function kubeProxyPodsOn(ctx: CheckContext, node: string): PodInfo[] {
  return kubeProxyPods(ctx).filter((p) => p.nodeName === node);
}

/** The rules kube-proxy writes when it believes no endpoint of the Service runs on this node. */
export const NO_LOCAL = 'has no local endpoints';
/** …and when it believes the Service has no usable endpoint at all. */
export const NO_ENDPOINTS = 'has no endpoints';

/**
 * kube-proxy's "<svc> has no local endpoints" rules for this Service port's nodePort: the filter
 * KUBE-EXTERNAL-SERVICES DROP (kube-proxy ≥ 1.25) and the older nat KUBE-XLB-* → KUBE-MARK-DROP.
 */
export function noLocalEndpointRules(rs: Ruleset, svcPort: string, nodePort: number): Rule[] {
  const wanted = `${svcPort} ${NO_LOCAL}`;
  const modern = rulesIn(rs, 'filter', 'KUBE-EXTERNAL-SERVICES').filter((r) => commentOf(r) === wanted && dportOf(r) === nodePort);
  const nat = rs.tables.get('nat');
  const old: Rule[] = [];
  if (nat !== undefined) {
    for (const c of nat.chains.values()) {
      if (!c.name.startsWith('KUBE-XLB-')) continue;
      old.push(...rulesIn(rs, 'nat', c.name).filter((r) => commentOf(r) === wanted));
    }
  }
  return [...modern, ...old];
}

/** kube-proxy's "<svc> has no endpoints" REJECT rules for the Service port (filter table). */
export function noEndpointRules(rs: Ruleset, svcPort: string): Rule[] {
  const wanted = `${svcPort} ${NO_ENDPOINTS}`;
  return ['KUBE-EXTERNAL-SERVICES', 'KUBE-SERVICES'].flatMap((c) => rulesIn(rs, 'filter', c).filter((r) => commentOf(r) === wanted));
}

/** The KUBE-SERVICES → KUBE-NODEPORTS tail rules ("kubernetes service nodeports; NOTE: …"). */
export function nodePortTailRules(rs: Ruleset): Rule[] {
  return rulesIn(rs, 'nat', 'KUBE-SERVICES').filter((r) => targetOf(r) === 'KUBE-NODEPORTS');
}

/** True when the ruleset holds kube-proxy's service rules (nat KUBE-SERVICES or KUBE-NODEPORTS). */
export function hasKubeProxyRules(rs: Ruleset): boolean {
  return chainOf(rs, 'nat', 'KUBE-SERVICES') !== undefined || chainOf(rs, 'nat', 'KUBE-NODEPORTS') !== undefined;
}

/** Whether `ip` lies inside `cidr` (a bare address counts as /32 or /128). */
export function inCidr(ip: string, cidr: string): boolean {
  const a = parseAddr(ip);
  const c = parseCidr(cidr.includes('/') ? cidr : `${cidr}/${cidr.includes(':') ? 128 : 32}`);
  return a !== null && c !== null && cidrContains(c, a);
}

export function isLoopbackAddress(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}


/** Joins names for a message: `a`, `a and b`, `a, b and c`. */
export function listText(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** A node with its first InternalIP, for messages: `node-2 (192.168.1.102)`. */
export function nodeLabel(ctx: CheckContext, node: string): string {
  const ip = ctx.cluster.node(node)?.internalIPs[0];
  return ip === undefined ? node : `${node} (${ip})`;
}
