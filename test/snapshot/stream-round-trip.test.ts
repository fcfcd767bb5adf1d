/**
 * Old snapshots load unchanged and round-trip: every snapshot of the scenario corpus and the
 * README's demos (all v1 files) loads, is written as v2 (plain and gzipped) and read back, and
 * the result is the same snapshot — except that nft-ruleset no longer repeats the iptables-nft
 * tables' rules, which `omitted` records — and diagnoses to the same report. v1 written again is
 * byte for byte the file it was read from.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CHECKS } from '../../checks/index.js';
import { diagnose } from '../../src/diagnose.js';
import { loadSnapshot, serializeSnapshot } from '../../src/snapshot/file.js';
import type { Snapshot } from '../../src/snapshot/schema.js';
import { slimNode } from '../../src/snapshot/slim-nft.js';
import { saveSnapshot } from '../../src/snapshot/stream-write.js';
import { loadScenarios } from '../scenarios/load.js';
import { DEFAULT_TARGET } from '../scenarios/scenario.js';

const dir = mkdtempSync(join(tmpdir(), 'np-doctor-round-trip-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** What a stored snapshot is expected to hold: the same, nft-ruleset slimmed. */
const slimmed = (s: Snapshot): Snapshot => ({ ...s, nodes: s.nodes.map(slimNode) });
/** A report without what differs between two runs on the same input. */
const stable = (r: object): unknown => JSON.parse(JSON.stringify(r, (k, v: unknown) => (k === 'durationMs' ? 0 : v)));

const cases = [
  ...(await loadScenarios()).map((s) => ({ name: s.name, file: s.snapshotFile, ask: { ...(s.scenario.target ?? DEFAULT_TARGET), ...s.scenario.ask } })),
  { name: 'demo', file: 'examples/demo.json', ask: { namespace: 'shop', service: 'frontend' } },
  { name: 'demo-nftables', file: 'examples/demo-nftables.json', ask: { namespace: 'shop', service: 'frontend' } },
];

for (const c of cases) {
  test(`${c.name}: v1 loads unchanged, and round-trips through v2 to the same snapshot and report`, async () => {
    const original = await loadSnapshot(c.file);
    assert.equal(serializeSnapshot(original, false).toString('utf8'), readFileSync(c.file, 'utf8'), 'v1 written again is the file');
    for (const name of [`${c.name}.jsonl`, `${c.name}.jsonl.gz`]) {
      const file = join(dir, name);
      await saveSnapshot(original, file);
      const back = await loadSnapshot(file);
      assert.deepEqual(back, slimmed(original));
      const before = await diagnose(original, c.ask, { checks: CHECKS, snapshotFile: c.file });
      const after = await diagnose(back, c.ask, { checks: CHECKS, snapshotFile: c.file });
      assert.deepEqual(stable(after), stable(before), 'the same diagnosis');
    }
  });
}

test('the corpus holds iptables-nft tables in nft-ruleset, so the slimming above is exercised', async () => {
  const demo = await loadSnapshot('examples/demo.json');
  const node = demo.nodes[0]!;
  const slim = slimNode(node);
  assert.notEqual(slim, node, 'the demo node repeats iptables-nft tables in nft -j output');
  assert.ok(slim.commands['nft-ruleset']!.stdout.length < node.commands['nft-ruleset']!.stdout.length);
  assert.match(slim.omitted?.[0]?.what ?? '', /^\d+ rules and \d+ user chains of ip filter, ip nat, ip6 filter, ip6 nat \(tables and base chains kept\)$/);
  assert.equal(slimNode(slim), slim, 'slimming twice changes nothing');
});
