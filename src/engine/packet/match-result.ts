/**
 * What one match says about the first packet of a connection:
 * - true/false when it can be decided;
 * - `chance`: true with that probability (`-m statistic`);
 * - `unknown`: it depends on state the dump does not show (a recent list, an ipset, an
 *   unmodelled module); the walk forks into "matches" and "does not match". `perConnection` marks
 *   state that differs from one connection to the next (a recent list: who connected before),
 *   unlike facts of the node that hold for every connection (an ipset's contents, an interface);
 * - `assumed`: decided, but only by assuming something the walk reports (a rate limit not hit).
 */
export type MatchResult =
  | boolean
  | { chance: number; why?: string }
  | { unknown: string; perConnection?: true }
  | { assumed: boolean; why: string };
