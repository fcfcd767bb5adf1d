/**
 * Reading a node's rules and the walks through them: a chain's rules, the rule behind a hop, the
 * outcomes of an ingress walk, and evidence that cites a rule, a chain or a hop by its dump line.
 */
import type { Evidence } from './model.js';
import { decodeRule, parseRule, ruleAt, type Chain, type Hop, type NodePath, type Outcome, type Rule, type Ruleset } from './engine.js';

/** A chain's rules; a rule the parser cannot read is left out rather than failing the check. */
/**
 * Each readable rule of a chain with its index, read one at a time and not kept: for indexing a
 * long chain (KUBE-SERVICES) without holding its rules on every node. ruleAt(…, index) gets one back.
 */
export function* eachReadableRule(rs: Ruleset, table: string, chain: string): Generator<[number, Rule]> {
  const c = rs.tables.get(table)?.chains.get(chain);
  for (let i = 0; c !== undefined && i < c.count; i++) {
    let rule: Rule;
    try {
      rule = decodeRule(rs, c, i);
    } catch {
      continue; // an unreadable rule is the parser's finding, not a check's
    }
    yield [i, rule];
  }
}

export function readableRules(rs: Ruleset, table: string, chain: string): Rule[] {
  const c = rs.tables.get(table)?.chains.get(chain);
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

/** Parses a hop's rule again (hops keep only the text); null for a policy hop, an nft or IPVS hop, or bad text. */
export function hopRule(hop: Hop): Rule | null {
  if (hop.rule === null || hop.family !== undefined || hop.table === 'ipvs') return null;
  try {
    return parseRule(hop.table, hop.chain, hop.line, hop.rule);
  } catch {
    return null;
  }
}

/** The ingress walk outcomes of a replayed path (empty when the node could not be replayed). */
export function ingressOutcomes(p: NodePath): Outcome[] {
  return p.walk?.outcomes ?? [];
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
function dumpLine(rs: Ruleset, n: number): string | null {
  let start = 0;
  for (let i = 1; i < n; i++) {
    const nl = rs.bytes.indexOf(10, start);
    if (nl < 0) return null;
    start = nl + 1;
  }
  const end = rs.bytes.indexOf(10, start);
  return rs.bytes.toString('utf8', start, end < 0 ? rs.bytes.length : end).replace(/\r$/, '');
}

/**
 * Evidence for a hop of a walk on `node`. A hop names its dump only when the node has several, so
 * the source falls back to the node's first iptables dump (`iptablesSource`), or its nft ruleset.
 */
export function hopEvidence(node: string, hop: Hop, iptablesSource: string | undefined): Evidence {
  const source = hop.source ?? (hop.family !== undefined ? `${node}:nft-ruleset` : iptablesSource) ?? node;
  return {
    kind: 'rule', node, source, table: hop.table, chain: hop.chain, line: hop.line, rule: hop.rule, action: hop.action,
    ...(hop.family !== undefined ? { family: hop.family } : {}), ...(hop.handle !== undefined ? { handle: hop.handle } : {}),
  };
}
