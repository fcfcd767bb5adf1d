/**
 * A fault on the lab's wire that no node's rules show: an nft table of the `bridge` family in a
 * namespace that only bridges (the LAN, the firewall hop). Bridged frames pass its `forward` hook
 * between two ports of the bridge, so a rule there drops traffic between hosts without any host's
 * own ruleset (what np-doctor replays) saying so. Switched on and off whole: `nft -f` applies a file
 * in one transaction, and the `add table` / `delete table` pair makes both idempotent.
 */
import { run } from '../../kernel/lab/exec.js';

/** A fault the lab switches on (block) and off (unblock); either may be called any number of times. */
export interface LabSwitch {
  block(): Promise<void>;
  unblock(): Promise<void>;
}

/**
 * `rules` are nft rule statements of the lab's own (interface names, address ranges, port ranges),
 * never text from a cluster.
 */
export function bridgeFilter(ns: string, table: string, rules: readonly string[]): LabSwitch {
  const reset = `add table bridge ${table}\ndelete table bridge ${table}\n`;
  const nft = (input: string) => run('nft', ['-f', '-'], { ns, input });
  return {
    block: async () => {
      await nft(`${reset}table bridge ${table} {\n  chain forward {\n    type filter hook forward priority filter; policy accept;\n${rules.map((r) => `    ${r}\n`).join('')}  }\n}\n`);
    },
    unblock: async () => {
      await nft(reset);
    },
  };
}
