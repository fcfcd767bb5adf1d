/**
 * The gathering bounds as a user sets them: --timeout, --max-output and --max-list-items, their
 * defaults and refusals, and `np-doctor snapshot` writing a snapshot that says a dump was cut.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gatherRequest, gatherTimeoutMs, parseSize } from '../../src/cli/gather-flags.js';
import type { Io } from '../../src/cli/io.js';
import { main } from '../../src/main.js';
import { SILENT } from '../../src/collect/gather-progress.js';
import { loadSnapshot } from '../../src/snapshot/file.js';
import { apiLabPerFile } from '../support/api-lab.js';

const lab = apiLabPerFile('npd-limits-cli-');
const dir = lab.dir;


function io(): Io & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return { stdout: (s) => (out += s), stderr: (s) => (err += s), env: { HOME: dir }, isTTY: false, out: () => out, err: () => err };
}

test('defaults: 5 min for the whole gathering, 64 MiB per stream, 100000 objects per list', () => {
  const r = gatherRequest({}, { service: 'frontend' }, io(), SILENT);
  assert.equal(r.timeoutMs, 300_000);
  assert.equal(r.outputLimitBytes, 64 * 2 ** 20);
  assert.equal(r.maxListItems, 100_000);
  assert.equal(r.debugPod.privileged, false);
  assert.match(r.debugPod.image, /^docker\.io\/library\/busybox:1\.37@sha256:[0-9a-f]{64}$/);
  assert.equal(r.debugPod.owner.pid, process.pid);
  const set = gatherRequest({ timeout: '90s', 'max-output': '4MiB', 'max-list-items': '20', 'debug-privileged': true }, { service: null }, io(), SILENT);
  assert.deepEqual([set.timeoutMs, set.outputLimitBytes, set.maxListItems, set.debugPod.privileged], [90_000, 4 * 2 ** 20, 20, true]);
});

test('bounds that are no bounds are usage errors', () => {
  assert.throws(() => gatherTimeoutMs('0'), /--timeout 0: the gathering needs a deadline/);
  assert.equal(parseSize('64KiB', '--max-output'), 65536);
  assert.equal(parseSize('1048576', '--max-output'), 1048576);
  assert.throws(() => parseSize('2GiB', '--max-output'), /use a size between 1KiB and 256MiB/);
  assert.throws(() => parseSize('12', '--max-output'), /use a size between 1KiB and 256MiB/);
  assert.throws(() => parseSize('lots', '--max-output'), /expected a size like 64MiB/);
  assert.throws(() => gatherRequest({ 'max-list-items': '0' }, { service: null }, io(), SILENT), /--max-list-items 0: expected a whole number above 0/);
});

test('snapshot with a dump larger than --max-output: written, the dump marked cut, the problem listed, exit 3', async () => {
  const dump = join(dir, 'node-1.rules');
  writeFileSync(dump, `*filter\n${'-A INPUT -j ACCEPT\n'.repeat(200)}COMMIT\n`);
  const file = join(dir, 'cut.json');
  const t = io();
  const code = await main(['snapshot', 'svc/frontend', '--kubeconfig', lab.kubeconfig, '--collect', 'none', '--node-dump', `node-1=${dump}`, '--max-output', '1KiB', '-o', file], t);
  assert.equal(code, 3, t.err());
  assert.match(t.err(), /✗ node node-1: read the --node-dump file for node-1: the iptables-save dump is larger than 1 KiB; np-doctor kept the first 1 KiB, so it is not replayed/);
  const snap = await loadSnapshot(file);
  assert.deepEqual(snap.nodes[0]?.commands['iptables-save']?.truncated, { stdout: true, stderr: false, limitBytes: 1024 });
});
