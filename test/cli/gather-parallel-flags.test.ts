/**
 * --parallel and --node-timeout as a user sets them: defaults, bounds, refusals, and that every
 * gathering command takes them (and refuses them beside --snapshot, where nothing is gathered).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GATHER_HELP, gatherRequest, MAX_PARALLEL } from '../../src/cli/gather-flags.js';
import type { Io } from '../../src/cli/io.js';
import { snapshotSource } from '../../src/cli/snapshot-source.js';
import { SILENT } from '../../src/collect/gather-progress.js';
import { main } from '../../src/main.js';

const io = (): Io => ({ stdout: () => {}, stderr: () => {}, env: { HOME: '/nonexistent' }, isTTY: false });
const request = (values: Parameters<typeof gatherRequest>[0]) => gatherRequest(values, { service: null }, io(), SILENT);

test('--parallel: 8 nodes at once by default, any whole number from 1 to the bound', () => {
  assert.equal(request({}).nodeConcurrency, 8);
  assert.equal(request({ parallel: '1' }).nodeConcurrency, 1);
  assert.equal(request({ parallel: '32' }).nodeConcurrency, 32);
  assert.equal(request({ parallel: String(MAX_PARALLEL) }).nodeConcurrency, MAX_PARALLEL);
});

test('--parallel refuses what is not a count of nodes, naming the flag, the value and the range', () => {
  for (const bad of ['0', String(MAX_PARALLEL + 1), '-3', '2.5', 'many', '', '1e3', ' 4']) {
    assert.throws(() => request({ parallel: bad }), { name: 'UsageError', message: `--parallel ${bad}: expected a whole number from 1 to ${MAX_PARALLEL} (nodes read at once)` });
  }
});

test('--node-timeout: 3 min by default, a duration like --timeout, never 0', () => {
  assert.equal(request({}).nodeTimeoutMs, 180_000);
  assert.equal(request({ 'node-timeout': '45s' }).nodeTimeoutMs, 45_000);
  assert.equal(request({ 'node-timeout': '1m30s' }).nodeTimeoutMs, 90_000);
  assert.throws(() => request({ 'node-timeout': '0' }), /--node-timeout 0: a node read needs a deadline/);
  assert.throws(() => request({ 'node-timeout': 'soon' }), /--node-timeout soon: expected a duration like 30s/);
});

test('both are in the help of every gathering command, and only mean something when gathering live', async () => {
  assert.match(GATHER_HELP, new RegExp(`--parallel N +nodes read at once, 1-${MAX_PARALLEL} \\(default 8\\)`));
  assert.match(GATHER_HELP, /--node-timeout D +one node's whole read/);
  for (const command of ['snapshot', 'diagnose', 'scan', 'tui']) {
    let out = '';
    const code = await main([command, '--help'], { ...io(), stdout: (s) => (out += s) });
    assert.equal(code, 0, command);
    assert.match(out, /--parallel N/, command);
  }
  assert.throws(() => snapshotSource({ snapshot: 'x.json', parallel: '4' }), /--parallel only apply when gathering live/);
});

test('a bad --parallel stops the command before anything is gathered, exit 2', async () => {
  let err = '';
  // A kubeconfig that exists (files named by flags are checked first) but that gathering would refuse.
  const code = await main(['scan', '-A', '--parallel', '0', '--kubeconfig', 'package.json'], { ...io(), stderr: (s) => (err += s) });
  assert.equal(code, 2);
  assert.match(err, /--parallel 0: expected a whole number from 1 to 64/);
});
