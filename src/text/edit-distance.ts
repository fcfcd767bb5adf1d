/**
 * Levenshtein distance, for "did you mean" (commands, flags, check ids) and for the checks that
 * name the Service or labels a user probably meant. Its cost is the product of the lengths, and
 * one side may come from the command line or a cluster: each side is cut to MAX_COMPARED first.
 */

/**
 * Characters compared of each side: a Kubernetes name is at most 253 (a DNS subdomain), so a
 * longer word differs from every name anyway and its tail changes nothing worth the cost.
 */
export const MAX_COMPARED = 256;

/** The fewest single-character insertions, deletions and substitutions from a to b (of their first MAX_COMPARED characters). */
export function editDistance(a: string, b: string): number {
  const x = a.slice(0, MAX_COMPARED);
  const y = b.slice(0, MAX_COMPARED);
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const row = [i];
    for (let j = 1; j <= y.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[y.length]!;
}
