/**
 * `npm run test:fast`: the unit tier. Every test file but those below, which need root, network
 * namespaces, real sshd, tmux or Kubernetes, or the built CLI (`npm test` runs them all), with
 * NP_DOCTOR_TIER=fast so the lab and built-CLI parts of the files it runs skip even as root
 * (test/support/tier.ts). Files run one process each, as many at a time as there are cores: most
 * of a file's time is starting Node and tsx and loading modules. Extra arguments go to `node
 * --test` (`npm run test:fast -- --test-name-pattern=verdict`).
 */
import { spawnSync } from 'node:child_process';
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
const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${availableParallelism()}`, ...process.argv.slice(2), ...files], {
  stdio: 'inherit',
  env: { ...process.env, NP_DOCTOR_TIER: 'fast' },
});
process.exitCode = run.status ?? 1;
