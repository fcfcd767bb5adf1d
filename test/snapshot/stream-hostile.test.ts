/**
 * A v2 snapshot from a ticket is hostile: each way a stream can be cut, edited or blown up is
 * refused with the file, the line and what is wrong, and nothing is half-loaded.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { loadSnapshot, SnapshotError } from '../../src/snapshot/file.js';
import { saveSnapshot } from '../../src/snapshot/stream-write.js';
import { buildSnapshot } from '../support/snapshot-builder.js';

const dir = mkdtempSync(join(tmpdir(), 'np-doctor-stream-hostile-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const good = join(dir, 'good.jsonl');
await saveSnapshot(buildSnapshot(), good);
const lines = readFileSync(good, 'utf8').trimEnd().split('\n');
const record = (kind: string) => lines.findIndex((l) => l.startsWith(`{"record":"${kind}"`));

async function refused(name: string, text: string | Buffer, message: RegExp): Promise<void> {
  const file = join(dir, name);
  writeFileSync(file, text);
  await assert.rejects(loadSnapshot(file), (e: unknown) => {
    assert.ok(e instanceof SnapshotError, String(e));
    assert.match(e.message, message);
    assert.ok(e.message.startsWith(`${file}: `), 'names the file');
    return true;
  });
}

const edit = (i: number, f: (o: Record<string, unknown>) => void): string => {
  const copy = [...lines];
  const o = JSON.parse(copy[i]!) as Record<string, unknown>;
  f(o);
  copy[i] = JSON.stringify(o);
  return `${copy.join('\n')}\n`;
};

test('the good file loads', async () => {
  assert.deepEqual((await loadSnapshot(good)).cluster.services.length, buildSnapshot().cluster.services.length);
});

test('a file cut short (no end record) is refused, plain and gzipped', async () => {
  const cut = `${lines.slice(0, -1).join('\n')}\n`;
  await refused('cut.jsonl', cut, /cut short: it ends at line \d+ without the end record/);
  await refused('cut.jsonl.gz', gzipSync(cut), /cut short/);
  const midLine = lines.join('\n').slice(0, -10);
  await refused('mid.jsonl', midLine, /line \d+: not JSON/);
});

test('an edited chunk, a missing chunk, wrong byte counts and wrong totals are refused', async () => {
  const chunk = record('chunk');
  await refused('edited.jsonl', edit(chunk, (o) => { o.text = `${String(o.text)}x`; }), new RegExp(`line ${chunk + 1}: chunk \\S+ does not hash to its id`));
  const copy = [...lines];
  copy.splice(chunk, 1);
  await refused('missing.jsonl', `${copy.join('\n')}\n`, /names chunk \S+, which no earlier line holds/);
  const node = record('node');
  await refused('bytes.jsonl', edit(node, (o) => {
    const commands = (o.node as { commands: Record<string, { stdout: { bytes: number } }> }).commands;
    Object.values(commands)[0]!.stdout.bytes += 1;
  }), /says \d+ bytes, its chunks hold \d+/);
  await refused('end.jsonl', edit(lines.length - 1, (o) => { o.nodes = 7; }), /the end record counts 7 nodes, the file holds \d+/);
  await refused('header.jsonl', edit(0, (o) => { (o.lists as { services: number }).services += 1; }), /the header says \d+ services, the file holds \d+/);
  await refused('extra.jsonl', `${lines.join('\n')}\n{"record":"end","nodes":0,"errors":0,"chunks":0}\n`, /text after the end record/);
});

test('a header or record np-doctor does not write is refused naming the field', async () => {
  await refused('badheader.jsonl', edit(0, (o) => { o.kind = 'Pod'; }), /line 1: not a valid np-doctor\/v2 header: kind: /);
  await refused('badrecord.jsonl', edit(1, (o) => { o.record = 'shell'; }), /line 2: not a valid np-doctor\/v2 record: record: /);
  await refused('badname.jsonl', edit(record('node'), (o) => { (o.node as { name: string }).name = 'x/../../etc'; }), /refused: an identifier breaks Kubernetes' naming rules/);
});

test('bounds: a line longer than any record, a stream past the size bound, absurd nesting', async () => {
  await refused('long.jsonl', `${lines[0]}\n${'x'.repeat(65 * 1024 * 1024)}\n`, /line 2 is longer than 64 MiB/);
  const bomb = gzipSync(Buffer.concat([Buffer.from(`${lines[0]}\n`), Buffer.alloc(8 * 1024 * 1024, 0x20)]));
  const file = join(dir, 'bomb.jsonl.gz');
  writeFileSync(file, bomb);
  await assert.rejects(loadSnapshot(file, { maxBytes: 1024 * 1024 }), /inflates to more than 1 MiB; np-doctor stopped there/);
  await refused('deep.jsonl', `${lines[0]}\n${'['.repeat(200)}${']'.repeat(200)}\n`, /line 2: nests deeper than 100 levels/);
});
