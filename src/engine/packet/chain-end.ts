import type { Branch } from './branch.js';

/**
 * How a chain traversal ended for one branch, in an iptables or an nftables chain alike.
 * `return` means "fell off the end or hit RETURN".
 */
export type ChainEnd =
  | { b: Branch; end: 'return' }
  | { b: Branch; end: 'accept' }
  | { b: Branch; end: 'drop' }
  | { b: Branch; end: 'reject'; with: string }
  | { b: Branch; end: 'stop'; why: string };
