/** `np-doctor version` (and `--version`): what is running, for a bug report. */
import { EXIT } from '../exit.js';
import { VERSION } from '../version.js';
import { command } from './command.js';
import { UsageError } from './io.js';

export const VERSION_HELP = `Usage: np-doctor version [-o text|json]

Prints np-doctor's version; -o json adds the Node.js version and the platform:
{"name": "np-doctor", "version": "…", "node": "v20…", "platform": "linux/x64"}
`;

export const run = command({
  help: VERSION_HELP,
  flags: { output: { type: 'string', short: 'o' } },
  positionals: false,
  run({ values }, io) {
    const output = values.output ?? 'text';
    if (output === 'json') {
      io.stdout(`${JSON.stringify({ name: 'np-doctor', version: VERSION, node: process.version, platform: `${process.platform}/${process.arch}` }, null, 2)}\n`);
    } else if (output === 'text') {
      io.stdout(`np-doctor ${VERSION}\n`);
    } else {
      throw new UsageError(`-o ${output}: use text or json`);
    }
    return EXIT.ok;
  },
});
