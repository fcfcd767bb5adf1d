/**
 * "Did you mean …?" for a mistyped command or flag, as kubectl answers one: the closest known name
 * by edit distance, when it is close enough to be a typo, or a known name the word begins.
 */
import { editDistance } from '../text/edit-distance.js';

/** kubectl suggests commands within this many edits (cobra's SuggestionsMinimumDistance). */
const MAX_EDITS = 2;
/** Longer words are not typos of a flag name, and comparing them costs for nothing. */
const MAX_WORD = 64;

/**
 * Up to `most` known names `word` most likely meant, nearest first: those within MAX_EDITS edits,
 * then (word of 3 or more characters) those it begins; none when nothing is near.
 */
export function nearest(word: string, known: readonly string[], most = 1): string[] {
  if (word.length === 0 || word.length > MAX_WORD) return [];
  const near = known.map((name) => ({ name, d: editDistance(word, name) })).filter((x) => x.d <= MAX_EDITS).sort((a, b) => a.d - b.d).map((x) => x.name);
  const begun = word.length >= 3 ? known.filter((name) => name.startsWith(word) && !near.includes(name)) : [];
  return [...near, ...begun].slice(0, most);
}

/** `; did you mean X?` (or `X or Y?`, up to `most` names) or nothing. */
export function didYouMean(word: string, known: readonly string[], most = 1): string {
  const names = nearest(word, known, most);
  return names.length === 0 ? '' : `; did you mean ${names.join(' or ')}?`;
}
