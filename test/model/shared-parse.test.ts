/**
 * Nodes whose iptables dump is the same text share one parse (the tables, and the rules the walks
 * compile in them), while each node's Ruleset, its hops and its errors name the node's own dump.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHECKS } from '../../checks/index.js';
import { runDiagnosis } from '../../src/diagnose.js';
import { ClusterModel } from '../../src/model/cluster.js';
import { loadSnapshot } from '../../src/snapshot/file.js';
import type { Snapshot } from '../../src/snapshot/schema.js';
import { comparable } from '../support/alone.js';

const DUMP = 'iptables-nft-save';

/** The demo with node-2's dump replaced by `text` (and node-3's too, when given). */
async function demoWith(text: (s: Snapshot) => string, nodes = ['node-2']): Promise<Snapshot> {
  const s = await loadSnapshot('examples/demo.json');
  const t = text(s);
  for (const n of s.nodes) if (nodes.includes(n.name)) n.commands[DUMP] = { ...n.commands[DUMP]!, stdout: t };
  return s;
}

const node1Dump = (s: Snapshot): string => s.nodes.find((n) => n.name === 'node-1')!.commands[DUMP]!.stdout;

test('two nodes with the same dump: one parse, each Ruleset named after its own node', async () => {
  const model = new ClusterModel(await demoWith(node1Dump));
  const [a, b] = ['node-1', 'node-2'].map((n) => model.nodeDataOf(n).rulesFor(4));
  assert.ok(a?.ok && b?.ok);
  assert.equal(a.rulesets[0]!.tables, b.rulesets[0]!.tables, 'the tables are parsed once');
  assert.equal(a.rulesets[0]!.source, 'node-1:iptables-nft-save');
  assert.equal(b.rulesets[0]!.source, 'node-2:iptables-nft-save');
  const c = model.nodeDataOf('node-3').rulesFor(4);
  assert.ok(c.ok);
  assert.notEqual(c.rulesets[0]!.tables, a.rulesets[0]!.tables, 'a different dump is parsed on its own');
});

test('the shared parse answers as each node parsed alone, and hops cite the node\'s own dump', async () => {
  const snapshot = await demoWith(node1Dump);
  const ask = { namespace: 'shop', service: 'payments' };
  const shared = await runDiagnosis(snapshot, ask, { checks: CHECKS, cluster: new ClusterModel(snapshot) });
  for (const node of ['node-1', 'node-2']) {
    const alone = await runDiagnosis(await demoWith(node1Dump), { ...ask, node }, { checks: CHECKS });
    // sameWalkAs relates a path to the others replayed beside it: a node replayed alone has none.
    const { sameWalkAs: _, ...path } = shared.report.paths.find((p) => p.node === node)!;
    assert.deepEqual(comparable(path), comparable(alone.report.paths[0]), node);
  }
  const node2 = JSON.stringify(shared.report.paths.find((p) => p.node === 'node-2'));
  assert.match(node2, /node-2:iptables-nft-save/);
  assert.doesNotMatch(node2, /node-1:iptables-nft-save/);
});

test('a dump that cannot be parsed is refused on every node that has it, each naming its own', async () => {
  const model = new ClusterModel(await demoWith(() => '*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport\n', ['node-2', 'node-3']));
  for (const node of ['node-2', 'node-3']) {
    const r = model.nodeDataOf(node).rulesFor(4);
    assert.ok(!r.ok);
    assert.match(r.why, new RegExp(`^the node's rules cannot be replayed: ${node}:iptables-nft-save line \\d+`), r.why);
  }
});
