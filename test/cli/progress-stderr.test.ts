/**
 * Progress is drawn on stderr, never on stdout: the live Ink display of diagnose in a terminal,
 * and the gathering spinner with its node count, also with -o json, while stdout holds the result
 * alone. In-process, with stand-in terminals that record what is drawn on each.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import type { Io } from '../../src/cli/io.js';
import { main } from '../../src/main.js';
import { apiLabPerFile } from '../support/api-lab.js';
import { NODE_A_DUMP } from '../support/snapshot-builder.js';

/** A stream Ink and ora take for a terminal, and everything drawn on it. */
function fakeTerminal(): { stream: NodeJS.WriteStream & NodeJS.ReadStream; text: () => string } {
  const s = new PassThrough();
  let text = '';
  s.on('data', (c: Buffer) => (text += c.toString('utf8')));
  Object.assign(s, { isTTY: true, columns: 100, rows: 40, cursorTo: () => true, moveCursor: () => true, clearLine: () => true, setRawMode: () => s, ref: () => s, unref: () => s });
  return { stream: s as unknown as NodeJS.WriteStream & NodeJS.ReadStream, text: () => text };
}

const lab = apiLabPerFile('npd-progress-');
const dir = lab.dir;
const dump = join(dir, 'node-1.rules');
writeFileSync(dump, NODE_A_DUMP);


test('diagnose in a terminal: the live display draws on stderr, stdout gets the report alone', async () => {
  const stdin = fakeTerminal();
  const screen = fakeTerminal();
  const errScreen = fakeTerminal();
  let out = '';
  let err = '';
  const io: Io = {
    stdout: (s) => (out += s), stderr: (s) => (err += s), env: { HOME: dir, TERM: 'xterm' }, isTTY: true, columns: 100,
    terminal: { stdin: stdin.stream, stdout: screen.stream }, progressStream: errScreen.stream,
  };
  const code = await main(['diagnose', 'svc/frontend', '-n', 'shop', '--snapshot', 'demo', '--no-color'], io);
  assert.equal(code, 1, err);
  assert.equal(screen.text(), '', 'nothing drawn on the stdout terminal');
  assert.match(errScreen.text(), /checks/, 'the live display drew on stderr');
  assert.match(out, /^✗ shop\/frontend: times out via node-1 — etp-local-no-local-endpoint\n/, 'stdout starts with the report');
  assert.doesNotMatch(out, /running checks/);
});

test('gathering with -o json: the spinner and its N/M node count on stderr, stdout is the JSON alone', async () => {
  const errScreen = fakeTerminal();
  let out = '';
  const io: Io = { stdout: (s) => (out += s), stderr: () => {}, env: { HOME: dir, TERM: 'xterm' }, isTTY: false, progressStream: errScreen.stream };
  const code = await main(['diagnose', 'svc/frontend', '-n', 'shop', '--kubeconfig', lab.kubeconfig, '--collect', 'none', '--node-dump', `node-1=${dump}`, '-o', 'json'], io);
  assert.ok(code === 1 || code === 3, `exit ${code}`);
  const report = JSON.parse(out) as { kind?: string; target: { service: string } };
  assert.equal(report.target.service, 'frontend');
  assert.match(errScreen.text(), /nodes \d+\/\d+ read/, 'the node count');
});

test('--quiet: no progress at all, even with stderr a terminal', async () => {
  const errScreen = fakeTerminal();
  const io: Io = { stdout: () => {}, stderr: () => {}, env: { HOME: dir, TERM: 'xterm' }, isTTY: false, progressStream: errScreen.stream };
  await main(['diagnose', 'svc/frontend', '-n', 'shop', '--kubeconfig', lab.kubeconfig, '--collect', 'none', '--node-dump', `node-1=${dump}`, '-o', 'json', '--quiet'], io);
  assert.equal(errScreen.text(), '');
});
