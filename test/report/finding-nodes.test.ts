/**
 * A finding's `node` is the node it is about (where the connection fails or the fault lies); a
 * node through which the connection works is in `workingNodes`, never in `node`. Held over every
 * finding of the scenario corpus, and against what the replay says of each node.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHECKS } from '../../checks/index.js';
import { diagnose } from '../../src/diagnose.js';
import { loadSnapshot } from '../../src/snapshot/file.js';
import { loadScenarios } from '../scenarios/load.js';
import { DEFAULT_TARGET } from '../scenarios/scenario.js';

test('no finding of the corpus names as its node a node it says works; working nodes deliver, the node does not', async () => {
  let working = 0;
  for (const s of await loadScenarios()) {
    const r = await diagnose(await loadSnapshot(s.snapshotFile), { ...(s.scenario.target ?? DEFAULT_TARGET), ...s.scenario.ask }, { checks: CHECKS });
    for (const f of r.findings) {
      if (f.workingNodes === undefined) continue;
      working++;
      assert.ok(f.workingNodes.length > 0, `${s.name} ${f.id}: an empty workingNodes is left out`);
      assert.ok(f.node === undefined || !f.workingNodes.includes(f.node), `${s.name} ${f.id}: node ${f.node} is also among the working nodes`);
      // A working node that was replayed delivers there, at least the connections the finding is
      // about (through node-2 to node-2's own pod, while its share to node-3's pod may still fail).
      for (const n of f.workingNodes) {
        for (const v of r.verdict.nodes.filter((x) => x.node === n && (f.family === undefined || x.family === f.family))) {
          assert.ok(v.deliveredShare > 0, `${s.name} ${f.id}: working node ${n} delivers nothing in the replay (${v.result})`);
        }
      }
      if (f.node !== undefined) {
        for (const v of r.verdict.nodes.filter((x) => x.node === f.node && (f.family === undefined || x.family === f.family))) {
          assert.notEqual(v.result, 'delivered', `${s.name} ${f.id}: node ${f.node} delivers in the replay`);
        }
      }
    }
  }
  assert.ok(working >= 4, `the corpus has findings with working nodes (${working})`);
});
