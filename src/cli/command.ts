/**
 * A command at the CLI's edge: its flags parsed once (node:util parseArgs, strict, so an unknown
 * flag or a stray argument is a usage error, exit 2), `-h/--help` answered with its help, then its
 * own work with typed values.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EXIT } from '../exit.js';
import { UsageError, type Io } from './io.js';

type Flags = NonNullable<ParseArgsConfig['options']>;

const HELP_FLAG = { help: { type: 'boolean', short: 'h' } } as const;

type Config<F extends Flags> = { args: string[]; options: F & typeof HELP_FLAG; allowPositionals: boolean; strict: true };
type Parsed<F extends Flags> = ReturnType<typeof parseArgs<Config<F>>>;

export interface CommandSpec<F extends Flags> {
  help: string;
  flags: F;
  /** Whether the command takes arguments besides its flags (svc/NAME). */
  positionals: boolean;
  run(args: { values: Parsed<F>['values']; positionals: string[] }, io: Io): Promise<number> | number;
}

/** The `run(argv, io)` main() calls. */
export function command<F extends Flags>(spec: CommandSpec<F>): (argv: string[], io: Io) => Promise<number> {
  return async (argv, io) => {
    let parsed: Parsed<F>;
    try {
      parsed = parseArgs<Config<F>>({ args: argv, options: { ...spec.flags, ...HELP_FLAG }, allowPositionals: spec.positionals, strict: true });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    // Generic in the flags, TypeScript cannot see the help flag among the values: it is always there.
    if ((parsed.values as { help?: boolean }).help) {
      io.stdout(spec.help);
      return EXIT.ok;
    }
    return spec.run({ values: parsed.values, positionals: parsed.positionals }, io);
  };
}
