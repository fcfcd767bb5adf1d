/** What an iptables rule says: its comment, an option's values, its target, the port and protocol it matches. */
import type { Chain, Rule, Ruleset } from '../../src/check-kit/index.js';

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
