/**
 * Runs checks in registry order against one analysis. A check whose required data is missing is
 * skipped with the reason; a check that throws, returns something malformed, or overruns its time
 * is reported against itself while the others still run.
 */
import { performance } from 'node:perf_hooks';
import { toCommand } from '../check-kit/command.js';
import { checkContext, type Analysis } from '../check-kit/context.js';
import { formatMessage, type Check } from '../check-kit/define.js';
import { SEVERITIES, STAGES, type CheckResult as ReportedCheckResult, type Evidence, type Finding, type Remediation, type Severity } from '../check-kit/model.js';
import { availability, type Unmet, type UnmetKind } from './requirements.js';

/** How one check ended, as the runner records it: a skip also says what kind of requirement was unmet (the Report keeps only the words). */
export type CheckResult = ReportedCheckResult & { unmet?: UnmetKind[] };

export interface RunResult {
  findings: Finding[];
  checks: CheckResult[];
}

export const DEFAULT_CHECK_TIMEOUT_MS = 5000;

export interface RunOptions {
  timeoutMs?: number;
  /**
   * Called as each check starts (`running`) and ends (its result), for a live display. With it,
   * the runner yields to the event loop between checks so the display can draw.
   */
  onCheck?: (event: CheckResult | { id: string; status: 'running' }) => void;
}

export async function runChecks(checks: readonly Check[], analysis: Analysis, opts: RunOptions = {}): Promise<RunResult> {
  const have = availability(analysis);
  const ctx = checkContext(analysis);
  const findings: Finding[] = [];
  const results: CheckResult[] = [];
  const record = (r: CheckResult) => {
    results.push(r);
    opts.onCheck?.(r);
  };
  for (const check of checks) {
    if (opts.onCheck) {
      opts.onCheck({ id: check.id, status: 'running' });
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const unmet = check.requires.map((r) => have[r]).filter((u): u is Unmet => u !== null);
    if (unmet.length > 0) {
      record({ id: check.id, status: 'skipped', reason: [...new Set(unmet.map((u) => u.why))].join('; '), unmet: unmet.map((u) => u.kind), durationMs: 0 });
      continue;
    }
    const limit = check.timeoutMs ?? opts.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const raced = await Promise.race([
        Promise.resolve().then(() => check.run(ctx)),
        new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), limit); }),
      ]);
      const durationMs = round(performance.now() - started);
      // A synchronous check cannot be interrupted in-process; one that overran is still discarded.
      if (raced === 'timeout' || durationMs > limit) {
        record({ id: check.id, status: 'timeout', reason: `did not finish within ${limit} ms`, durationMs });
        continue;
      }
      const made = raced.map((f, i) => toFinding(check, f, i));
      findings.push(...made);
      record({ id: check.id, status: made.length > 0 ? 'failed' : 'passed', durationMs });
    } catch (e) {
      record({ id: check.id, status: 'error', reason: describeCrash(e), durationMs: round(performance.now() - started) });
    } finally {
      clearTimeout(timer);
    }
  }
  return { findings: sortFindings(findings), checks: results };
}

class MalformedFinding extends Error {}

function toFinding(check: Check, f: unknown, index: number): Finding {
  const bad = (why: string): never => {
    throw new MalformedFinding(`finding ${index} ${why}`);
  };
  if (typeof f !== 'object' || f === null) bad('is not an object');
  const x = f as Record<string, unknown>;
  const template = typeof x.messageId === 'string' ? check.messages[x.messageId] : undefined;
  if (template === undefined) bad(`has messageId ${JSON.stringify(x.messageId)}, which is not one of the check's messages (${Object.keys(check.messages).join(', ')})`);
  const severity = x.severity ?? check.severity;
  if (!SEVERITIES.includes(severity as Severity)) bad(`has severity ${JSON.stringify(x.severity)}`);
  if (!Array.isArray(x.evidence)) bad('has no evidence list');
  const rem = x.remediation as Remediation | undefined;
  if (typeof rem?.summary !== 'string' || !Array.isArray(rem.commands)) bad('has no remediation {summary, commands}');
  return {
    id: check.id,
    severity: severity as Severity,
    title: check.title,
    message: formatMessage(template!, x.data as Record<string, string | number> | undefined),
    ...(typeof x.node === 'string' ? { node: x.node } : {}),
    ...(Array.isArray(x.workingNodes) && x.workingNodes.every((n) => typeof n === 'string') ? { workingNodes: x.workingNodes } : {}),
    stage: check.stage,
    evidence: x.evidence as Evidence[],
    // A plugin in plain JavaScript can still return a string: it is reported against its check
    // rather than printed as a line nobody quoted.
    remediation: {
      summary: rem!.summary,
      commands: rem!.commands.map((c: unknown, j) => {
        try {
          return toCommand(c);
        } catch (e) {
          return bad(`has remediation.commands[${j}]: ${(e as Error).message}`);
        }
      }),
    },
  };
}

function describeCrash(e: unknown): string {
  if (e instanceof MalformedFinding) return `returned a malformed finding: ${e.message}`;
  if (e instanceof Error) {
    const frame = e.stack?.split('\n').find((l) => l.trim().startsWith('at '))?.trim();
    return `crashed: ${e.message}${frame ? ` (${frame})` : ''}`;
  }
  return `crashed: ${String(e)}`;
}

const rank = <T>(list: readonly T[], x: T) => list.indexOf(x);

/** Most severe first; then upstream causes (stage order) before what they cause; then id and node. */
export function sortFindings(findings: Finding[]): Finding[] {
  return [...findings].sort((a, b) =>
    rank(SEVERITIES, a.severity) - rank(SEVERITIES, b.severity) ||
    rank(STAGES, a.stage) - rank(STAGES, b.stage) ||
    a.id.localeCompare(b.id) ||
    (a.node ?? '').localeCompare(b.node ?? ''));
}

const round = (ms: number) => Math.round(ms * 100) / 100;
