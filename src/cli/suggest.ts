/**
 * "Did you mean …?" for a mistyped command or flag, as kubectl answers one: the closest known name
 * by edit distance, when it is close enough to be a typo, or a known name the word begins.
 */

/** kubectl suggests commands within this many edits (cobra's SuggestionsMinimumDistance). */
const MAX_EDITS = 2;
/** Longer words are not typos of a flag name, and comparing them costs for nothing. */
const MAX_WORD = 64;

/** Levenshtein distance: insertions, deletions and substitutions, one each. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** The known name `word` most likely meant, or undefined when none is near. */
export function closest(word: string, known: readonly string[]): string | undefined {
  if (word.length === 0 || word.length > MAX_WORD) return undefined;
  let best: { name: string; d: number } | undefined;
  for (const name of known) {
    const d = editDistance(word, name);
    if (d <= MAX_EDITS && (best === undefined || d < best.d)) best = { name, d };
  }
  return best?.name ?? known.find((name) => word.length >= 3 && name.startsWith(word));
}

/** `; did you mean X?` or nothing. */
export function didYouMean(word: string, known: readonly string[]): string {
  const name = closest(word, known);
  return name === undefined ? '' : `; did you mean ${name}?`;
}
