/** `np-doctor checks ID`: one check's page, found next to the CLI wherever it runs from. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { CHECKS } from '../../checks/index.js';
import { CHECKS_HELP } from '../../src/cli/checks.js';
import { runMain } from '../support/run-main.js';
import { builtCliSkip } from '../support/tier.js';

test('checks ID prints docs/checks/ID.md and the address a finding\'s docsUrl names', async () => {
  for (const id of ['etp-local-no-local-endpoint', 'br-netfilter-off']) {
    const r = await runMain(['checks', id]);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, `${readFileSync(`docs/checks/${id}.md`, 'utf8').trimEnd()}\n\nOnline: https://np-doctor.dev/checks/${id}\n`);
  }
  const json = await runMain(['checks', 'node-not-ready', '-o', 'json']);
  assert.equal((JSON.parse(json.out) as { docsUrl: string }).docsUrl, 'https://np-doctor.dev/checks/node-not-ready');
});

test('an unknown ID says so, with the ids it may have meant, and exits 2', async () => {
  const typo = await runMain(['checks', 'etp-local-no-local-endpiont']);
  assert.equal(typo.code, 2);
  assert.match(typo.err, /no check "etp-local-no-local-endpiont"; did you mean etp-local-no-local-endpoint\?/);
  const part = await runMain(['checks', 'kube-proxy-m']);
  assert.match(part.err, /did you mean kube-proxy-missing or kube-proxy-mode-conflict\?/);
  const none = await runMain(['checks', 'zzzzzzzzzzzz']);
  assert.equal(none.code, 2);
  assert.match(none.err, /no check "zzzzzzzzzzzz" \(np-doctor checks lists them all\)/);
});

test('checks --help points at pages that exist: np-doctor checks ID, not a docs/checks.md', () => {
  for (const [file] of CHECKS_HELP.matchAll(/\bdocs\/[\w./<>-]+/g)) assert.ok(existsSync(file), `--help names ${file}`);
  const ids = [...CHECKS_HELP.matchAll(/np-doctor checks ([a-z0-9-]+)/g)].map((m) => m[1]!);
  assert.ok(ids.length > 0);
  for (const id of ids) assert.ok(CHECKS.some((c) => c.id === id), id);
});

test('the built CLI finds the pages relative to itself, from any working directory', { skip: builtCliSkip() }, () => {
  const cli = resolve('dist/src/cli.js');
  assert.ok(existsSync(cli), `${cli} is missing: npm run build first (npm test does)`);
  const r = spawnSync(process.execPath, [cli, 'checks', 'kube-proxy-missing'], { cwd: tmpdir(), encoding: 'utf8', env: { PATH: process.env.PATH } });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.startsWith(readFileSync('docs/checks/kube-proxy-missing.md', 'utf8').trimEnd()));
});
