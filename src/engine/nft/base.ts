/**
 * Base-chain hooks and priorities as nft spells them. Priorities may be numbers or the standard
 * names of `nft(8)` ("Standard priority names"), optionally with an offset (`dstnat - 10`).
 */
import type { Hook } from '../packet/hooks.js';
import type { NftFamily } from './ruleset.js';

/** The five hooks the walk runs, for families ip, ip6 and inet. */
export const WALKED_HOOKS: Record<string, Hook> = {
  prerouting: 'PREROUTING',
  input: 'INPUT',
  forward: 'FORWARD',
  output: 'OUTPUT',
  postrouting: 'POSTROUTING',
};

// NF_IP_PRI_* values behind the names; the bridge family has its own (NF_BR_PRI_*).
const INET_PRIORITIES: Record<string, number> = { raw: -300, mangle: -150, dstnat: -100, filter: 0, security: 50, srcnat: 100 };
const BRIDGE_PRIORITIES: Record<string, number> = { dstnat: -300, filter: -200, out: 100, srcnat: 300 };

/** A priority as the dump gives it: a number, `"filter"`, `"dstnat - 10"`, `"-110"`. Null if unreadable. */
export function priorityValue(prio: unknown, family: NftFamily): number | null {
  if (typeof prio === 'number') return Number.isInteger(prio) ? prio : null;
  if (typeof prio !== 'string') return null;
  const text = prio.trim();
  if (/^[+-]?\d+$/.test(text)) return Number(text);
  const m = /^([a-z]+)\s*(?:([+-])\s*(\d+))?$/.exec(text);
  if (!m) return null;
  const names = family === 'bridge' ? BRIDGE_PRIORITIES : INET_PRIORITIES;
  const base = names[m[1] as string];
  if (base === undefined) return null;
  const offset = m[3] === undefined ? 0 : Number(m[3]);
  return m[2] === '-' ? base - offset : base + offset;
}
