/** `np-doctor checks`: every check with its id, severity and one line (plugins included). */
import { CHECKS } from '../../checks/index.js';
import { EXIT } from '../exit.js';
import { command } from './command.js';
import { loadChecks, parseOutput, PLUGIN_FLAG } from './diagnose-common.js';
import { UsageError } from './io.js';

export const CHECKS_HELP = `Usage: np-doctor checks [-o text|json] [--plugin FILE]

Lists every diagnosis np-doctor runs: id, severity, what it finds, and what data it needs.
Each is documented in docs/checks/<id>.md.
`;

export const run = command({
  help: CHECKS_HELP,
  flags: { output: { type: 'string', short: 'o' }, ...PLUGIN_FLAG },
  positionals: true,
  async run({ values, positionals }, io) {
    if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}`);
    const checks = await loadChecks(CHECKS, values.plugin ?? []);
    if (parseOutput(values.output) === 'json') {
      io.stdout(`${JSON.stringify(checks.map((c) => ({ id: c.id, severity: c.severity, stage: c.stage, title: c.title, description: c.description, requires: c.requires })), null, 2)}\n`);
      return EXIT.ok;
    }
    const width = Math.max(2, ...checks.map((c) => c.id.length));
    io.stdout(`${'ID'.padEnd(width)}  SEVERITY  DESCRIPTION\n`);
    for (const c of checks) io.stdout(`${c.id.padEnd(width)}  ${c.severity.padEnd(8)}  ${c.description}\n`);
    return EXIT.ok;
  },
});
