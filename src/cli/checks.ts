/**
 * `np-doctor checks`: every check with its id, severity and one line (plugins included).
 * `np-doctor checks ID`: that check's page, docs/checks/ID.md, the same page as its docsUrl.
 */
import { readFileSync } from 'node:fs';
import { CHECKS } from '../../checks/index.js';
import { catalogue } from '../diagnose.js';
import { EXIT } from '../exit.js';
import { checkDocsPath, checkDocsUrl } from '../report/check-docs.js';
import { command } from './command.js';
import { loadChecks, PLUGIN_FLAG } from './diagnose-common.js';
import { UsageError } from './io.js';
import { PackageFileMissingError, packageFile } from './package-root.js';
import { didYouMean } from './suggest.js';
import { cut } from '../text/cut.js';

export const CHECKS_HELP = `Usage: np-doctor checks [ID] [-o text|json] [--plugin FILE]

Lists every diagnosis np-doctor runs: id, severity and what it finds. With an ID, prints that
check's page: what it means, how np-doctor decides it, and how to fix it (the page a finding's
docsUrl points at, https://np-doctor.dev/checks/ID).

Examples:
  np-doctor checks
  np-doctor checks etp-local-no-local-endpoint
`;

export const run = command({
  help: CHECKS_HELP,
  flags: { output: { type: 'string', short: 'o' }, ...PLUGIN_FLAG },
  positionals: true,
  async run({ values, positionals }, io) {
    if (positionals.length > 1) throw new UsageError(`unexpected argument ${positionals[1]}: checks takes at most one check ID`);
    const output = values.output ?? 'text';
    if (output !== 'text' && output !== 'json') throw new UsageError(`-o ${output}: checks prints text or json`);
    const checks = await loadChecks(CHECKS, values.plugin ?? []);
    const entries = catalogue(checks);
    const id = positionals[0];
    if (id !== undefined) {
      const entry = entries.find((c) => c.id === id);
      if (entry === undefined) throw new UsageError(unknownCheck(id, entries.map((c) => c.id)));
      if (output === 'json') {
        io.stdout(`${JSON.stringify(entry, null, 2)}\n`);
        return EXIT.ok;
      }
      if (entry.docsUrl === undefined) {
        io.stdout(`${entry.id} (${entry.severity}): ${entry.title}\n\n${entry.description}\n\nA plugin's check: np-doctor has no page for it.\n`);
        return EXIT.ok;
      }
      io.stdout(page(id));
      return EXIT.ok;
    }
    if (output === 'json') {
      const byId = new Map(checks.map((c) => [c.id, c]));
      io.stdout(`${JSON.stringify(entries.map((c) => ({ ...c, stage: byId.get(c.id)?.stage, requires: byId.get(c.id)?.requires })), null, 2)}\n`);
      return EXIT.ok;
    }
    const width = Math.max(2, ...checks.map((c) => c.id.length));
    io.stdout(`${'ID'.padEnd(width)}  SEVERITY  DESCRIPTION\n`);
    for (const c of checks) io.stdout(`${c.id.padEnd(width)}  ${c.severity.padEnd(8)}  ${c.description}\n`);
    io.stdout('\nnp-doctor checks ID prints a check\'s page.\n');
    return EXIT.ok;
  },
});

/** Names offered for a mistyped check id: a prefix may fit several (kube-proxy-m…). */
const SUGGESTED_CHECKS = 3;

/** `no check "etp-local"; did you mean etp-local-no-local-endpoint?` */
function unknownCheck(id: string, ids: readonly string[]): string {
  const shown = JSON.stringify(cut(id, 80));
  return `no check ${shown}${didYouMean(id, ids, SUGGESTED_CHECKS)} (np-doctor checks lists them all)`;
}

/** The page as the package ships it (docs/checks/ID.md in the package's root). */
function page(id: string): string {
  const file = checkDocsPath(id);
  const path = packageFile(file);
  if (path === undefined) {
    throw new PackageFileMissingError(`the page for ${id} is not installed with np-doctor (${file} next to its package.json); read it at ${checkDocsUrl(id)}`);
  }
  return `${readFileSync(path, 'utf8').trimEnd()}\n\nOnline: ${checkDocsUrl(id)}\n`;
}
