/**
 * np-doctor as an engineer runs it against a real lab cluster: the built CLI (dist/) as a child
 * process with a clean environment (an empty HOME, no KUBECONFIG, no agent), the lab's admin
 * kubeconfig, SSH to every node; and the fix commands it prints, run with the real kubectl.
 */
import { spawn } from 'node:child_process';
import type { Report, ReportFinding } from '../../../src/report/model.js';
import type { Probe } from '../../../src/snapshot/probe.js';
import type { RealCluster } from '../../support/k8s-lab/cluster.js';

export const CLI = 'dist/src/cli.js';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A bound, not a wait: np-doctor gathers two nodes in seconds; a hung run must fail the test, not stall it. */
const RUN_LIMIT_MS = 120_000;

export function npDoctor(c: RealCluster, args: string[]): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, HOME: c.home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      stderr += `\n(test: np-doctor ${args[0]} ran longer than ${RUN_LIMIT_MS / 1000} s and was killed)`;
      child.kill('SIGKILL');
    }, RUN_LIMIT_MS);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** What every gathering command needs: the Service, the API, SSH to every node. */
export const gatherArgs = (c: RealCluster, namespace: string, service: string): string[] =>
  [`svc/${service}`, '-n', namespace, '--kubeconfig', c.kubeconfig, ...c.ssh.flags, '--all-nodes'];

export interface Diagnosis extends CliRun {
  report: Report;
}

/** `np-doctor diagnose … -o json`, the report parsed (the run's output in the error if it is not JSON). */
export async function diagnose(c: RealCluster, namespace: string, service: string, extra: string[] = []): Promise<Diagnosis> {
  const r = await npDoctor(c, ['diagnose', ...gatherArgs(c, namespace, service), '-o', 'json', ...extra]);
  let report: Report;
  try {
    report = JSON.parse(r.stdout) as Report;
  } catch {
    throw new Error(`np-doctor diagnose printed no report (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  return { ...r, report };
}

/** The probes a report lists (--probe), or undefined when nothing was sent. */
export const reportProbes = (r: Report): Probe[] | undefined => (r as Report & { probes?: Probe[] }).probes;

/** One line per finding, for assertion messages. */
export const findingsText = (r: Report): string =>
  r.findings.map((f) => `${f.severity} ${f.id}${f.node ? ` (${f.node})` : ''}: ${f.message}`).join('\n') || '(no findings)';

/** The words of the finding's first single-command fix that `wanted` accepts. */
export function fixCommand(f: ReportFinding, wanted: (words: string[]) => boolean): string[] {
  for (const pipeline of f.remediation.pipelines ?? []) {
    if (pipeline.length === 1 && wanted(pipeline[0]!)) return pipeline[0]!;
  }
  throw new Error(`finding ${f.id} prints no such fix: ${JSON.stringify(f.remediation.commands)}`);
}

/** Runs a `kubectl …` fix np-doctor printed, word for word, with this version's real kubectl as the admin. */
export async function runKubectlFix(c: RealCluster, words: string[]): Promise<string> {
  if (words[0] !== 'kubectl') throw new Error(`not a kubectl command: ${words.join(' ')}`);
  return (await c.cp.kubectl(words.slice(1))).stdout;
}
