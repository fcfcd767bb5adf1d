/**
 * A snapshot file is hostile input: the built CLI refuses one that is too large on disk, one that
 * inflates past the bound (a gzip bomb, made here by streaming zeros through gzip and never
 * committed), one that would make JSON.parse build millions of objects, and a broken gzip, each
 * with its own message naming the file, and exits 2. Nothing is
 * asserted about time; zlib stops at the bound, so each case stays quick.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createGzip, gzipSync } from 'node:zlib';
import { DEFAULT_MAX_SNAPSHOT_BYTES, formatSize, MAX_JSON_VALUES, MAX_SNAPSHOT_SIZE_ENV, parseSize, parseSnapshot, SnapshotError } from '../../src/snapshot/file.js';
import { buildSnapshot } from '../support/snapshot-builder.js';
import { builtCliSkip } from '../support/tier.js';

const CLI = 'dist/src/cli.js';
const MiB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'npd-limits-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function diagnose(file: string, env: Record<string, string> = {}): Promise<{ code: number; stderr: string }> {
  assert.ok(existsSync(CLI), `${CLI} is missing: npm run build first (npm test does)`);
  const { [MAX_SNAPSHOT_SIZE_ENV]: _limit, ...rest } = process.env;
  try {
    const r = await promisify(execFile)('node', [CLI, 'diagnose', 'svc/x', '-n', 'y', '--snapshot', file], { env: { ...rest, ...env }, timeout: 60_000 });
    return { code: 0, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number | string; stderr: string };
    assert.equal(typeof x.code, 'number', `the CLI did not exit by itself: ${String(x.code)}`);
    return { code: x.code as number, stderr: x.stderr };
  }
}

/** `mib` MiB of zeros through gzip, written as it is made. */
async function gzipBomb(file: string, mib: number): Promise<void> {
  const zeros = Buffer.alloc(MiB);
  await pipeline(Readable.from((function* () { for (let i = 0; i < mib; i++) yield zeros; })()), createGzip({ level: 1 }), createWriteStream(file));
}

describe('the built CLI refuses oversized snapshots with exit 2 and a message naming the file', { skip: builtCliSkip() }, () => {
  test('a gzip bomb: a few MiB that would inflate past the default 512 MiB', async () => {
    const file = join(dir, 'bomb.json.gz');
    await gzipBomb(file, 600);
    const r = await diagnose(file);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /bomb\.json\.gz: inflates to more than 512 MiB of JSON; np-doctor stopped there \(a gzip bomb, or a snapshot too large to read: the most V8 holds as one JSON string\)/);
  });

  test('a plain file larger than the bound is refused by its size, before it is read', async () => {
    // Sparse: 600 MiB long, nothing written. The size alone refuses it.
    const file = join(dir, 'huge.json');
    writeFileSync(file, '{"apiVersion": "np-doctor/v1"');
    truncateSync(file, 600 * MiB);
    const r = await diagnose(file);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /huge\.json: the file is 600 MiB, more than the 512 MiB np-doctor reads/);
  });

  test('a lower bound from the environment, for the gzip file and for what it inflates to', async () => {
    const small = { [MAX_SNAPSHOT_SIZE_ENV]: '1MiB' };
    const bomb = join(dir, 'small-bomb.json.gz');
    await gzipBomb(bomb, 4);
    assert.match((await diagnose(bomb, small)).stderr, /small-bomb\.json\.gz: inflates to more than 1 MiB of JSON/);
    const big = join(dir, 'big.json.gz');
    writeFileSync(big, gzipSync(Buffer.alloc(3 * MiB).map(() => Math.floor(Math.random() * 256)), { level: 0 }));
    const r = await diagnose(big, small);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /big\.json\.gz: the gzip file is 3 MiB, more than the 1 MiB np-doctor reads \(NP_DOCTOR_MAX_SNAPSHOT_SIZE raises the limit\)/);
  });

  test('a JSON bomb under the byte bound: millions of empty objects are refused before JSON.parse builds them', async () => {
    const file = join(dir, 'objects.json.gz');
    const chunk = Buffer.from('{},'.repeat(MiB / 3));
    const count = Math.ceil((MAX_JSON_VALUES + 1) / (chunk.length / 3)) + 1;
    const parts = (function* () {
      yield Buffer.from('{"apiVersion": "np-doctor/v1", "x": [');
      for (let i = 0; i < count; i++) yield chunk;
      yield Buffer.from('{}]}');
    })();
    await pipeline(Readable.from(parts), createGzip({ level: 1 }), createWriteStream(file));
    const r = await diagnose(file);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /objects\.json\.gz: holds more than 16,000,000 JSON values, more than np-doctor reads/);
  });

  test('a device that never ends is read only up to the bound', async () => {
    const r = await diagnose('/dev/zero', { [MAX_SNAPSHOT_SIZE_ENV]: '1MiB' });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /\/dev\/zero: the file is larger than the 1 MiB np-doctor reads/);
  });

  test('a broken gzip and a bad limit say what they are', async () => {
    const broken = join(dir, 'broken.json.gz');
    writeFileSync(broken, Buffer.concat([gzipSync('{"apiVersion": "np-doctor/v1"}').subarray(0, 12), Buffer.from('garbage')]));
    const r = await diagnose(broken);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /broken\.json\.gz: not a readable gzip file/);
    const bad = await diagnose(broken, { [MAX_SNAPSHOT_SIZE_ENV]: 'lots' });
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /broken\.json\.gz: NP_DOCTOR_MAX_SNAPSHOT_SIZE=lots is not a size \(e\.g\. 256MiB or 1GiB\)/);
  });
});

describe('the bounds in-process', () => {
  test('sizes read as binary units; the default is 512 MiB, within V8\'s longest string', () => {
    assert.deepEqual(['512MiB', '512M', '1.5GiB', '4096', '64 kb', 'lots', '0', '-1', '1TiB'].map(parseSize),
      [512 * MiB, 512 * MiB, 1536 * MiB, 4096, 64 * 1024, null, null, null, null]);
    assert.equal(formatSize(DEFAULT_MAX_SNAPSHOT_BYTES), DEFAULT_MAX_SNAPSHOT_BYTES === 512 * MiB ? '512 MiB' : formatSize(DEFAULT_MAX_SNAPSHOT_BYTES));
    assert.ok(DEFAULT_MAX_SNAPSHOT_BYTES <= 512 * MiB);
  });

  test('a caller\'s bound applies to the bytes and to the inflated JSON', () => {
    const json = Buffer.from(JSON.stringify(buildSnapshot()));
    assert.doesNotThrow(() => parseSnapshot(json, 's.json', { maxBytes: json.length }));
    assert.throws(() => parseSnapshot(json, 's.json', { maxBytes: json.length - 1 }), (e: unknown) => e instanceof SnapshotError && /s\.json: the file is .* more than/.test(e.message));
    const gz = gzipSync(json);
    assert.throws(() => parseSnapshot(gz, 's.json.gz', { maxBytes: json.length - 1 }), /s\.json\.gz: inflates to more than/);
  });

  test('nesting is bounded before anything walks the document', () => {
    const deep = `{"apiVersion": "np-doctor/v1", "x": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    assert.throws(() => parseSnapshot(Buffer.from(deep), 'deep.json'), /deep\.json: not an np-doctor snapshot: it nests deeper than 100 levels/);
  });
});
