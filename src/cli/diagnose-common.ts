/** What `diagnose` and `scan` share: output, --fail-on and plugin flags, and the exit code. */
import replayContradictsWire from '../../checks/replay-contradicts-wire.js';
import type { Diagnosis } from '../diagnose.js';
import type { Protocol } from '../engine/packet/contract.js';
import { EXIT } from '../exit.js';
import type { Check } from '../check-kit/define.js';
import { SEVERITIES } from '../check-kit/model.js';
import { loadPlugins, PluginError } from '../run/plugins.js';
import type { UnmetKind } from '../run/requirements.js';
import type { CheckResult } from '../run/runner.js';
import { UsageError } from './io.js';
import { OVERWRITE_FLAG } from './output-file.js';
import { OUTPUT_FORMATS, type OutputFormat } from '../report/formats.js';
import { FAIL_ON_LEVELS, type FailOn } from './output-values.js';
import { didYouMean } from './suggest.js';

export const PLUGIN_FLAG = { plugin: { type: 'string', multiple: true } } as const;

/** The flags of a command that analyses a snapshot and prints Reports. */
export const REPORT_FLAGS = {
  snapshot: { type: 'string' },
  'save-snapshot': { type: 'string' },
  ...OVERWRITE_FLAG,
  output: { type: 'string', short: 'o' },
  'fail-on': { type: 'string' },
  timings: { type: 'boolean' },
  ...PLUGIN_FLAG,
} as const;

export type { FailOn } from './output-values.js';

export function parseOutput(v: string | undefined): OutputFormat {
  const output = OUTPUT_FORMATS.find((o) => o === (v ?? 'text'));
  if (output === undefined) throw new UsageError(`-o ${v}: use ${OUTPUT_FORMATS.join(', ')}${didYouMean(v ?? '', OUTPUT_FORMATS)}`);
  return output;
}

export function parseFailOn(v: string | undefined): FailOn {
  const level = FAIL_ON_LEVELS.find((l) => l === (v ?? 'error'));
  if (level === undefined) throw new UsageError(`--fail-on ${v}: use ${FAIL_ON_LEVELS.join(', ')}${didYouMean(v ?? '', FAIL_ON_LEVELS)}`);
  return level;
}

/** --fail-on's line in diagnose's and scan's help: what each level does to the exit code. */
export const FAIL_ON_HELP = `      --fail-on LEVEL       exit 1 on findings at or above LEVEL: error (default), warning, info;
                            none: exit 0 whatever the Reports say, found or left undecided (a gate
                            that only reports); a usage error (2), no Report at all (3: the cluster
                            could not be read, or the snapshot lacks the namespace) and Ctrl-C (130)
                            still say so`;

const PROTOCOLS: readonly Protocol[] = ['tcp', 'udp', 'sctp'];

export function parseProtocol(v: string | undefined): Protocol | undefined {
  const p = v?.toLowerCase();
  if (p === undefined || (PROTOCOLS as readonly string[]).includes(p)) return p as Protocol | undefined;
  throw new UsageError(`--protocol ${v}: use tcp, udp or sctp`);
}

/** --family: 4 or 6 (ipv4 / ipv6 too); undefined replays every family the Service has. */
export function parseFamily(v: string | undefined): 4 | 6 | undefined {
  const f = v?.toLowerCase().replace(/^ipv/, '');
  if (f === undefined) return undefined;
  if (f === '4' || f === '6') return Number(f) as 4 | 6;
  throw new UsageError(`--family ${v}: use 4 or 6`);
}

export async function loadChecks(builtIn: readonly Check[], plugins: string[]): Promise<Check[]> {
  try {
    return [...builtIn, ...(await loadPlugins(plugins, builtIn))];
  } catch (e) {
    if (e instanceof PluginError) throw new UsageError(e.message);
    throw e;
  }
}

/**
 * 1: a finding at or above --fail-on. 3: nothing found, but something could not be decided (a
 * check skipped or broken, a node not replayed, the replay contradicted by --probe): a clean bill
 * needs every check to have run and the wire to agree. --fail-on none: 0, it never fails on what
 * the Reports say.
 */
export function exitCodeFor(diagnoses: readonly Diagnosis[], failOn: FailOn): number {
  if (failOn === 'none') return EXIT.ok;
  const limit = SEVERITIES.indexOf(failOn);
  if (diagnoses.some(({ report }) => report.findings.some((f) => SEVERITIES.indexOf(f.severity) <= limit))) return EXIT.findings;
  const undecided = diagnoses.some(({ report, checks }) =>
    checks.some((c) => !decided(c)) ||
    // The replay disagrees with the wire: whatever --fail-on says, that is no clean bill.
    report.findings.some((f) => f.id === replayContradictsWire.id) ||
    // A node that fails with nothing to explain it is not a clean bill either.
    report.verdict.nodes.some((n) => n.result !== 'delivered'));
  return undecided ? EXIT.cannotDecide : EXIT.ok;
}

function decided(c: CheckResult): boolean {
  switch (c.status) {
    case 'passed':
    case 'failed':
      return true;
    case 'error':
    case 'timeout':
      return false;
    case 'skipped':
      return (c.unmet ?? []).some(answers);
  }
}

/** A Service or nodePort that does not exist is an answer (a finding says so), not a gap. */
function answers(kind: UnmetKind): boolean {
  switch (kind) {
    case 'service-not-found':
    case 'no-ports':
    case 'no-node-port':
      return true;
    case 'not-gathered':
    case 'not-replayed':
      return false;
  }
}
