/**
 * The first run that works anywhere: `np-doctor demo` and `--snapshot demo` find the demo snapshot
 * shipped beside the CLI, from any directory. Every example in every help can be pasted: those on
 * the demo run from a directory outside the repository and decide (exit 0 or 1); the others need a
 * cluster, the user's files or a terminal, so only their flags are checked (the command's own parser).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { COMMANDS } from '../../src/cli/commands.js';
import { runMain } from '../support/run-main.js';
import { builtCliSkip } from '../support/tier.js';

const CLI = resolve('dist/src/cli.js');
const elsewhere = mkdtempSync(join(tmpdir(), 'npd-demo-'));
after(() => rmSync(elsewhere, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  assert.ok(existsSync(CLI), `${CLI} is missing: npm run build first (npm test does)`);
  const { CI: _ci, ...env } = process.env;
  try {
    const r = await promisify(execFile)(process.execPath, [CLI, ...args], { cwd: elsewhere, env: { ...env, HOME: elsewhere } });
    return { code: 0, ...r };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

test('np-doctor demo, from a directory without examples/: the demo diagnosis, exit 1 explained', async () => {
  assert.ok(!existsSync(join(elsewhere, 'examples')));
  const r = await cli(['demo']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^✗ shop\/frontend: times out via node-1 — etp-local-no-local-endpoint\n {2}connections to port 30080 time out on node-1/);
  assert.match(r.stderr, /bundled demo snapshot \(exit 1: findings\)/);
  const json = await cli(['demo', '-o', 'json']);
  assert.equal((JSON.parse(json.stdout) as { target: { service: string } }).target.service, 'frontend');
});

/** Every `np-doctor …` example line of every help text. */
async function examples(): Promise<string[]> {
  const helps = [(await runMain(['--help'])).out];
  for (const name of Object.keys(COMMANDS)) helps.push((await runMain([name, '--help'])).out);
  return helps.flatMap((h) => h.split('\n'))
    .map((l) => /^ {2}(?:bash|zsh|fish)? *(np-doctor [^<[(]*?)\s*(?:\(.*)?$/.exec(l)?.[1])
    .filter((l): l is string => l !== undefined && !l.includes('<command>'));
}

test('every help example can be pasted as it is', async () => {
  const all = await examples();
  assert.ok(all.length >= 15, `found ${all.length} examples`);
  for (const line of all) {
    assert.doesNotMatch(line, /examples\/demo\.json/, 'the repository path exists only in the repository');
    // `> file` and `$(…)` are the shell's; np-doctor sees the words before them.
    const words = line.replace(/\s*>.*$/, '').split(/\s+/).slice(1).filter((w) => w !== '');
    // np-doctor alone opens the session in a terminal (test/tui).
    if (words.length === 0) continue;
    // The session needs a terminal (test/tui runs it in one).
    if (words.includes('demo') && words[0] !== 'tui') {
      const r = await cli(words);
      assert.ok(r.code === 0 || r.code === 1, `${line}: exit ${r.code}: ${r.stderr}`);
    } else {
      const r = await runMain([...words, '--help']);
      assert.equal(r.code, 0, `${line}: ${r.err}`);
    }
  }
});

test('an install without examples/demo.json: np-doctor demo says so, exit 2, no stack trace', { skip: builtCliSkip() }, async () => {
  assert.ok(existsSync(CLI), `${CLI} is missing: npm run build first (npm test does)`);
  // The built CLI and a package.json of that name, as an install is laid out, but examples/ left out.
  const pkg = join(elsewhere, 'no-examples');
  cpSync(resolve('dist/src'), join(pkg, 'dist/src'), { recursive: true, filter: (f) => !f.endsWith('.d.ts') });
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'np-doctor', type: 'module', exports: { './package.json': './package.json' } }));
  symlinkSync(realpathSync('node_modules'), join(pkg, 'node_modules'));
  const r = await promisify(execFile)(process.execPath, [join(pkg, 'dist/src/cli.js'), 'demo'], { cwd: elsewhere }).then(() => ({ code: 0, stderr: '' }), (e: { code: number; stderr: string }) => e);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr, 'np-doctor demo: np-doctor is installed without its examples/demo.json (the demo snapshot): reinstall np-doctor\n');
});
