/**
 * What the scenario kit writes is what the kernel prints: every generated snapshot (the corpus and
 * the README's demos) rebuilt with each node's rules loaded by the real iptables-restore and
 * `nft -f` and read back with iptables-save and `nft -j list ruleset` equals the kit's own
 * rendering, which is what `npm run scenarios` writes without root. Root only.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildGenerated, corpusSnapshots, demoSnapshots } from '../support/generated-snapshots.js';
import { buildScenarioSnapshotFromKernel } from '../support/scenario-kit/index.js';
import { labGate, missingPrerequisites } from './lab/prereq.js';

const runs = labGate('scenario corpus kernel check', missingPrerequisites(), 'root and iptables-nft/legacy-restore');
const generated = [...await corpusSnapshots(), ...demoSnapshots()];

describe('the kit writes the snapshots the kernel prints', { skip: !runs }, () => {
  for (const g of generated) {
    test(g.file, async () => {
      const fromKernel = await buildScenarioSnapshotFromKernel(g.spec, { target: g.target });
      assert.deepEqual(buildGenerated(g), fromKernel, `${g.name}: the kit's dumps differ from what the kernel prints for the same rules`);
    });
  }
});
