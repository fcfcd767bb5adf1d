/**
 * `npm run test:fast`: the unit tier. Every test file but those below, which need root, network
 * namespaces, real sshd, tmux or Kubernetes, or the built CLI (`npm test` runs them all), with
 * NP_DOCTOR_TIER=fast so the lab and built-CLI parts of the files it runs skip even as root
 * (test/support/tier.ts). The files are dealt into one group per core, and each group runs in one
 * process (scripts/run-test-files.ts): starting Node and tsx and loading modules once per file
 * was most of the time. A group's TAP is printed when it ends. Extra arguments are node options
 * for every group (`npm run test:fast -- --test-name-pattern=verdict`).
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

/** What the fast tier leaves out, and why (a directory ends with `/`). */
const NOT_FAST: Record<string, string> = {
  'test/kernel/': 'the kernel lab: root, network namespaces',
  'test/k8s/': 'the real control plane and kube-proxy: root, npm run lab:build',
  'test/e2e/': 'the built CLI against the namespace cluster lab: root, sshd, tmux',
  'test/collect/ssh.test.ts': 'real sshd in network namespaces',
  'test/collect/debug-pod-capabilities.test.ts': 'capsh in a network namespace: root',
  'test/support/tmux.test.ts': 'real tmux',
  'test/tui/tmux.test.ts': 'real tmux and the built CLI',
  'test/cli/hostile-output.test.ts': 'the built CLI',
  'test/cli/non-tty.test.ts': 'the built CLI',
  'test/cli/trace-budget.test.ts': 'the built CLI',
};

const TEST_FILE = /\.test\.tsx?$/;

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return testFiles(path);
    return TEST_FILE.test(e.name) ? [path] : [];
  });
}

const excluded = (file: string): boolean => Object.keys(NOT_FAST).some((p) => (p.endsWith('/') ? file.startsWith(p) : file === p));
const files = testFiles('test').filter((f) => !excluded(f)).sort();
const cores = availableParallelism();
const groups = Array.from({ length: Math.min(cores, files.length) }, (_, g) => files.filter((_, i) => i % cores === g));

/** One group in one process; its output is kept and printed whole, so groups never interleave. */
function runGroup(group: string[]): Promise<{ code: number; tap: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...process.argv.slice(2), 'scripts/run-test-files.ts', ...group], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NP_DOCTOR_TIER: 'fast' },
  });
  const out: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => out.push(b));
  return new Promise((done) => {
    child.on('close', (code) => {
      const tap = Buffer.concat(out).toString();
      process.stdout.write(tap);
      done({ code: code ?? 1, tap });
    });
  });
}

const started = performance.now();
const results = await Promise.all(groups.map(runGroup));
/** The groups' TAP summary lines (`# pass 12`) added up. */
const total = (what: string) => results.reduce((n, r) => n + Number(new RegExp(`^# ${what} (\\d+)$`, 'm').exec(r.tap)?.[1] ?? 0), 0);
const ok = results.every((r) => r.code === 0);
console.log(`test:fast: ${files.length} files in ${groups.length} processes, ${total('pass')} passed, ${total('fail')} failed, ${total('skipped')} skipped, ${((performance.now() - started) / 1000).toFixed(1)} s${ok ? '' : ' — FAILED'}`);
process.exitCode = ok ? 0 : 1;
