/**
 * Files np-doctor writes (snapshots, reports) are 0600 and created exclusively: an existing file,
 * or a symlink planted where the file goes, is an error unless the caller asks to overwrite, and
 * an overwrite replaces the path instead of writing through a symlink.
 */
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { loadSnapshot, OutputFileError, writePrivateFile } from '../../src/snapshot/file.js';
import { saveSnapshot } from '../../src/snapshot/stream-write.js';
import { buildSnapshot } from '../support/snapshot-builder.js';

const dir = mkdtempSync(join(tmpdir(), 'npd-write-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const mode = (f: string): number => statSync(f).mode & 0o777;

test('a new file is 0600 whatever the umask allows', async () => {
  const old = process.umask(0o022);
  try {
    await saveSnapshot(buildSnapshot(), join(dir, 'new.json'));
    await writePrivateFile(join(dir, 'report.json'), '{}\n');
  } finally {
    process.umask(old);
  }
  assert.equal(mode(join(dir, 'new.json')), 0o600);
  assert.equal(mode(join(dir, 'report.json')), 0o600);
  assert.deepEqual(await loadSnapshot(join(dir, 'new.json')), buildSnapshot());
});

test('an existing file is not overwritten unless asked, and the error says so', async () => {
  const file = join(dir, 'taken.json');
  writeFileSync(file, 'precious');
  await assert.rejects(saveSnapshot(buildSnapshot(), file), (e: unknown) =>
    e instanceof OutputFileError && e.code === 'EEXIST' && e.file === file &&
    e.message === `cannot write ${file}: it already exists, and np-doctor does not overwrite files: choose another name or remove it first`);
  assert.equal(readFileSync(file, 'utf8'), 'precious');

  writeFileSync(file, 'old', { mode: 0o644 });
  await saveSnapshot(buildSnapshot(), file, { overwrite: true });
  assert.deepEqual(await loadSnapshot(file), buildSnapshot());
  assert.equal(mode(file), 0o600, 'an overwritten file is 0600 too');
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file is left');
});

test('a symlink where the file goes is never written through', async () => {
  const target = join(dir, 'victim');
  writeFileSync(target, 'keep me');
  const link = join(dir, 'link.json');
  symlinkSync(target, link);
  await assert.rejects(writePrivateFile(link, 'x'), (e: unknown) => e instanceof OutputFileError && e.code === 'EEXIST');
  const dangling = join(dir, 'dangling.json');
  symlinkSync(join(dir, 'would-be-created'), dangling);
  await assert.rejects(writePrivateFile(dangling, 'x'), (e: unknown) => e instanceof OutputFileError && e.code === 'EEXIST');
  assert.deepEqual(readdirSync(dir).filter((f) => f === 'would-be-created'), [], 'a dangling link does not create its target');

  await writePrivateFile(link, 'new', { overwrite: true });
  assert.equal(readFileSync(target, 'utf8'), 'keep me', 'the link target is untouched');
  assert.ok(!lstatSync(link).isSymbolicLink(), 'the link itself was replaced');
  assert.equal(readFileSync(link, 'utf8'), 'new');
});

test('other failures name the file and the reason', async () => {
  const missing = join(dir, 'no-such-dir', 'x.json');
  await assert.rejects(writePrivateFile(missing, 'x'), (e: unknown) => e instanceof OutputFileError && e.message === `cannot write ${missing}: ENOENT`);
  await assert.rejects(writePrivateFile(dir, 'x', { overwrite: true }), (e: unknown) => e instanceof OutputFileError && e.file === dir);
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
});
