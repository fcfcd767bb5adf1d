/**
 * What a POSIX shell would make of a line, without running it: Python's shlex in POSIX mode with
 * punctuation_chars splits words the way the shell's tokenizer does (quotes, `'\''`, backslashes)
 * and returns the operators `; | & < > ( )` as tokens of their own. Lines are only tokenized.
 */
import { execFileSync } from 'node:child_process';

const SCRIPT = `
import json, shlex, sys
out = []
for line in json.load(sys.stdin):
    lex = shlex.shlex(line, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    try:
        out.append(list(lex))
    except ValueError as e:
        out.append({"error": str(e)})
json.dump(out, sys.stdout)
`;

export type Tokens = string[] | { error: string };

/** The tokens of each line, in order; `{ error }` for a line the shell could not finish reading. */
export function posixWords(lines: readonly string[]): Tokens[] {
  const out = execFileSync('python3', ['-c', SCRIPT], { input: JSON.stringify(lines), encoding: 'utf8' });
  return JSON.parse(out) as Tokens[];
}

/** A token that is a shell operator rather than a word (`;`, `|`, `&&`, `>`…). */
export const isOperator = (t: string): boolean => /^[;&|<>()]+$/.test(t);
