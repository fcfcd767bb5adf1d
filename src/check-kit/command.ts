/**
 * Remediation commands as word lists (DESIGN §3a). Every string that reaches a command comes from
 * a cluster, a node or a snapshot file, so it is attacker-controlled: it must never be pasted into
 * a command line. A Command therefore holds words, and only `renderCommand` turns them into the
 * line a person copies, quoting each word for a POSIX shell.
 *
 *   sh`kubectl -n ${ns} get pods -l ${selector} -o wide`
 *
 * The template's literal text is np-doctor's own: it is split on whitespace into words and may
 * hold only characters that need no quoting, plus `|` standing alone between two commands (the one
 * shell operator np-doctor writes). Each interpolation becomes exactly one word, or part of one when
 * literal text touches it (`app=${value}`); an array interpolation adds each element as a word.
 */

export interface Command {
  /**
   * The stages of a pipeline, each an argv; a stage's standard output feeds the next one's input
   * (`a | b`). Most commands have one stage.
   */
  readonly pipeline: readonly (readonly string[])[];
}

/** A value a template may interpolate: one word (or part of one), or several whole words. */
export type Interpolation = string | number | readonly (string | number)[];

export class CommandError extends Error {
  override readonly name = 'CommandError';
}

/** Characters a literal word may hold: none of them means anything to sh, bash or zsh. */
const LITERAL_CHAR = /^[A-Za-z0-9_./:,@%+=-]$/;
/**
 * A word printed without quotes. `=` may not lead: zsh expands `=cmd` to the path of cmd.
 * Everything else (spaces, quotes, `$`, backquotes, `;|&<>()`, globs, `#`, `~`, control
 * characters, non-ASCII) is single-quoted.
 */
const BARE_WORD = /^[A-Za-z0-9_./:,@%+-][A-Za-z0-9_./:,@%+=-]*$/;
const SPACE = /^[ \t\n]$/;

/** Builds a Command; see the module comment for what the literal parts may hold. */
export function sh(strings: TemplateStringsArray, ...values: Interpolation[]): Command {
  const b = new Builder(strings.raw.join('${…}'));
  for (const [i, literal] of strings.raw.entries()) {
    b.literal(literal);
    if (i < values.length) b.value(values[i]);
  }
  return b.finish();
}

/**
 * The line a person copies into a shell: words separated by spaces, stages by ` | `. Words that
 * need it are single-quoted (a `'` inside becomes `'\''`), so a shell reads back exactly the
 * words, whatever they contain. Control characters are kept as they are inside the quotes: that
 * is what the shell must receive, so a display escapes them (text/sanitize.ts) and a copy key
 * should refuse them.
 */
export function renderCommand(cmd: Command): string {
  return cmd.pipeline.map((stage) => stage.map(quoteWord).join(' ')).join(' | ');
}

/** One word for a POSIX shell: bare when nothing in it is special, else single-quoted. */
export function quoteWord(word: string): string {
  if (BARE_WORD.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Checks that a value from outside the type system (a plugin's finding) is a Command, and returns
 * a frozen copy: at least one stage, every stage non-empty, every word a string without NUL,
 * every program a word np-doctor could have written literally.
 */
export function toCommand(value: unknown): Command {
  const pipeline = (value as { pipeline?: unknown } | null | undefined)?.pipeline;
  if (typeof value === 'string') throw new CommandError('a command must be a word list made with sh`…`, not a string');
  if (!Array.isArray(pipeline) || pipeline.length === 0) throw new CommandError('a command must have a non-empty pipeline (make it with sh`…`)');
  const stages = pipeline.map((stage: unknown, i) => {
    if (!Array.isArray(stage) || stage.length === 0) throw new CommandError(`stage ${i + 1} of the command has no words`);
    if (!stage.every((w): w is string => typeof w === 'string')) throw new CommandError(`stage ${i + 1} of the command has a word that is not a string`);
    // An argv element is a C string: a NUL would cut the word short, and shells drop it.
    if (stage.some((w: string) => w.includes('\0'))) throw new CommandError(`stage ${i + 1} of the command has a word with a NUL character, which no program can receive`);
    checkProgram(stage[0]!);
    return Object.freeze([...stage]);
  });
  return Object.freeze({ pipeline: Object.freeze(stages) });
}

/** The program a stage runs is np-doctor's choice, never data: a plain literal word. */
function checkProgram(word: string): void {
  if (word === '' || !Array.from(word).every((c) => LITERAL_CHAR.test(c)) || word.startsWith('-') || word.startsWith('=')) {
    throw new CommandError(`"${word}" cannot name the program of a command: it must be a literal word`);
  }
}

/** The template's state: words of the stage being built, and the word being built. */
class Builder {
  private readonly stages: string[][] = [];
  private stage: string[] = [];
  /** The word being built; null between words. */
  private word: string | null = null;
  /** Where the word's first character came from. */
  private wordFromValue = false;
  /** Whether any part of the word came from a value. */
  private wordHasValue = false;
  /** After an array or a `|`, only whitespace or the end may follow. */
  private needSpace: string | null = null;

  constructor(private readonly template: string) {}

  literal(text: string): void {
    for (const ch of text) {
      if (SPACE.test(ch)) {
        this.endWord();
        this.needSpace = null;
        continue;
      }
      if (this.needSpace !== null) this.fail(`${this.needSpace} must be followed by a space`);
      if (ch === '|') {
        if (this.word !== null) this.fail('`|` must stand alone, with spaces around it');
        if (this.stage.length === 0) this.fail('`|` needs a command on its left');
        this.stages.push(this.stage);
        this.stage = [];
        this.needSpace = '`|`';
        continue;
      }
      if (!LITERAL_CHAR.test(ch)) {
        this.fail(`the literal text holds ${JSON.stringify(ch)}: only letters, digits, _ . / : , @ % + = - and a lone | may be written literally; interpolate anything else`);
      }
      this.append(ch, false);
    }
  }

  value(v: unknown): void {
    if (this.needSpace !== null) this.fail(`${this.needSpace} must be followed by a space`);
    if (Array.isArray(v)) {
      if (this.word !== null) this.fail('an array interpolation must stand alone as whole words');
      if (this.stage.length === 0) this.fail('a command must start with a literal program name, not an array');
      for (const el of v as unknown[]) this.stage.push(this.scalar(el));
      this.needSpace = 'an array interpolation';
      return;
    }
    const s = this.scalar(v);
    if (this.stage.length === 0 && this.word === null) this.fail('a command must start with a literal program name, not an interpolation');
    this.append(s, true);
  }

  finish(): Command {
    this.endWord();
    if (this.stage.length === 0) this.fail(this.stages.length === 0 ? 'the command is empty' : '`|` needs a command on its right');
    this.stages.push(this.stage);
    return toCommand({ pipeline: this.stages });
  }

  private scalar(v: unknown): string {
    if (typeof v === 'string') return v;
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
    return this.fail(`cannot interpolate ${v === null ? 'null' : typeof v}${typeof v === 'number' ? ` ${v}` : ''}: give a string, a finite number or an array of them`);
  }

  private append(s: string, fromValue: boolean): void {
    if (this.word === null) {
      this.word = '';
      this.wordFromValue = fromValue;
    }
    this.word += s;
    if (fromValue) this.wordHasValue = true;
  }

  private endWord(): void {
    if (this.word === null) return;
    // A name such as `--server=https://evil.example` would read as an option to kubectl, and
    // `--kubeconfig`/`--server` options send the user's credentials elsewhere.
    if (this.wordFromValue && this.word.startsWith('-')) this.fail(`the interpolated word ${JSON.stringify(this.word)} would read as an option`);
    if (this.stage.length === 0 && this.wordHasValue) this.fail('a command must start with a literal program name');
    this.stage.push(this.word);
    this.word = null;
    this.wordFromValue = false;
    this.wordHasValue = false;
  }

  private fail(why: string): never {
    throw new CommandError(`sh\`${this.template}\`: ${why}`);
  }
}
