/**
 * The output limit in the two shells that run here: `--collect local` (real child processes; a
 * directory first on PATH holds a `uname` that never stops printing, or never answers) and
 * `--node-dump` files (a real file larger than the limit, and /dev/zero, which has no end).
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, test } from 'node:test';
import { gatherSignal } from '../../src/collect/deadline.js';
import { FilesShell } from '../../src/collect/node/files.js';
import { LocalShell } from '../../src/collect/node/local.js';
import { gatherNodes } from '../../src/collect/nodes.js';
import { SILENT } from '../../src/collect/gather-progress.js';

const dir = mkdtempSync(join(tmpdir(), 'npd-limits-'));
const originalPath = process.env.PATH;

after(() => {
  process.env.PATH = originalPath;
  rmSync(dir, { recursive: true, force: true });
});

/** Puts an executable `uname` with this script first on PATH (the local shell's children inherit it). */
function fakeUname(script: string): void {
  const d = mkdtempSync(join(dir, 'bin-'));
  writeFileSync(join(d, 'uname'), `#!/bin/sh\n${script}\n`);
  chmodSync(join(d, 'uname'), 0o755);
  process.env.PATH = `${d}${delimiter}${originalPath ?? ''}`;
}

test('local: a command printing without end is cut at the limit and stopped at once', async () => {
  fakeUname("exec yes '6.1.0-np-doctor'");
  const session = await new LocalShell({ commandTimeoutMs: 20_000, outputLimitBytes: 4096 }).open({ name: 'here', address: undefined });
  const t0 = Date.now();
  const r = await session.run('kernel-release');
  assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms: stopped, not timed out`);
  assert.deepEqual(r.truncated, { stdout: true, stderr: false, limitBytes: 4096 });
  assert.equal(r.stdout.length, 4096);
  assert.ok(r.stdout.startsWith('6.1.0-np-doctor\n'));
  assert.equal(r.exitCode, null);
  assert.equal(r.stderr, 'np-doctor: "uname -r" printed more than 4 KiB on stdout; np-doctor kept the first 4 KiB and stopped it\n');
  // The next command runs as usual.
  fakeUname('echo 6.1.0');
  assert.deepEqual(await session.run('kernel-release'), { stdout: '6.1.0\n', stderr: '', exitCode: 0 });
});

test('local: a command flooding stderr is cut there', async () => {
  fakeUname("yes 'uname: warning' >&2");
  const session = await new LocalShell({ commandTimeoutMs: 20_000, outputLimitBytes: 1024 }).open({ name: 'here', address: undefined });
  const r = await session.run('kernel-release');
  assert.deepEqual(r.truncated, { stdout: false, stderr: true, limitBytes: 1024 });
  assert.match(r.stderr, /^(uname: warning\n)+unam\nnp-doctor: "uname -r" printed more than 1 KiB on stderr/);
});

test('local: the gathering deadline stops a command that never answers, and says so', async () => {
  fakeUname('exec sleep 30');
  const deadline = gatherSignal(undefined, 500);
  try {
    const session = await new LocalShell({ commandTimeoutMs: 20_000 }).open({ name: 'here', address: undefined });
    const t0 = Date.now();
    const r = await session.run('kernel-release', deadline.signal);
    assert.ok(Date.now() - t0 < 5000);
    assert.equal(r.exitCode, null);
    assert.equal(r.stderr, 'np-doctor: the gathering did not finish within 0.5 s (--timeout)\n');
  } finally {
    deadline.dispose();
  }
});

test('files: a dump larger than the limit is read only up to it, and the gathering says so', async () => {
  const big = join(dir, 'big.rules');
  writeFileSync(big, `*filter\n${'-A INPUT -j ACCEPT\n'.repeat(1000)}COMMIT\n`);
  const zero = '/dev/zero';
  const { nodes, errors } = await gatherNodes(new FilesShell(new Map([['node-a', big], ['node-z', zero]]), 4096), [{ name: 'node-a', address: undefined }, { name: 'node-z', address: undefined }], { concurrency: 2, signal: undefined, progress: SILENT });
  const a = nodes.find((n) => n.name === 'node-a')!.commands['iptables-save']!;
  assert.deepEqual(a.truncated, { stdout: true, stderr: false, limitBytes: 4096 });
  assert.equal(a.stdout.length, 4096);
  assert.equal(a.exitCode, null);
  assert.equal(a.stderr, `np-doctor: ${big} is larger than 4 KiB; np-doctor read the first 4 KiB only\n`);
  const z = nodes.find((n) => n.name === 'node-z')!.commands['iptables-save']!;
  assert.equal(z.truncated?.stdout, true, '/dev/zero has no end: read up to the limit, no further');
  assert.deepEqual(errors.filter((e) => e.code === 'output-limit').map((e) => [e.node, e.what, e.why]).sort(), [
    ['node-a', 'read the --node-dump file for node-a', 'the iptables-save dump is larger than 4 KiB; np-doctor kept the first 4 KiB, so it is not replayed'],
    ['node-z', 'read the --node-dump file for node-z', 'the iptables-save dump is larger than 4 KiB; np-doctor kept the first 4 KiB, so it is not replayed'],
  ]);
  // A file within the limit is read whole, exit 0, no marker.
  const small = join(dir, 'small.rules');
  writeFileSync(small, '*filter\nCOMMIT\n');
  const s = await (await new FilesShell(new Map([['n', small]]), 4096).open({ name: 'n', address: undefined })).run('iptables-save');
  assert.deepEqual(s, { stdout: '*filter\nCOMMIT\n', stderr: '', exitCode: 0 });
});
