/** What an iptables rule says: its comment, an option's values, its target, the port and protocol it matches. */
import { readableRules, type Chain, type Rule, type Ruleset } from '../../src/check-kit/index.js';

export function chainOf(rs: Ruleset, table: string, chain: string): Chain | undefined {
  return rs.tables.get(table)?.chains.get(chain);
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

/** Per ruleset, per `index` name: a chain's readable rules and, for each key, the positions of those that have it. */
const groupings = new WeakMap<Ruleset, Map<string, { rules: Rule[]; byKey: Map<string, number[]> }>>();

/**
 * The readable rules of a chain that have one of `wanted` among the keys `keysOf` gives them, in
 * chain order. Grouped once per ruleset and `index` (which names one `keysOf`): a scan asks the
 * same chain of the same node once per Service, and kube-proxy writes a rule per Service there.
 * The keys only narrow the rules to look at: callers still test each rule they get.
 */
export function rulesKeyed(rs: Ruleset, table: string, chain: string, index: string, keysOf: (r: Rule) => readonly string[], wanted: readonly string[]): Rule[] {
  let byIndex = groupings.get(rs);
  if (byIndex === undefined) groupings.set(rs, byIndex = new Map<string, { rules: Rule[]; byKey: Map<string, number[]> }>());
  const name = `${table} ${chain} ${index}`;
  let g = byIndex.get(name);
  if (g === undefined) {
    const rules = readableRules(rs, table, chain);
    const byKey = new Map<string, number[]>();
    rules.forEach((r, i) => {
      for (const k of new Set(keysOf(r))) {
        const at = byKey.get(k);
        if (at === undefined) byKey.set(k, [i]);
        else at.push(i);
      }
    });
    byIndex.set(name, g = { rules, byKey });
  }
  const { rules, byKey } = g;
  const at = [...new Set(wanted.flatMap((k) => byKey.get(k) ?? []))].sort((a, b) => a - b);
  return at.flatMap((i) => rules[i] ?? []);
}
