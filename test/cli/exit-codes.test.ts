/**
 * Every exit code from every command, as a shell sees it: the built CLI run as a real process
 * (npm run build first). 0 ok, 1 findings, 2 usage, 3 could not decide, 130 interrupted.
 * `tui`'s 0 and 130 need a terminal: test/tui/tmux.test.ts runs it in one.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { apiClusterObjects } from '../support/api-cluster.js';
import { startFakeApiserver, type FakeApiserver } from '../support/fake-apiserver/index.js';

const CLI = 'dist/src/cli.js';
const HEALTHY = 'test/scenarios/healthy-etp-cluster/snapshot.json';
const dir = mkdtempSync(join(tmpdir(), 'npd-exit-'));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI piped, HOME a clean directory; `whileRunning` may act on the child (Ctrl-C). */
function cli(args: string[], whileRunning?: (child: ChildProcess) => Promise<void>): Promise<Run> {
  assert.ok(existsSync(CLI), `${CLI} is missing: npm run build first (npm test does)`);
  const { CI: _ci, KUBECONFIG: _kc, NO_COLOR: _nc, ...env } = process.env;
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...env, HOME: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const done = new Promise<Run>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return whileRunning === undefined ? done : whileRunning(child).then(() => done);
}

/** Waits, without a fixed sleep, until `what` holds (bounded: a test that never sees it fails). */
async function until(what: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) assert.fail('the expected moment never came');
    await new Promise((r) => setTimeout(r, 10));
  }
}

let server: FakeApiserver;
let kubeconfig: string;
/** A kubeconfig whose API server is gone: connections are refused. */
let deadKubeconfig: string;

before(async () => {
  server = await startFakeApiserver({ objects: apiClusterObjects() });
  kubeconfig = await server.writeKubeconfig({ context: 'lab', namespace: 'shop' });
  const dead = await startFakeApiserver();
  deadKubeconfig = join(dir, 'dead.kubeconfig');
  writeFileSync(deadKubeconfig, readFileSync(await dead.writeKubeconfig({ context: 'dead', namespace: 'shop' })));
  await dead.stop();
});
after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Ctrl-C once the gathering has asked the API server for Services (held there, so it is mid-way). */
async function interruptMidGather(args: string[]): Promise<Run> {
  const hold = server.delay({ path: /\/services/, ms: 60_000 });
  const seen = server.requests.length;
  try {
    return await cli(args, async (child) => {
      await until(() => server.requests.slice(seen).some((r) => r.path.includes('/services')));
      child.kill('SIGINT');
    });
  } finally {
    hold.remove();
  }
}

const LIVE = ['--kubeconfig', () => kubeconfig, '--collect', 'none'] as const;
const live = (): string[] => LIVE.map((a) => (typeof a === 'function' ? a() : a));

const CASES: { command: string; code: number; args: () => string[]; says?: RegExp }[] = [
  { command: 'diagnose', code: 0, args: () => ['diagnose', 'svc/frontend', '-n', 'shop', '--snapshot', HEALTHY] },
  { command: 'diagnose', code: 1, args: () => ['diagnose', 'svc/frontend', '-n', 'shop', '--snapshot', 'demo'] },
  { command: 'diagnose', code: 0, args: () => ['diagnose', 'svc/frontend', '-n', 'shop', '--snapshot', 'demo', '--fail-on', 'none'] },
  { command: 'diagnose', code: 2, args: () => ['diagnose', 'svc/frontend', '--snapshot', 'demo', '--nod', 'node-1'], says: /unknown flag "--nod"; did you mean --node\?/ },
  { command: 'diagnose', code: 3, args: () => ['diagnose', 'svc/frontend', '-n', 'default', '--snapshot', 'demo', '--fail-on', 'none'], says: /no data for namespace default: it was gathered for namespace shop/ },
  { command: 'diagnose', code: 3, args: () => ['diagnose', 'svc/frontend', '--kubeconfig', deadKubeconfig, '--collect', 'none', '--request-timeout', '5s'], says: /cannot gather/ },
  { command: 'scan', code: 0, args: () => ['scan', '--snapshot', HEALTHY] },
  { command: 'scan', code: 1, args: () => ['scan', '--snapshot', 'demo'] },
  { command: 'scan', code: 0, args: () => ['scan', '--snapshot', 'demo', '--fail-on', 'none'] },
  { command: 'scan', code: 2, args: () => ['scan', '--snapshot', 'demo', '--fail-on', 'never'], says: /--fail-on never: use error, warning, info, none/ },
  { command: 'scan', code: 3, args: () => ['scan', '--snapshot', 'demo', '-n', 'default'], says: /no data for namespace default: it was gathered for namespace shop/ },
  { command: 'scan', code: 3, args: () => ['scan', '--snapshot', 'demo', '-n', 'default', '--fail-on', 'none'] },
  { command: 'demo', code: 1, args: () => ['demo'] },
  { command: 'demo', code: 2, args: () => ['demo', '-o', 'xml'] },
  { command: 'trace', code: 0, args: () => ['trace', '--snapshot', 'demo', '--node', 'node-1', '--to', '192.168.1.101:30080'] },
  { command: 'trace', code: 2, args: () => ['trace', '--snapshot', 'demo', '--to', '192.168.1.101:30080'], says: /--node NODE is required/ },
  { command: 'snapshot', code: 0, args: () => ['snapshot', 'svc/frontend', ...live(), '-f', join(dir, `s-${Date.now()}.json`)] },
  { command: 'snapshot', code: 2, args: () => ['snapshot', 'svc/frontend', ...live(), '-o', 'json'], says: /snapshot writes a file: use -f FILE/ },
  { command: 'snapshot', code: 3, args: () => ['snapshot', 'svc/frontend', '--kubeconfig', deadKubeconfig, '--collect', 'none', '-f', join(dir, 'never.json')], says: /cannot gather/ },
  { command: 'checks', code: 0, args: () => ['checks'] },
  { command: 'checks', code: 2, args: () => ['checks', '-o', 'xml'] },
  { command: 'cleanup', code: 0, args: () => ['cleanup', '--kubeconfig', kubeconfig] },
  { command: 'cleanup', code: 2, args: () => ['cleanup', '--kubeconfig', join(dir, 'missing')], says: /--kubeconfig \S+missing: no such file/ },
  { command: 'cleanup', code: 3, args: () => ['cleanup', '--kubeconfig', deadKubeconfig, '--request-timeout', '5s'] },
  { command: 'tui', code: 2, args: () => ['tui', '--snapshot', 'demo'], says: /needs a terminal/ },
  { command: 'version', code: 0, args: () => ['version'] },
  { command: 'version', code: 2, args: () => ['version', '-o', 'yaml'] },
  { command: 'completion', code: 0, args: () => ['completion', 'bash'] },
  { command: 'completion', code: 2, args: () => ['completion', 'tcsh'] },
  { command: 'help', code: 0, args: () => ['help', 'scan'] },
  { command: 'help', code: 2, args: () => ['help', 'scna'], says: /unknown command "scna"; did you mean scan\?/ },
  { command: '(none)', code: 2, args: () => [], says: /no command given/ },
];

for (const c of CASES) {
  // Kubeconfigs are written once the fake API server runs: named KUBECONFIG in the test's name.
  const label = c.args().map((a: string | undefined) => (a === undefined ? 'KUBECONFIG' : a.replace(dir, '…'))).join(' ');
  test(`${c.command} exits ${c.code}: ${label}`, async () => {
    const r = await cli(c.args());
    assert.equal(r.code, c.code, r.stderr);
    if (c.says) assert.match(r.stderr, c.says);
    // A usage error or an undecided run says why on stderr; a run that decided prints its result.
    if (c.code >= 2) assert.ok(r.stderr.trim().length > 0, 'says why');
    else assert.ok((c.command === 'snapshot' ? r.stderr : r.stdout).length > 0, 'prints its result');
  });
}

for (const command of ['diagnose', 'scan', 'snapshot'] as const) {
  test(`${command} exits 130 when Ctrl-C stops the gathering`, async () => {
    const args = command === 'snapshot' ? ['snapshot', 'svc/frontend', '-f', join(dir, 'int.json')] : command === 'scan' ? ['scan'] : ['diagnose', 'svc/frontend'];
    const r = await interruptMidGather([...args, ...live()]);
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /interrupted/);
  });
}
