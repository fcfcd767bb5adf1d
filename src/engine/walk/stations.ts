/**
 * What runs at one netfilter hook, in the kernel's order: every iptables table registered there
 * (either backend) and every native nftables base chain, sorted by hook priority.
 *
 * Kernel facts this encodes:
 * - iptables tables sit at fixed priorities (NF_IP_PRI_*): raw -300, mangle -150, nat DNAT -100,
 *   filter 0, security 50, nat SNAT 100. nft base chains use the priority they were created with.
 * - Every nat chain, iptables' or nft's, is registered through the NAT core (nf_nat_register_fn):
 *   the core hooks in once at -100 (PREROUTING, OUTPUT) or 100 (INPUT, POSTROUTING), and runs the
 *   nat chains there in their own priority order until one binds the connection. So a
 *   `type nat … priority -300` chain still runs after a filter chain at -110.
 * - At equal priority the hook registered last runs first (nf_hook_entries_grow inserts a new
 *   hook before existing ones of the same priority). nf_tables numbers tables and chains in
 *   creation order (handles), so with an `nft -j list ruleset` dump the order is known for every
 *   nf_tables chain, iptables-nft's included; otherwise dumps keep the order given.
 * - iptables-nft registers exactly the base chains the nft dump lists: iptables-restore of a table
 *   section with built-in policy lines creates all its base chains, even without rules; a section
 *   with only user chains (or `iptables -N`) creates none, and iptables-save prints both alike.
 *   Without an nft dump, a table with no rules is taken as absent.
 */
import { hopLabel, runChain } from '../iptables/chain.js';
import type { ChainCtx } from '../iptables/compile.js';
import type { Ruleset, Table } from '../iptables/ruleset.js';
import { baseChainsAt, runNftChain, type NftChain, type NftRuleset, type NftTable } from '../nft/index.js';
import type { Branch } from '../packet/branch.js';
import type { ChainEnd } from '../packet/chain-end.js';
import type { Hop } from '../packet/contract.js';
import { HOOK_TABLES, NAT_MANIP, type Hook } from '../packet/hooks.js';
import type { WalkEnv } from '../packet/walk-env.js';

const TABLE_PRIORITY: Record<string, number> = { raw: -300, mangle: -150, filter: 0, security: 50 };

/** The NAT core's own priority at each hook (NF_IP_PRI_NAT_DST / NF_IP_PRI_NAT_SRC). */
const NAT_PRIORITY: Record<Hook, number> = { PREROUTING: -100, OUTPUT: -100, INPUT: 100, POSTROUTING: 100, FORWARD: 0 };

export interface Station {
  /** Where it runs in the hook: the NAT core's priority for nat chains. */
  priority: number;
  /** nat chains only: the chain's own priority, which orders nat chains within the NAT core. */
  natPriority: number | null;
  manip: 'dnat' | 'snat' | undefined;
  /** Whether it holds rules (an empty nat chain that loses the registration race changes nothing). */
  hasRules: boolean;
  policy: 'ACCEPT' | 'DROP';
  /** The hop that records the policy being applied. */
  policyHop: Hop;
  /** Names the chain in assumptions: `iptables nat (node1:iptables-nft-save)`, `nft ip kube-proxy nat-prerouting`. */
  name: string;
  /** Creation order (table handle, chain handle) when an nft dump shows it; later runs first at equal priority. */
  created: [number, number] | null;
  /** Runs the station's chain for a set of branches (they merge where they meet). */
  run(bs: Branch[]): ChainEnd[];
}

export interface StationSources {
  iptables: Ruleset[];
  nft: NftRuleset[];
  env: WalkEnv;
  family: 4 | 6;
}

/** Every station at `hook`, in the order the kernel runs them. */
export function stationsAt(src: StationSources, hook: Hook): Station[] {
  // An nft dump holding only iptables-nft's tables adds no chain of its own.
  const label = src.iptables.length + src.nft.filter((rs) => rs.tables.some((t) => !t.iptablesNft)).length > 1;
  const family = src.family === 4 ? 'ip' : 'ip6';
  // iptables-nft's tables as nf_tables holds them, when an nft dump was given.
  const xt = new Map(src.nft.flatMap((rs) => rs.tables).filter((t) => t.iptablesNft && t.family === family).map((t) => [t.name, t]));
  const out: Station[] = [];
  for (const tableName of HOOK_TABLES[hook]) {
    for (const rs of src.iptables) {
      const table = rs.tables.get(tableName);
      const chain = table?.chains.get(hook);
      if (!table || !chain) continue;
      const known = rs.backend === 'nft' && src.nft.length > 0 ? xt.get(tableName) : undefined;
      const base = known?.chains.get(hook);
      if (known !== undefined ? base?.base == null : rs.backend === 'nft' && src.nft.length > 0 ? true : isUnregistered(rs, table)) continue;
      const manip = tableName === 'nat' ? NAT_MANIP[hook] : undefined;
      const ctx: ChainCtx = { ruleset: rs, table, env: src.env, family: src.family, label };
      const priority = manip ? NAT_PRIORITY[hook] : TABLE_PRIORITY[tableName] ?? 0;
      out.push({
        priority, natPriority: manip ? priority : null, manip, hasRules: chain.count > 0,
        policy: chain.policy === 'DROP' ? 'DROP' : 'ACCEPT',
        policyHop: { table: tableName, chain: hook, line: chain.line, rule: null, action: `POLICY ${chain.policy ?? 'ACCEPT'}`, ...hopLabel(ctx) },
        name: `iptables ${tableName} ${hook} (${rs.source})`,
        created: known !== undefined && base !== undefined ? [known.handle, base.handle] : null,
        run: (bs) => runChain(ctx, bs, chain),
      });
    }
  }
  for (const rs of src.nft) {
    for (const { table, chain } of baseChainsAt(rs, src.family, hook)) out.push(nftStation(rs, table, chain, hook, src, label));
  }
  // Array.prototype.sort is stable: equal priorities without creation order keep the order above.
  return out.sort((a, b) => a.priority - b.priority || (a.natPriority ?? 0) - (b.natPriority ?? 0) || laterFirst(a, b));
}

function nftStation(rs: NftRuleset, table: NftTable, chain: NftChain, hook: Hook, src: StationSources, label: boolean): Station {
  const base = chain.base!;
  const manip = base.type === 'nat' ? NAT_MANIP[hook] : undefined;
  const ctx = { ruleset: rs, table, env: src.env, family: src.family, label };
  const policy = base.policy === 'drop' ? 'DROP' : 'ACCEPT';
  return {
    priority: manip ? NAT_PRIORITY[hook] : base.priority,
    natPriority: manip ? base.priority : null,
    manip,
    hasRules: chain.rules.length > 0,
    policy,
    policyHop: {
      table: table.name, family: table.family, chain: chain.name, line: chain.handle, rule: null, action: `POLICY ${policy}`,
      ...(label ? { source: rs.source } : {}),
    },
    name: `nft ${table.family} ${table.name} ${chain.name}`,
    created: [table.handle, chain.handle],
    run: (bs) => runNftChain(ctx, bs, chain),
  };
}

/** At equal priority the chain created last runs first; chains of unknown creation keep their order. */
function laterFirst(a: Station, b: Station): number {
  if (a.created === null || b.created === null) return 0;
  return b.created[0] - a.created[0] || b.created[1] - a.created[1];
}

/**
 * iptables-nft creates a table's base chains (and so its hooks) only when rules are restored into
 * it, yet iptables-save still prints an empty table's built-in chains. An nft table with no rules
 * and only ACCEPT policies is therefore absent from the kernel; skipping it changes no verdict and
 * keeps the hops equal to the kernel's trace.
 */
function isUnregistered(rs: Ruleset, table: Table): boolean {
  if (rs.backend !== 'nft') return false;
  for (const c of table.chains.values()) if (c.count || c.policy === 'DROP') return false;
  return true;
}
