export interface Token {
  text: string;
  /** Quoted words are always values, even when they start with `-` or are `!`. */
  quoted: boolean;
}

export const UNSUPPORTED_REVISION = '[unsupported revision]';

/**
 * Splits a rule into words the way iptables-restore does: blanks separate words, `"…"` quotes a
 * word, and inside quotes `\"` and `\\` are escapes (iptables-save quotes every comment and escapes
 * `"` and `\` in it). Returns an error string for an unterminated quote.
 */
export function tokenize(text: string): Token[] | string {
  const tokens: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9) {
      i++;
      continue;
    }
    if (c === 34 /* " */) {
      let word = '';
      let j = i + 1;
      for (;;) {
        if (j >= n) return `unterminated quote starting at column ${i + 1}`;
        const ch = text[j];
        if (ch === '\\' && (text[j + 1] === '"' || text[j + 1] === '\\')) {
          word += text[j + 1];
          j += 2;
        } else if (ch === '"') {
          j++;
          break;
        } else {
          word += ch;
          j++;
        }
      }
      tokens.push({ text: word, quoted: true });
      i = j;
      continue;
    }
    // iptables prints this marker, with its blank, where it cannot decode a match or target.
    if (c === 91 /* [ */ && text.startsWith(UNSUPPORTED_REVISION, i)) {
      tokens.push({ text: UNSUPPORTED_REVISION, quoted: false });
      i += UNSUPPORTED_REVISION.length;
      continue;
    }
    let j = i;
    while (j < n && text.charCodeAt(j) !== 32 && text.charCodeAt(j) !== 9) j++;
    tokens.push({ text: text.slice(i, j), quoted: false });
    i = j;
  }
  return tokens;
}
