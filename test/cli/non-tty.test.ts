/**
 * Piped, np-doctor never draws: no cursor movement, erasing or alternate screen, whatever the
 * command. Ink starts only when stdin and stdout are a terminal (DESIGN.md §2).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { promisify } from 'node:util';

const CLI = 'dist/src/cli.js';
const DEMO = 'examples/demo.json';

/** CSI sequences that move the cursor, erase, scroll or switch screens; colours (SGR, `m`) are not among them. */
// eslint-disable-next-line no-control-regex -- terminal escape sequences are what this test looks for
const CURSOR_CONTROL = /\x1b\[[0-9;?]*[ABCDEFGHJKSTfhlsu]|\x1b[78]|\x1b\[\?1049|\x1b\[\?25[lh]/;

async function piped(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  assert.ok(existsSync(CLI), `${CLI} is missing: npm run build first (npm test does)`);
  const { CI: _ci, ...rest } = process.env;
  try {
    const r = await promisify(execFile)('node', [CLI, ...args], { env: { ...rest, ...env } });
    return { code: 0, ...r };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

for (const [what, args, code] of [
  ['diagnose', ['diagnose', 'svc/frontend', '-n', 'shop', '--snapshot', DEMO], 1],
  ['diagnose -v', ['diagnose', 'svc/payments', '-n', 'shop', '--snapshot', DEMO, '-v'], 1],
  ['scan', ['scan', '--snapshot', DEMO], 1],
  ['no arguments (help)', [], 2],
] as const) {
  test(`piped ${what}: plain text, no cursor control`, async () => {
    const r = await piped([...args]);
    assert.equal(r.code, code, r.stderr);
    assert.ok(r.stdout.length > 0);
    assert.doesNotMatch(r.stdout + r.stderr, CURSOR_CONTROL);
    if (what.startsWith('diagnose')) assert.match(r.stdout, /^✗ shop\/\w+: .*\n {2}connections to port/);
  });
}

test('piped tui: a usage error that says what to use instead, nothing drawn', async () => {
  const r = await piped(['tui', '--snapshot', DEMO]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /needs a terminal on stdin and stdout; for text or JSON use np-doctor diagnose/);
  assert.equal(r.stdout, '');
  assert.doesNotMatch(r.stderr, CURSOR_CONTROL);
});

test('the pattern catches what Ink writes in a terminal (so the tests above can fail)', () => {
  assert.match('\x1b[2K\x1b[1A\x1b[G', CURSOR_CONTROL);
  assert.match('\x1b[?1049h', CURSOR_CONTROL);
  assert.doesNotMatch('\x1b[31mred\x1b[0m', CURSOR_CONTROL);
});
