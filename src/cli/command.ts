/**
 * A command at the CLI's edge: its flags parsed once (node:util parseArgs, strict, so an unknown
 * flag or a stray argument is a usage error, exit 2, with a "did you mean" against the command's
 * own flags), `-h/--help` answered with its help, the files its flags name checked,
 * `--no-color` and `--quiet` applied to its Io, then its own work with typed values.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EXIT } from '../exit.js';
import { checkInputFiles } from './input-files.js';
import { UsageError, type Io } from './io.js';
import { didYouMean } from './suggest.js';
import { cut } from '../text/cut.js';

type Flags = NonNullable<ParseArgsConfig['options']>;

/** Flags every command takes. */
export const COMMON_FLAGS = {
  help: { type: 'boolean', short: 'h' },
  'no-color': { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
} as const;

export const COMMON_HELP = `Common flags (every command):
  -h, --help                this help
      --no-color            no colours (also when NO_COLOR is set, or output is not a terminal)
  -q, --quiet               only the result: no progress and no notes on stderr (errors still are)
`;

type Config<F extends Flags> = { args: string[]; options: F & typeof COMMON_FLAGS; allowPositionals: boolean; strict: true };
type Parsed<F extends Flags> = ReturnType<typeof parseArgs<Config<F>>>;

export interface CommandSpec<F extends Flags> {
  help: string;
  flags: F;
  /** Whether the command takes arguments besides its flags (svc/NAME). */
  positionals: boolean;
  run(args: { values: Parsed<F>['values']; positionals: string[] }, io: Io): Promise<number> | number;
}

/** What main() loads: the command's `run(argv, io)`, and its flags for shell completion. */
export type CommandRun = ((argv: string[], io: Io) => Promise<number>) & { flags: Flags };

export function command<F extends Flags>(spec: CommandSpec<F>): CommandRun {
  const options = { ...spec.flags, ...COMMON_FLAGS };
  const run = async (argv: string[], io: Io): Promise<number> => {
    let parsed: Parsed<F>;
    try {
      parsed = parseArgs<Config<F>>({ args: argv, options, allowPositionals: spec.positionals, strict: true });
    } catch {
      throw flagError(argv, options, spec.positionals);
    }
    // Generic in the flags, TypeScript cannot see the common flags among the values: they are always there.
    const common = parsed.values as { help?: boolean; 'no-color'?: boolean; quiet?: boolean };
    if (common.help) {
      io.stdout(`${spec.help}\n${COMMON_HELP}`);
      return EXIT.ok;
    }
    checkInputFiles(parsed.values);
    return spec.run({ values: parsed.values, positionals: parsed.positionals }, withCommonFlags(io, common));
  };
  return Object.assign(run, { flags: options });
}

/** --no-color and --quiet, as the Io every command reads. */
function withCommonFlags(io: Io, common: { 'no-color'?: boolean; quiet?: boolean }): Io {
  let out = io;
  if (common['no-color']) out = { ...out, noColor: true };
  if (common.quiet) {
    // Progress goes; notes check io.quiet; errors and gather problems still reach stderr.
    const { progressStream: _progress, ...rest } = out;
    out = { ...rest, quiet: true };
  }
  return out;
}

/**
 * parseArgs' own messages name no alternative and quote oddly: the first problem, said plainly.
 * Reparsed leniently to find which word it was (parseArgs' errors carry no token).
 */
function flagError(argv: string[], options: Flags, positionals: boolean): UsageError {
  const { tokens } = parseArgs({ args: argv, options, allowPositionals: true, strict: false, tokens: true });
  const long = Object.keys(options).map((n) => `--${n}`);
  for (const t of tokens) {
    if (t.kind === 'positional' && !positionals) return new UsageError(`unexpected argument ${quoted(t.value)}: this command takes only flags`);
    if (t.kind !== 'option') continue;
    const option = Object.hasOwn(options, t.name) ? options[t.name] : undefined;
    if (option === undefined) {
      // A one-letter flag is one edit from every other: only long names are worth a guess.
      return new UsageError(`unknown flag ${quoted(t.rawName)}${t.rawName.startsWith('--') ? didYouMean(t.rawName, long) : ''}`);
    }
    if (option.type === 'boolean' && t.inlineValue) return new UsageError(`${t.rawName} takes no value (got ${quoted(t.value ?? '')})`);
    if (option.type === 'string') {
      if (t.value === undefined) return new UsageError(`${t.rawName} needs a value`);
      // `--node --all-nodes`: the lenient parse took the next flag as the value; the strict one refused it.
      if (!t.inlineValue && t.value.startsWith('-')) {
        return new UsageError(`${t.rawName} needs a value, got the flag ${quoted(t.value)} (write --${t.name}=${t.value} if that is the value)`);
      }
    }
  }
  return new UsageError('the flags could not be read');
}

/** A word the user typed, shown whole but bounded. */
function quoted(word: string): string {
  return `"${cut(word, 60)}"`;
}
