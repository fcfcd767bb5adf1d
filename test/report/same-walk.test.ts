/**
 * Nodes that walk the same rules to the same answer are shown once: the Report names the earlier
 * node (sameWalkAs) and the text folds the rest into one line. Positions and the node's own name
 * and address are set aside; anything else that differs keeps the paths apart.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CHECKS } from '../../checks/index.js';
import type { Report } from '../../src/report/model.js';
import { markSameWalks } from '../../src/report/same-walk.js';
import { renderReport } from '../../src/report/text.js';
import { diagnose } from '../../src/diagnose.js';
import { baseCluster, buildScenarioSnapshot, updateService } from '../support/scenario-kit/index.js';

type Path = Report['paths'][number];

/** eTP=Local with no endpoint anywhere's twin: every node rejects with the same rule. */
const refused = await diagnose(buildScenarioSnapshot(updateService(baseCluster(), 'shop/frontend', { selector: { app: 'nobody' } })), { namespace: 'shop', service: 'frontend', allNodes: true }, { checks: CHECKS });
const healthy = await diagnose(buildScenarioSnapshot(baseCluster()), { namespace: 'shop', service: 'frontend', allNodes: true }, { checks: CHECKS });

/** The first path again as node `name` at `address`, its rules at other positions. */
function moved(p: Path, name: string, address: string, shift = 7): Path {
  const word = (w: string) => new RegExp(`(?<![\\w.-])${w.replaceAll('.', '\\.')}(?![\\w.-])`, 'g');
  const text = JSON.stringify(p).replace(word(p.node), name).replace(word(p.address), address)
    .replace(/line (\d+)/g, (_m, n: string) => `line ${Number(n) + shift}`);
  const out = JSON.parse(text) as Path;
  for (const b of out.branches) for (const s of b.stages) for (const h of s.hops ?? []) h.line += shift;
  return { ...out, node: name, address };
}

describe('same walks', () => {
  test('a Service every node rejects alike: one path in full, the others named as the same', () => {
    assert.ok(refused.paths.length >= 3, 'the base cluster has three nodes');
    const [first, ...rest] = refused.paths;
    assert.equal(first!.sameWalkAs, undefined);
    for (const p of rest) assert.equal(p.sameWalkAs, first!.node, `${p.node} repeats ${first!.node}'s walk`);
    const text = renderReport(refused, { color: false, width: 200 });
    assert.equal(text.match(/^ {2}✗ /gm)?.length, 1, `one path printed in full:\n${text}`);
    const names = rest.map((p) => `${p.node} (${p.address})`).join(', ');
    assert.ok(text.includes(`    = ${names}: the same rules to the same answer as ${first!.node}`), text);
  });

  test('nodes that each send one branch to their own pod walk differently and stay apart', () => {
    // node-2 and node-3 each run a frontend pod (its own pod sees the node's bridge address, the
    // other the node's address); node-1 runs none: three different walks.
    assert.deepEqual(healthy.paths.map((p) => [p.node, p.sameWalkAs]), [['node-1', undefined], ['node-2', undefined], ['node-3', undefined]]);
    assert.ok(!renderReport(healthy, { color: false }).includes('the same rules to the same answer'));
  });

  test('rule positions and the own name and address are set aside', () => {
    const p = refused.paths[0]!;
    const [, other] = markSameWalks([p, moved(p, 'node-9', '192.0.2.9')]);
    assert.equal(other!.sameWalkAs, p.node);
  });

  test('a rule that differs keeps the path apart', () => {
    const p = refused.paths[0]!;
    const q = moved(p, 'node-9', '192.0.2.9');
    const hop = q.branches[0]!.stages.flatMap((s) => s.hops ?? []).find((h) => h.rule !== null)!;
    hop.rule = `${hop.rule} -m comment --comment other`;
    assert.equal(markSameWalks([p, q])[1]!.sameWalkAs, undefined);
  });

  test('a name inside a longer name is not the node: node-1 is not node-10', () => {
    const p = moved(refused.paths[0]!, 'node-1', '192.0.2.1', 0);
    // node-10's path names node-1 where node-1's path names node-10: not the same walk.
    const a: Path = { ...p, assumptions: ['a backend on node-10 at 192.0.2.10'] };
    const b: Path = { ...moved(p, 'node-10', '192.0.2.10', 0), assumptions: ['a backend on node-1 at 192.0.2.1'] };
    assert.equal(markSameWalks([a, b])[1]!.sameWalkAs, undefined);
    // The same text about a third node folds.
    const c: Path = { ...moved(p, 'node-10', '192.0.2.10', 0), assumptions: ['a backend on node-10 at 192.0.2.10'] };
    const d: Path = { ...p, assumptions: ['a backend on node-1 at 192.0.2.1'] };
    assert.equal(markSameWalks([c, d])[1]!.sameWalkAs, 'node-10');
  });
});
